-- +goose Up
-- A question a caller recorded for the live dialogue on at the time. Its
-- live_questions row and moderation item (source live_question) are made in
-- the same transaction, through moderation's live intake (the hotline does
-- not know livechat). The WAV is fsynced before this row exists.
CREATE TABLE hotline_live_questions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id        text NOT NULL,
    caller         text NOT NULL,
    hotline        text NOT NULL,
    language       text NOT NULL,
    session_id     bigint NOT NULL,
    item_id        bigint REFERENCES moderation_items (id) ON DELETE SET NULL,
    recording_path text NOT NULL,
    duration_ms    integer NOT NULL CHECK (duration_ms >= 0),
    consent        text NOT NULL,
    consent_at     timestamptz NOT NULL,
    -- the caller asked for the answer by SMS too
    notify         boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX hotline_live_questions_item_key ON hotline_live_questions (item_id);

-- Callbacks: the leader's answer to a phone question (kind 'live', by its
-- item); every attempt is kept; a task not reached after the configured
-- number of attempts is 'unreached' (the citizen gets an SMS or the
-- moderators a note); a late one is escalated once.
ALTER TABLE hotline_callbacks DROP CONSTRAINT hotline_callbacks_kind_check;
ALTER TABLE hotline_callbacks ADD CONSTRAINT hotline_callbacks_kind_check CHECK (kind IN ('answer', 'abandoned', 'live'));
ALTER TABLE hotline_callbacks DROP CONSTRAINT hotline_callbacks_ticket_or_abandoned;
ALTER TABLE hotline_callbacks ADD CONSTRAINT hotline_callbacks_ticket_or_abandoned
    CHECK (ticket_id IS NOT NULL OR kind IN ('abandoned', 'live'));
ALTER TABLE hotline_callbacks DROP CONSTRAINT hotline_callbacks_status_check;
ALTER TABLE hotline_callbacks ADD CONSTRAINT hotline_callbacks_status_check CHECK (status IN ('open', 'done', 'unreached'));
ALTER TABLE hotline_callbacks ADD COLUMN item_id bigint REFERENCES moderation_items (id) ON DELETE SET NULL;
ALTER TABLE hotline_callbacks ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE hotline_callbacks ADD COLUMN escalated_at timestamptz;
CREATE UNIQUE INDEX hotline_callbacks_live_key ON hotline_callbacks (item_id) WHERE status = 'open' AND kind = 'live';
CREATE INDEX hotline_callbacks_late_idx ON hotline_callbacks (due_at) WHERE status = 'open' AND escalated_at IS NULL;

CREATE TABLE hotline_callback_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    callback_id bigint NOT NULL REFERENCES hotline_callbacks (id) ON DELETE CASCADE,
    outcome     text NOT NULL CHECK (outcome IN ('no_answer', 'busy', 'done')),
    note        text NOT NULL DEFAULT '',
    by_id       bigint REFERENCES users (id) ON DELETE SET NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hotline_callback_attempts_cb_idx ON hotline_callback_attempts (callback_id, id);

-- +goose Down
DROP TABLE hotline_callback_attempts;
DROP INDEX hotline_callbacks_late_idx;
DROP INDEX hotline_callbacks_live_key;
DELETE FROM hotline_callbacks WHERE kind = 'live';
UPDATE hotline_callbacks SET status = 'done' WHERE status = 'unreached';
ALTER TABLE hotline_callbacks DROP COLUMN escalated_at, DROP COLUMN attempts, DROP COLUMN item_id;
ALTER TABLE hotline_callbacks DROP CONSTRAINT hotline_callbacks_status_check;
ALTER TABLE hotline_callbacks ADD CONSTRAINT hotline_callbacks_status_check CHECK (status IN ('open', 'done'));
ALTER TABLE hotline_callbacks DROP CONSTRAINT hotline_callbacks_ticket_or_abandoned;
ALTER TABLE hotline_callbacks ADD CONSTRAINT hotline_callbacks_ticket_or_abandoned CHECK (ticket_id IS NOT NULL OR kind = 'abandoned');
ALTER TABLE hotline_callbacks DROP CONSTRAINT hotline_callbacks_kind_check;
ALTER TABLE hotline_callbacks ADD CONSTRAINT hotline_callbacks_kind_check CHECK (kind IN ('answer', 'abandoned'));
DROP TABLE hotline_live_questions;
