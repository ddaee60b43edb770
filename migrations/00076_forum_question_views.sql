-- +goose Up
-- View counts move to a narrow table of their own. Flushing them every few
-- seconds used to rewrite whole question rows (~3 KB with body_html and
-- search_vec): with no room in their pages those updates were not HOT and
-- inserted into every index, the GIN search index included. A row here is
-- a few dozen bytes with one index, and a view no longer changes the
-- question row, which the page cache (00077) watches for changes.
CREATE TABLE forum_question_views (
    question_id bigint PRIMARY KEY REFERENCES forum_questions (id) ON DELETE CASCADE,
    views       bigint NOT NULL DEFAULT 0
);
INSERT INTO forum_question_views (question_id, views)
SELECT id, views FROM forum_questions WHERE views > 0;
ALTER TABLE forum_questions DROP COLUMN views;

-- +goose Down
ALTER TABLE forum_questions ADD COLUMN views bigint NOT NULL DEFAULT 0;
UPDATE forum_questions q SET views = v.views FROM forum_question_views v WHERE v.question_id = q.id;
DROP TABLE forum_question_views;
