-- +goose Up
-- Every call an operator answers becomes a ticket too: who answered, the
-- summary they wrote and the answer they gave on the phone (a callback is
-- not needed for that answer: the caller heard it).
ALTER TABLE hotline_tickets ADD COLUMN agent text NOT NULL DEFAULT '';
ALTER TABLE hotline_tickets ADD COLUMN summary text NOT NULL DEFAULT '';
ALTER TABLE hotline_tickets ADD COLUMN phone_answer text NOT NULL DEFAULT '';
CREATE INDEX hotline_tickets_call_idx ON hotline_tickets (call_id);

-- What an operator writes on the desk while the call is still bridged:
-- taken into the ticket when the call ends.
CREATE TABLE hotline_call_notes (
    call_id    text PRIMARY KEY,
    summary    text NOT NULL DEFAULT '',
    answer     text NOT NULL DEFAULT '',
    author_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A caller who hangs up while waiting for an operator leaves a callback
-- task without a ticket: kind 'abandoned', with the number kept on the task.
ALTER TABLE hotline_callbacks ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE hotline_callbacks ADD COLUMN kind text NOT NULL DEFAULT 'answer' CHECK (kind IN ('answer', 'abandoned'));
ALTER TABLE hotline_callbacks ADD COLUMN call_id text NOT NULL DEFAULT '';
ALTER TABLE hotline_callbacks ADD COLUMN caller text NOT NULL DEFAULT '';
ALTER TABLE hotline_callbacks ADD COLUMN language text NOT NULL DEFAULT '';
ALTER TABLE hotline_callbacks ADD COLUMN topic text NOT NULL DEFAULT '';
ALTER TABLE hotline_callbacks ADD CONSTRAINT hotline_callbacks_ticket_or_abandoned
    CHECK (ticket_id IS NOT NULL OR kind = 'abandoned');

-- +goose Down
ALTER TABLE hotline_callbacks DROP CONSTRAINT hotline_callbacks_ticket_or_abandoned;
DELETE FROM hotline_callbacks WHERE ticket_id IS NULL;
ALTER TABLE hotline_callbacks DROP COLUMN topic, DROP COLUMN language, DROP COLUMN caller, DROP COLUMN call_id, DROP COLUMN kind;
ALTER TABLE hotline_callbacks ALTER COLUMN ticket_id SET NOT NULL;
DROP TABLE hotline_call_notes;
DROP INDEX hotline_tickets_call_idx;
ALTER TABLE hotline_tickets DROP COLUMN phone_answer, DROP COLUMN summary, DROP COLUMN agent;
