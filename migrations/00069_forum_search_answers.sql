-- +goose Up
-- Search finds questions by their official answer too (a citizen looks
-- for "giấy chứng nhận" and the question only says "sổ đỏ"). The answer's
-- text is kept on the question by a trigger on forum_replies, so every way
-- an answer is published (moderation, a live answer sent to the forum)
-- keeps it, and search_vec stays one generated column with one GIN index.
ALTER TABLE forum_questions ADD COLUMN answer_text text NOT NULL DEFAULT '';
UPDATE forum_questions q SET answer_text = a.body
FROM (SELECT question_id, string_agg(body, E'\n' ORDER BY id) AS body
      FROM forum_replies WHERE official AND status = 'published' GROUP BY question_id) a
WHERE a.question_id = q.id;

DROP INDEX forum_questions_search_idx;
ALTER TABLE forum_questions DROP COLUMN search_vec;
ALTER TABLE forum_questions ADD COLUMN search_vec tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, vn_fold(title)), 'A') ||
    setweight(to_tsvector('simple'::regconfig, vn_fold(body)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, vn_fold(answer_text)), 'C')) STORED;
CREATE INDEX forum_questions_search_idx ON forum_questions USING gin (search_vec)
    WHERE status IN ('published', 'answered', 'closed') AND visibility = 'public';

-- +goose StatementBegin
CREATE FUNCTION forum_answer_text_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE forum_questions SET answer_text = coalesce((
        SELECT string_agg(body, E'\n' ORDER BY id) FROM forum_replies
        WHERE question_id = NEW.question_id AND official AND status = 'published'), '')
    WHERE id = NEW.question_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER forum_answer_text_sync AFTER INSERT OR UPDATE OF body, status, official ON forum_replies
    FOR EACH ROW WHEN (NEW.official) EXECUTE FUNCTION forum_answer_text_sync();

-- +goose Down
DROP TRIGGER forum_answer_text_sync ON forum_replies;
DROP FUNCTION forum_answer_text_sync();
DROP INDEX forum_questions_search_idx;
ALTER TABLE forum_questions DROP COLUMN search_vec;
ALTER TABLE forum_questions ADD COLUMN search_vec tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, vn_fold(title)), 'A') ||
    setweight(to_tsvector('simple'::regconfig, vn_fold(body)), 'B')) STORED;
CREATE INDEX forum_questions_search_idx ON forum_questions USING gin (search_vec)
    WHERE status IN ('published', 'answered', 'closed') AND visibility = 'public';
ALTER TABLE forum_questions DROP COLUMN answer_text;
