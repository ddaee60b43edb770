-- +goose Up
-- The escalated inbox sorts by escalated_at DESC NULLS LAST, id DESC; the
-- index of 00020 (DESC, hence NULLS FIRST) could not serve that order, so
-- every inbox view sorted all escalated items.
CREATE INDEX moderation_items_escalated_inbox_idx ON moderation_items (escalated_at DESC NULLS LAST, id DESC) WHERE escalated;
DROP INDEX moderation_items_escalated_idx;

-- +goose Down
CREATE INDEX moderation_items_escalated_idx ON moderation_items (escalated_at DESC) WHERE escalated;
DROP INDEX moderation_items_escalated_inbox_idx;
