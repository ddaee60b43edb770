-- +goose Up
-- A support chat may carry the citizen's phone (with consent; E.164, in
-- the existing contact column), whether they want to be told of the case
-- there, and the tracking code of an earlier case it continues: the item
-- made when the chat closes joins that case.
ALTER TABLE chat_conversations
    ADD COLUMN notify boolean NOT NULL DEFAULT false,
    ADD COLUMN case_code text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE chat_conversations DROP COLUMN case_code, DROP COLUMN notify;
