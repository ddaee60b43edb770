-- +goose Up
-- A live question asked from a phone carries its recording (a staff-only
-- URL of the hotline's API) instead of a typed text.
ALTER TABLE live_questions ADD COLUMN recording_url text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE live_questions DROP COLUMN recording_url;
