-- +goose Up
CREATE TABLE departments (
    slug text PRIMARY KEY,
    name text NOT NULL,
    -- handles complaints and denunciations (khiếu nại, tố cáo) under their own legal procedure
    handles_complaints boolean NOT NULL DEFAULT false
);

CREATE TABLE moderation_items (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           text NOT NULL CHECK (source IN ('forum_question', 'forum_reply', 'report', 'chat_conversation', 'live_question', 'hotline_ticket')),
    ref              text NOT NULL,
    tracking_code    text UNIQUE,
    title            text NOT NULL DEFAULT '',
    content          text NOT NULL,
    kind             text NOT NULL DEFAULT 'question' CHECK (kind IN ('question', 'feedback', 'complaint', 'denunciation', 'report', 'conversation')),
    citizen_id       bigint REFERENCES users (id) ON DELETE SET NULL,
    contact          text NOT NULL DEFAULT '',
    category         text NOT NULL DEFAULT '',
    province         text NOT NULL DEFAULT '',
    language         text NOT NULL DEFAULT '',
    priority         smallint NOT NULL DEFAULT 0,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'info_requested', 'answered', 'rejected', 'closed', 'merged')),
    assignee_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    lease_expires_at timestamptz,
    department       text REFERENCES departments (slug),
    escalated        boolean NOT NULL DEFAULT false,
    escalated_at     timestamptz,
    merged_into      bigint REFERENCES moderation_items (id),
    reason           text NOT NULL DEFAULT '',
    answer           text NOT NULL DEFAULT '',
    public_url       text NOT NULL DEFAULT '',
    meta             jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    first_response_at timestamptz,
    answered_at      timestamptz,
    closed_at        timestamptz,
    due_at           timestamptz NOT NULL,
    UNIQUE (source, ref)
);
-- Claim-next walks only unassigned open items, in priority then due order;
-- claimed items leave this index, so a busy queue never scans past them.
CREATE INDEX moderation_items_claimable_idx ON moderation_items (priority DESC, due_at, id)
    WHERE status IN ('pending', 'approved') AND assignee_id IS NULL;
CREATE INDEX moderation_items_status_idx ON moderation_items (status, source, created_at DESC);
CREATE INDEX moderation_items_lease_idx ON moderation_items (lease_expires_at) WHERE assignee_id IS NOT NULL AND lease_expires_at IS NOT NULL;
CREATE INDEX moderation_items_citizen_idx ON moderation_items (citizen_id) WHERE citizen_id IS NOT NULL;
CREATE INDEX moderation_items_contact_idx ON moderation_items (contact) WHERE contact <> '';
CREATE INDEX moderation_items_created_idx ON moderation_items (created_at);
CREATE INDEX moderation_items_escalated_idx ON moderation_items (escalated_at DESC) WHERE escalated;

-- The audit log is append-only: the trigger refuses UPDATE and DELETE.
CREATE TABLE moderation_audit (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id  bigint NOT NULL REFERENCES moderation_items (id),
    actor_id bigint REFERENCES users (id),
    action   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    note     text NOT NULL DEFAULT '',
    before   jsonb,
    after    jsonb
);
CREATE INDEX moderation_audit_item_idx ON moderation_audit (item_id, id);

-- +goose StatementBegin
CREATE FUNCTION moderation_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'moderation_audit is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER moderation_audit_no_change BEFORE UPDATE OR DELETE ON moderation_audit
    FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only();

CREATE TABLE canned_answers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text NOT NULL,
    body       text NOT NULL,
    language   text NOT NULL DEFAULT 'vi',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A leader's instruction on an item (ý kiến chỉ đạo), tracked until done.
CREATE TABLE directives (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     bigint NOT NULL REFERENCES moderation_items (id),
    leader_id   bigint NOT NULL REFERENCES users (id),
    note        text NOT NULL,
    department  text REFERENCES departments (slug),
    deadline    timestamptz,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz
);
CREATE INDEX directives_item_idx ON directives (item_id);
CREATE INDEX directives_open_idx ON directives (deadline) WHERE status = 'open';

-- +goose Down
DROP TABLE directives;
DROP TABLE canned_answers;
DROP TABLE moderation_audit;
DROP FUNCTION moderation_audit_append_only();
DROP TABLE moderation_items;
DROP TABLE departments;
