-- +goose Up
-- The SIP digest answers already used, shared by every hotline node
-- (digest_shared.go): a REGISTER captured on its way to one node cannot be
-- replayed to another. One row per nonce that verified: with qop=auth the
-- highest nc used (a phone re-registers with nc+1), without qop the nonce
-- is spent. Rows outlive the nonce (5 minutes) by a wide margin for clock
-- differences between nodes, then go.
CREATE TABLE hotline_digest_nonces (
    nonce     text PRIMARY KEY,
    qop       boolean NOT NULL,
    nc        integer NOT NULL,
    issued_at timestamptz NOT NULL
);
CREATE INDEX hotline_digest_nonces_issued_idx ON hotline_digest_nonces (issued_at);

-- +goose Down
DROP TABLE hotline_digest_nonces;
