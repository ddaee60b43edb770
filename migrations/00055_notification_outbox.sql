-- +goose Up
-- The citizens' notifications, written in the transaction of the status
-- change they tell of (moderation/notify). A worker on every node claims
-- due rows with FOR UPDATE SKIP LOCKED and marks each sent in the same
-- transaction, once the gateway accepted it. The key makes a second record
-- of the same event for the same recipient and channel a no-op; round
-- counts the item's reopenings, so a reopened item's new answer is told.
CREATE TABLE notification_outbox (
    id              bigserial PRIMARY KEY,
    item_id         bigint NOT NULL REFERENCES moderation_items(id) ON DELETE CASCADE,
    tracking_code   text NOT NULL DEFAULT '',
    event           text NOT NULL,
    round           int NOT NULL DEFAULT 0,
    channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient       text NOT NULL,
    language        text NOT NULL DEFAULT 'vi',
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL,
    body_html       text NOT NULL DEFAULT '',
    idempotency_key text NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX notification_outbox_due ON notification_outbox (channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_outbox_item ON notification_outbox (item_id);
CREATE INDEX notification_outbox_dead ON notification_outbox (id) WHERE status = 'dead';

-- +goose Down
DROP TABLE notification_outbox;
