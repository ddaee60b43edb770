-- +goose Up
-- A support chat may carry the citizen's phone (with consent; E.164, in
-- the existing contact column), whether they want to be told of the case
-- there, and the tracking code of an earlier case it continues: the item
-- made when the chat closes joins that case.
ALTER TABLE chat_conversations
    ADD COLUMN notify boolean NOT NULL DEFAULT false,
    ADD COLUMN case_code text NOT NULL DEFAULT '';
-- Staff are told through the same outbox (item escalated, directive due):
-- their rows are never listed on the citizen's tracking page.
ALTER TABLE notification_outbox
    ADD COLUMN audience text NOT NULL DEFAULT 'citizen' CHECK (audience IN ('citizen', 'staff'));
-- Where a department is told of the directives it is responsible for.
ALTER TABLE departments ADD COLUMN email text NOT NULL DEFAULT '';
-- A directive's reminder a day before its deadline is recorded once.
ALTER TABLE directives ADD COLUMN reminded_at timestamptz;
CREATE INDEX directives_remind_idx ON directives (deadline) WHERE status = 'open' AND reminded_at IS NULL;
-- Finished chats filed before this version linger as approved items with
-- a due date; they are settled contacts (the operator answered in the
-- chat): closed, audited as the system. Offline questions (meta offline)
-- and items a moderator holds are left as they are.
WITH settled AS (
    UPDATE moderation_items SET status = 'closed', closed_at = coalesce(closed_at, now()), updated_at = now()
    WHERE source = 'chat_conversation' AND status = 'approved' AND assignee_id IS NULL
      AND coalesce(meta->>'offline', '') <> 'true'
    RETURNING id, priority
)
INSERT INTO moderation_audit (item_id, action, note, before, after)
SELECT id, 'close', 'finished chat', jsonb_build_object('status', 'approved', 'priority', priority),
       jsonb_build_object('status', 'closed', 'priority', priority)
FROM settled;

-- +goose Down
DROP INDEX directives_remind_idx;
ALTER TABLE directives DROP COLUMN reminded_at;
ALTER TABLE departments DROP COLUMN email;
ALTER TABLE notification_outbox DROP COLUMN audience;
ALTER TABLE chat_conversations DROP COLUMN case_code, DROP COLUMN notify;
