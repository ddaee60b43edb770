-- +goose Up
-- The caller's answer to "press 1 to get an SMS when there is news": kept
-- on the ticket as it is on the moderation item (meta "notify"), so the
-- choice is on record next to the consent.
ALTER TABLE hotline_tickets ADD COLUMN notify boolean NOT NULL DEFAULT false;

-- A moderator's spoken answer, recorded in the browser, for a caller who
-- asks the ticket's status by phone: relative to DATA_DIR, fsynced before
-- the row names it; '' for none.
ALTER TABLE hotline_tickets ADD COLUMN answer_audio_path text NOT NULL DEFAULT '';
ALTER TABLE hotline_tickets ADD COLUMN answer_audio_ms integer NOT NULL DEFAULT 0 CHECK (answer_audio_ms >= 0);
ALTER TABLE hotline_tickets ADD COLUMN answer_audio_by bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE hotline_tickets ADD COLUMN answer_audio_at timestamptz;

-- +goose Down
ALTER TABLE hotline_tickets DROP COLUMN answer_audio_at;
ALTER TABLE hotline_tickets DROP COLUMN answer_audio_by;
ALTER TABLE hotline_tickets DROP COLUMN answer_audio_ms;
ALTER TABLE hotline_tickets DROP COLUMN answer_audio_path;
ALTER TABLE hotline_tickets DROP COLUMN notify;
