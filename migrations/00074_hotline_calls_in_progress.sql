-- +goose Up
-- Every answered hotline call while it lasts, by the node that answered it
-- (orphan_calls.go). The node renews lease_until; a node killed mid-call
-- leaves its rows behind, and a surviving node turns each one whose lease
-- has lapsed into a callback task, so the caller's number is not lost with
-- the node. A call that ends normally deletes its row.
CREATE TABLE hotline_calls_in_progress (
    call_id     text PRIMARY KEY,
    node        text NOT NULL,
    caller      text NOT NULL,
    hotline     text NOT NULL,
    language    text NOT NULL,
    topic       text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    lease_until timestamptz NOT NULL
);
CREATE INDEX hotline_calls_in_progress_node_idx ON hotline_calls_in_progress (node);
CREATE INDEX hotline_calls_in_progress_lease_idx ON hotline_calls_in_progress (lease_until);

-- +goose Down
DROP TABLE hotline_calls_in_progress;
