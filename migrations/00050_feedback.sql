-- +goose Up
-- Directive tracking: who marked a directive done and how, and when its
-- passed deadline was escalated (once).
ALTER TABLE directives
    ADD COLUMN done_by bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN done_note text NOT NULL DEFAULT '',
    ADD COLUMN escalated_at timestamptz;
CREATE INDEX directives_overdue_idx ON directives (deadline) WHERE status = 'open' AND escalated_at IS NULL;

-- A leader's sign-off takes an escalated item out of the inbox until it is
-- escalated again (escalated_at later than signed_off_at).
ALTER TABLE moderation_items
    ADD COLUMN signed_off_at timestamptz,
    ADD COLUMN signed_off_by bigint REFERENCES users (id) ON DELETE SET NULL;

-- The escalation job walks only open, not yet escalated items by due time.
CREATE INDEX moderation_items_to_escalate_idx ON moderation_items (due_at)
    WHERE NOT escalated AND status IN ('pending', 'approved', 'info_requested');
-- "Overdue now" on the dashboard: open items by due time.
CREATE INDEX moderation_items_open_due_idx ON moderation_items (due_at)
    WHERE status IN ('pending', 'approved', 'info_requested');
-- The leader's summary reads only these columns of a creation-time range:
-- an index-only scan instead of reading every item's content.
CREATE INDEX moderation_items_summary_idx ON moderation_items (created_at)
    INCLUDE (source, status, category, province, language, first_response_at, answered_at, due_at, escalated);

-- +goose Down
DROP INDEX moderation_items_summary_idx;
DROP INDEX moderation_items_open_due_idx;
DROP INDEX moderation_items_to_escalate_idx;
ALTER TABLE moderation_items DROP COLUMN signed_off_by, DROP COLUMN signed_off_at;
DROP INDEX directives_overdue_idx;
ALTER TABLE directives DROP COLUMN escalated_at, DROP COLUMN done_note, DROP COLUMN done_by;
