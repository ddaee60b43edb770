-- +goose Up
-- Every question has its views row from the moment it exists. The table
-- used to get a row on a question's first flushed view, so after a load,
-- an import or a purge it sat empty (and was analysed empty) next to a full
-- forum_questions; the generic plan a node's statement cache keeps for the
-- question page then scanned it on every page miss while the flusher filled
-- it (BENCHMARKS.md, question page cache). With a row per question the two
-- tables grow together, their statistics agree, and the plan is an index
-- look-up. The flusher keeps its upsert for rows made before this.
-- +goose StatementBegin
CREATE FUNCTION forum_question_views_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO forum_question_views (question_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER forum_question_views_row AFTER INSERT ON forum_questions
    FOR EACH ROW EXECUTE FUNCTION forum_question_views_row();
INSERT INTO forum_question_views (question_id)
SELECT id FROM forum_questions ON CONFLICT DO NOTHING;
ANALYZE forum_question_views;

-- +goose Down
DROP TRIGGER forum_question_views_row ON forum_questions;
DROP FUNCTION forum_question_views_row();
DELETE FROM forum_question_views WHERE views = 0;
