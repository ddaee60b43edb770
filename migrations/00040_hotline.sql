-- +goose Up
-- The IVR menu admins edit (one row); absent means the built-in default.
CREATE TABLE hotline_menus (
    id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    menu       jsonb NOT NULL,
    updated_by bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A voicemail question. Its moderation item (source hotline_ticket, ref = id)
-- is created in the same transaction; number is the item's tracking code,
-- read digit by digit to the caller.
CREATE TABLE hotline_tickets (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number         text UNIQUE,
    item_id        bigint REFERENCES moderation_items (id) ON DELETE SET NULL,
    call_id        text NOT NULL,
    caller         text NOT NULL,
    hotline        text NOT NULL,
    language       text NOT NULL,
    topic          text NOT NULL,
    category       text NOT NULL DEFAULT '',
    -- relative to DATA_DIR; the file is fsynced before this row exists
    recording_path text NOT NULL,
    duration_ms    integer NOT NULL CHECK (duration_ms >= 0),
    -- how the caller agreed to the recording: "dtmf:<key>" or "silence"
    consent        text NOT NULL,
    consent_at     timestamptz NOT NULL,
    ivr_path       text[] NOT NULL,
    out_of_hours   boolean NOT NULL DEFAULT false,
    callback_due   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hotline_tickets_created_idx ON hotline_tickets (created_at);

-- Calling the citizen back with the answer a moderator wrote.
CREATE TABLE hotline_callbacks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES hotline_tickets (id) ON DELETE CASCADE,
    answer     text NOT NULL,
    due_at     timestamptz NOT NULL,
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    done_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    done_at    timestamptz,
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX hotline_callbacks_open_key ON hotline_callbacks (ticket_id) WHERE status = 'open';
CREATE INDEX hotline_callbacks_due_idx ON hotline_callbacks (status, due_at);

-- Call detail records: one per call that was not refused outright.
CREATE TABLE hotline_calls (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id       text NOT NULL,
    caller        text NOT NULL,
    hotline       text NOT NULL,
    transport     text NOT NULL,
    started_at    timestamptz NOT NULL,
    answered_at   timestamptz,
    ended_at      timestamptz NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('agent', 'voicemail', 'abandoned', 'answered')),
    hangup_cause  text NOT NULL,
    language      text NOT NULL DEFAULT '',
    topic         text NOT NULL DEFAULT '',
    ivr_path      text[] NOT NULL,
    out_of_hours  boolean NOT NULL DEFAULT false,
    agent         text NOT NULL DEFAULT '',
    queue_wait_ms integer NOT NULL DEFAULT 0,
    ticket_id     bigint REFERENCES hotline_tickets (id) ON DELETE SET NULL,
    rtp_received  bigint NOT NULL DEFAULT 0,
    rtp_lost      bigint NOT NULL DEFAULT 0,
    rtp_sent      bigint NOT NULL DEFAULT 0
);
CREATE INDEX hotline_calls_started_idx ON hotline_calls (started_at DESC);

-- +goose Down
DROP TABLE hotline_calls;
DROP TABLE hotline_callbacks;
DROP TABLE hotline_tickets;
DROP TABLE hotline_menus;
