-- +goose Up
-- `doithoai seed --demo` creates its demo content through the domains'
-- services, piece by piece; each piece done is remembered here so that a
-- second seed adds nothing twice.
CREATE TABLE demo_seed (
    piece   text PRIMARY KEY,
    done_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE demo_seed;
