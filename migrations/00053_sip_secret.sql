-- +goose Up
-- SIP agents get a secret of their own (`doithoai user sip-secret`). The
-- HA1s stored so far were md5(login:doithoai:web password), so a cracked
-- digest opened the console: they are dropped. sip_agent keeps who is an
-- agent (moderators and admins only) until an operator issues each one a
-- secret; until then their phones are refused.
ALTER TABLE users ADD COLUMN sip_agent boolean NOT NULL DEFAULT false;
UPDATE users SET sip_agent = true WHERE sip_ha1 IS NOT NULL AND role IN ('moderator', 'admin');
UPDATE users SET sip_ha1 = NULL WHERE sip_ha1 IS NOT NULL;
COMMENT ON COLUMN users.sip_ha1 IS 'md5(login:doithoai:SIP secret) of a SIP agent; never derived from the web password';

-- +goose Down
ALTER TABLE users DROP COLUMN sip_agent;
