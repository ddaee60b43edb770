-- +goose Up
-- Keys the nodes share when the operator has not set one (SIGNING_KEY):
-- the first node to start generates it, every node reads the same row, so
-- what one node signs another accepts, across restarts.
CREATE TABLE server_secrets (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL CHECK (length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE server_secrets;
