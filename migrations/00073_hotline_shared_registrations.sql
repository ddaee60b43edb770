-- +goose Up
-- SIP registrations and operator calls shared by every hotline node, so a
-- call queued on one node rings an agent registered through another and
-- the /hotline desk of any node shows every bridged call.
--
-- A registration is written by the node the REGISTER came through (digest
-- checked there). path is the RFC 3327 Path the edge added (empty: the
-- phone registered directly; dest is then its source address). An agent
-- is claimed by the node ringing or bridging it: claimed_until is a lease
-- that node renews, so a node that dies frees its agents on its own.
CREATE TABLE hotline_registrations (
    login         text PRIMARY KEY,
    contact       text NOT NULL,
    dest          text NOT NULL,
    transport     text NOT NULL,
    path          text NOT NULL DEFAULT '',
    node          text NOT NULL,
    expires_at    timestamptz NOT NULL,
    idle_since    timestamptz NOT NULL DEFAULT now(),
    skip_until    timestamptz NOT NULL DEFAULT '-infinity',
    claimed_by    text,
    claimed_until timestamptz
);
CREATE INDEX hotline_registrations_idle_idx ON hotline_registrations (idle_since);

-- Calls bridged to an operator right now, by the node bridging them; the
-- lease lapses when that node dies without removing its rows.
CREATE TABLE hotline_live_calls (
    call_id     text PRIMARY KEY,
    node        text NOT NULL,
    caller      text NOT NULL,
    hotline     text NOT NULL,
    agent       text NOT NULL,
    language    text NOT NULL,
    topic       text NOT NULL,
    since       timestamptz NOT NULL,
    recorded    boolean NOT NULL,
    lease_until timestamptz NOT NULL
);

-- +goose Down
DROP TABLE hotline_live_calls;
DROP TABLE hotline_registrations;
