-- +goose Up

-- Every room (conv:{id}, live:{id}) has a sequence: a message takes
-- last_seq + 1 in the transaction that stores it, so the row lock orders
-- concurrent senders and commit order equals sequence order.
CREATE TABLE chat_rooms (
    room     text PRIMARY KEY,
    last_seq bigint NOT NULL DEFAULT 0
);

CREATE TABLE chat_messages (
    room       text NOT NULL REFERENCES chat_rooms (room) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    -- text (a chat line), accepted, closed, question, answer, order, system
    kind       text NOT NULL DEFAULT 'text',
    body       text NOT NULL,
    author     text NOT NULL DEFAULT '',
    -- citizen, operator, leader, moderator, system
    author_role text NOT NULL DEFAULT '',
    author_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    -- who sent it, for idempotent resends: "u:{user id}" or "c:{conversation id}"
    sender     text NOT NULL DEFAULT '',
    client_id  text,
    data       jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room, seq)
);
-- A client that resends after a reconnect gets the first copy's seq back.
CREATE UNIQUE INDEX chat_messages_client_key ON chat_messages (room, sender, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE chat_conversations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- sha256 of the citizen's conversation token; the token is never stored.
    token_hash   bytea NOT NULL UNIQUE,
    citizen_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    name         text NOT NULL DEFAULT '',
    topic        text NOT NULL DEFAULT '',
    language     text NOT NULL DEFAULT 'vi',
    ip           text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'closed')),
    operator_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    accepted_at  timestamptz,
    closed_at    timestamptz,
    closed_by    text NOT NULL DEFAULT '',
    rating       smallint CHECK (rating BETWEEN 1 AND 5),
    transcript   text NOT NULL DEFAULT '',
    tracking_code text NOT NULL DEFAULT ''
);
CREATE INDEX chat_conversations_waiting_idx ON chat_conversations (created_at) WHERE status = 'waiting';
CREATE INDEX chat_conversations_operator_idx ON chat_conversations (operator_id) WHERE status = 'active';

CREATE TABLE live_sessions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL,
    description text NOT NULL DEFAULT '',
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    -- set when someone ends the session early; the archive is read-only after ends_at
    ended_at    timestamptz,
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX live_sessions_starts_idx ON live_sessions (starts_at);

CREATE TABLE live_session_leaders (
    session_id bigint NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE live_questions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    body        text NOT NULL,
    name        text NOT NULL DEFAULT '',
    citizen_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    ip          text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'answered')),
    -- moderators' running order among approved questions (smaller first)
    position    integer NOT NULL DEFAULT 0,
    tracking_code text NOT NULL DEFAULT '',
    -- the moderation item that decides it (moderation_items.id)
    item_id     bigint,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    approved_at timestamptz
);
CREATE INDEX live_questions_session_idx ON live_questions (session_id, status, position);

CREATE TABLE live_answers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES live_sessions (id) ON DELETE CASCADE,
    question_id bigint NOT NULL REFERENCES live_questions (id) ON DELETE CASCADE,
    leader_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    leader_name text NOT NULL DEFAULT '',
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_answers_question_idx ON live_answers (question_id);

-- +goose Down
DROP TABLE live_answers;
DROP TABLE live_questions;
DROP TABLE live_session_leaders;
DROP TABLE live_sessions;
DROP TABLE chat_conversations;
DROP TABLE chat_messages;
DROP TABLE chat_rooms;
