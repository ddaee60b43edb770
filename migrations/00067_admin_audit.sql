-- +goose Up
-- Every admin action (users, categories, departments, canned answers,
-- hotline topics and hours, SLA, holidays, retention): who, when, what,
-- before and after. Append-only like moderation_audit; it has no item, so
-- it is its own table. actor_login is kept as well as actor_id so that the
-- entry reads the same whatever later happens to the account.
CREATE TABLE admin_audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    bigint REFERENCES users (id),
    actor_login text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now(),
    before      jsonb,
    after       jsonb
);
CREATE INDEX admin_audit_at_idx ON admin_audit (at DESC, id DESC);
CREATE INDEX admin_audit_target_idx ON admin_audit (target, id DESC);

-- +goose StatementBegin
CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'admin_audit is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER admin_audit_no_change BEFORE UPDATE OR DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only();

-- +goose Down
DROP TABLE admin_audit;
DROP FUNCTION admin_audit_append_only();
