-- +goose Up
-- One person, one case: items carry the citizen's normalised contact keys
-- (E.164 phone, lower-cased e-mail; internal/contact), so the console finds
-- a person's items on every channel without ever matching a display name;
-- and an item may continue an earlier case (case_id = the case's first item).
ALTER TABLE moderation_items
    ADD COLUMN citizen_phone text NOT NULL DEFAULT '',
    ADD COLUMN citizen_email text NOT NULL DEFAULT '',
    ADD COLUMN case_id bigint REFERENCES moderation_items (id);
CREATE INDEX moderation_items_citizen_phone_idx ON moderation_items (citizen_phone, created_at DESC) WHERE citizen_phone <> '';
CREATE INDEX moderation_items_citizen_email_idx ON moderation_items (citizen_email, created_at DESC) WHERE citizen_email <> '';
CREATE INDEX moderation_items_case_idx ON moderation_items (case_id, id) WHERE case_id IS NOT NULL;
-- When a target is answered, the items merged into it are found at once.
CREATE INDEX moderation_items_merged_into_idx ON moderation_items (merged_into) WHERE merged_into IS NOT NULL;

-- +goose Down
DROP INDEX moderation_items_merged_into_idx;
DROP INDEX moderation_items_case_idx;
DROP INDEX moderation_items_citizen_email_idx;
DROP INDEX moderation_items_citizen_phone_idx;
ALTER TABLE moderation_items DROP COLUMN case_id, DROP COLUMN citizen_email, DROP COLUMN citizen_phone;
