-- +goose Up
CREATE TABLE forum_categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    name_en     text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    -- pre: hidden until a moderator approves; post: public at once, reviewed after
    moderation  text NOT NULL DEFAULT 'pre' CHECK (moderation IN ('pre', 'post')),
    position    int NOT NULL DEFAULT 0
);

CREATE TABLE forum_questions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id    bigint NOT NULL REFERENCES forum_categories (id),
    author_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    author_name    text NOT NULL DEFAULT '',
    contact        text NOT NULL DEFAULT '',
    title          text NOT NULL,
    slug           text NOT NULL DEFAULT '',
    body           text NOT NULL,
    body_html      text NOT NULL,
    kind           text NOT NULL DEFAULT 'question' CHECK (kind IN ('question', 'feedback', 'complaint', 'denunciation')),
    visibility     text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    province       text NOT NULL DEFAULT '',
    district       text NOT NULL DEFAULT '',
    commune        text NOT NULL DEFAULT '',
    language       text NOT NULL DEFAULT 'vi',
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'answered', 'closed', 'rejected')),
    reject_reason  text NOT NULL DEFAULT '',
    info_request   text NOT NULL DEFAULT '',
    duplicate_of   bigint REFERENCES forum_questions (id),
    tracking_code  text NOT NULL UNIQUE,
    -- when the asker agreed to how their data is used; NULL only for
    -- API submissions that carry no personal data at all
    consent_at     timestamptz,
    votes          int NOT NULL DEFAULT 0,
    views          bigint NOT NULL DEFAULT 0,
    reopen_count   int NOT NULL DEFAULT 0,
    reopen_reason  text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    answered_at    timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    search_vec     tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, vn_fold(title)), 'A') ||
        setweight(to_tsvector('simple'::regconfig, vn_fold(body)), 'B')) STORED
);
-- Only what the public may see is searched and listed, so the indexes hold
-- only that: pending, rejected and private questions never show.
CREATE INDEX forum_questions_search_idx ON forum_questions USING gin (search_vec)
    WHERE status IN ('published', 'answered', 'closed') AND visibility = 'public';
CREATE INDEX forum_questions_public_new_idx ON forum_questions (created_at DESC, id DESC)
    WHERE status IN ('published', 'answered', 'closed') AND visibility = 'public';
CREATE INDEX forum_questions_public_cat_idx ON forum_questions (category_id, created_at DESC, id DESC)
    WHERE status IN ('published', 'answered', 'closed') AND visibility = 'public';
CREATE INDEX forum_questions_votes_idx ON forum_questions (votes DESC, id DESC)
    WHERE status IN ('published', 'answered', 'closed') AND visibility = 'public';
CREATE INDEX forum_questions_answered_idx ON forum_questions (answered_at DESC, id DESC)
    WHERE status IN ('answered', 'closed') AND visibility = 'public' AND answered_at IS NOT NULL;
CREATE INDEX forum_questions_author_idx ON forum_questions (author_id, created_at DESC) WHERE author_id IS NOT NULL;

CREATE TABLE forum_replies (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question_id bigint NOT NULL REFERENCES forum_questions (id),
    author_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    author_name text NOT NULL DEFAULT '',
    body        text NOT NULL,
    body_html   text NOT NULL,
    official    boolean NOT NULL DEFAULT false,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'rejected')),
    consent_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forum_replies_question_idx ON forum_replies (question_id, official DESC, created_at);

-- One "I have this question too" per voter: a user id, or a hash of the
-- browser's anonymous token.
CREATE TABLE forum_votes (
    question_id bigint NOT NULL REFERENCES forum_questions (id),
    voter       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (question_id, voter)
);

CREATE TABLE forum_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question_id bigint NOT NULL REFERENCES forum_questions (id),
    reply_id    bigint REFERENCES forum_replies (id),
    reporter_id bigint REFERENCES users (id) ON DELETE SET NULL,
    reason      text NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE forum_reports;
DROP TABLE forum_votes;
DROP TABLE forum_replies;
DROP TABLE forum_questions;
DROP TABLE forum_categories;
