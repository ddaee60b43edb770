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

-- +goose Down
DROP INDEX directives_remind_idx;
ALTER TABLE directives DROP COLUMN reminded_at;
ALTER TABLE departments DROP COLUMN email;
ALTER TABLE notification_outbox DROP COLUMN audience;
ALTER TABLE chat_conversations DROP COLUMN case_code, DROP COLUMN notify;
