-- +goose Up
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE because its dictionary could change; indexes need
-- an IMMUTABLE function, so wrap it with the dictionary named explicitly.
-- vn_fold folds case, tone marks and đ so "khong dau" meets "không dấu".
-- +goose StatementBegin
CREATE FUNCTION vn_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT lower(public.unaccent('public.unaccent'::regdictionary, replace(replace(normalize(t, NFC), 'đ', 'd'), 'Đ', 'D')))
$$;
-- +goose StatementEnd

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         text NOT NULL,
    role          text NOT NULL CHECK (role IN ('citizen', 'moderator', 'leader', 'admin')),
    display_name  text NOT NULL DEFAULT '',
    phone         text,
    email         text,
    password_hash text NOT NULL,
    -- md5(login:doithoai:password) for SIP digest auth; only for --sip agents.
    sip_ha1       text,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_login_key ON users (lower(login));

CREATE TABLE sessions (
    -- sha256 of the token; the token itself is never stored.
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
DROP TABLE users;
DROP FUNCTION vn_fold(text);
