-- +goose Up
-- Consent before personal data (SPEC §4), on the chat and live channels
-- too: when the citizen agreed to how their name and contact are kept.
ALTER TABLE chat_conversations ADD COLUMN consent_at timestamptz;
ALTER TABLE live_questions ADD COLUMN consent_at timestamptz;
-- A support chat no operator took in time (or opened when none was on
-- duty) becomes an offline question: the citizen's question and contact,
-- and when the wait ran out (the socket was told once).
ALTER TABLE chat_conversations ADD COLUMN contact text NOT NULL DEFAULT '';
ALTER TABLE chat_conversations ADD COLUMN offline_offered_at timestamptz;
ALTER TABLE chat_conversations DROP CONSTRAINT chat_conversations_status_check;
ALTER TABLE chat_conversations ADD CONSTRAINT chat_conversations_status_check
    CHECK (status IN ('waiting', 'active', 'closed', 'offline'));
-- A live answer published as a forum question's official answer: where.
ALTER TABLE live_questions ADD COLUMN forum_url text NOT NULL DEFAULT '';
-- Retention looks for settled chats older than the cut-off.
CREATE INDEX chat_conversations_closed_idx ON chat_conversations (created_at) WHERE status IN ('closed', 'offline');

-- +goose Down
DROP INDEX chat_conversations_closed_idx;
ALTER TABLE live_questions DROP COLUMN forum_url;
ALTER TABLE chat_conversations DROP CONSTRAINT chat_conversations_status_check;
ALTER TABLE chat_conversations ADD CONSTRAINT chat_conversations_status_check
    CHECK (status IN ('waiting', 'active', 'closed'));
ALTER TABLE chat_conversations DROP COLUMN offline_offered_at;
ALTER TABLE chat_conversations DROP COLUMN contact;
ALTER TABLE live_questions DROP COLUMN consent_at;
ALTER TABLE chat_conversations DROP COLUMN consent_at;
