-- +goose Up
-- Every node keeps the question pages it served anonymous visitors in
-- memory (forum/page_cache.go). A change to what a page shows is announced
-- by these triggers with NOTIFY forum_pages (payload: the question id, or
-- "*" for every page). NOTIFY is sent on commit, to every node listening
-- on the database, with or without Redis, and whichever package's
-- transaction made the change (an answer through moderation, a vote, a
-- live answer sent to the forum, retention): no write path can forget it.
-- +goose StatementBegin
CREATE FUNCTION forum_page_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'forum_categories' THEN
        PERFORM pg_notify('forum_pages', '*');
    ELSIF TG_TABLE_NAME = 'forum_questions' THEN
        PERFORM pg_notify('forum_pages', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
    ELSE
        PERFORM pg_notify('forum_pages', (CASE WHEN TG_OP = 'DELETE' THEN OLD.question_id ELSE NEW.question_id END)::text);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- A new question is in no cache yet: updates and deletes only.
CREATE TRIGGER forum_page_notify AFTER UPDATE OR DELETE ON forum_questions
    FOR EACH ROW EXECUTE FUNCTION forum_page_notify();
CREATE TRIGGER forum_page_notify AFTER INSERT OR UPDATE OR DELETE ON forum_replies
    FOR EACH ROW EXECUTE FUNCTION forum_page_notify();
CREATE TRIGGER forum_page_notify AFTER UPDATE OR DELETE ON forum_categories
    FOR EACH STATEMENT EXECUTE FUNCTION forum_page_notify();

-- +goose Down
DROP TRIGGER forum_page_notify ON forum_categories;
DROP TRIGGER forum_page_notify ON forum_replies;
DROP TRIGGER forum_page_notify ON forum_questions;
DROP FUNCTION forum_page_notify();
