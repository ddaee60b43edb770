-- +goose Up
-- Pre-aggregated figures for the leaders' summary and trend, so that a
-- year's summary reads a few tens of thousands of small rows instead of
-- every item (moderation/feedback/rollup.go reads them).
--
-- Every item counts on the day it was created, in Vietnam's time (the
-- dashboard's days): once per dimension (channel = source, status,
-- category, province, language; its current value, '' when unset) and once
-- per flag it has (responded, answered, escalated); and its whole minutes to
-- first response and to answer go into per-day histograms, so that medians
-- are exact to the minute.
--
-- Triggers on moderation_items append deltas (+n / -n rows, never an update
-- of a shared row, so writers never wait on each other); the compaction job
-- (feedback_rollup_compact, run by the escalation job) moves them into the
-- compacted tables. Readers add both up in one snapshot.

-- Whole minutes from a to b (rounded down): the unit of the medians.
-- Immutable all through (date_part of an interval), so that it is inlined.
CREATE FUNCTION feedback_minutes(a timestamptz, b timestamptz) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$SELECT floor(date_part('epoch', b - a) / 60)::integer$$;

-- The day of t in Vietnam (no daylight saving time there since 1975).
CREATE FUNCTION feedback_day(t timestamptz) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$SELECT (t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date$$;

-- The lower bound of the coarse histogram bucket of m minutes: each minute
-- below 16 is its own bucket, then 8 buckets per doubling (16, 18, …, 30,
-- 32, 36, …, 60, 64, 72, …), so a bucket is at most 1/8 of its values wide.
-- +goose StatementBegin
CREATE FUNCTION feedback_minute_bucket(m integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$SELECT CASE WHEN m < 16 THEN m ELSE m - m % (1 << width_bucket(m, ARRAY[16, 32, 64, 128, 256, 512, 1024,
        2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608, 16777216,
        33554432, 67108864, 134217728, 268435456, 536870912, 1073741824])) END$$;
-- +goose StatementEnd

-- What one item counts for: (day, dim, value) rows.
-- +goose StatementBegin
CREATE FUNCTION feedback_item_counts(p_created timestamptz, p_source text, p_status text, p_category text,
        p_province text, p_language text, p_first timestamptz, p_answered timestamptz, p_escalated boolean)
    RETURNS TABLE (day date, dim text, value text)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT feedback_day(p_created), k.dim, k.value
    FROM (VALUES ('channel', p_source), ('status', p_status), ('category', p_category),
                 ('province', p_province), ('language', p_language),
                 ('flag', CASE WHEN p_first IS NOT NULL THEN 'responded' END),
                 ('flag', CASE WHEN p_answered IS NOT NULL THEN 'answered' END),
                 ('flag', CASE WHEN p_escalated THEN 'escalated' END)) AS k (dim, value)
    WHERE k.value IS NOT NULL
    $$;
-- +goose StatementEnd

-- What one item puts in the response histograms: (day, kind, minutes) rows.
-- +goose StatementBegin
CREATE FUNCTION feedback_item_minutes(p_created timestamptz, p_first timestamptz, p_answered timestamptz)
    RETURNS TABLE (day date, kind text, minutes integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT feedback_day(p_created), k.kind, k.minutes
    FROM (VALUES ('first', feedback_minutes(p_created, p_first)),
                 ('answer', feedback_minutes(p_created, p_answered))) AS k (kind, minutes)
    WHERE k.minutes IS NOT NULL
    $$;
-- +goose StatementEnd

-- Compacted figures. n may be transiently negative for a key whose +1 is
-- still among the deltas: only the sum of both tables is meaningful.
CREATE TABLE feedback_daily_counts (
    day   date NOT NULL,
    dim   text NOT NULL,
    value text NOT NULL,
    n     bigint NOT NULL,
    PRIMARY KEY (day, dim, value)
);
-- Minutes to first response ('first') and to answer ('answer'), one row
-- per whole minute and day; read only in the narrow band of minutes where
-- the median lies, hence the key order.
CREATE TABLE feedback_daily_response (
    kind    text NOT NULL CHECK (kind IN ('first', 'answer')),
    minutes integer NOT NULL,
    day     date NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (kind, minutes, day)
);
-- The same by coarse bucket (feedback_minute_bucket): read whole for a
-- range, to find the bucket that holds the median.
CREATE TABLE feedback_daily_response_coarse (
    day    date NOT NULL,
    kind   text NOT NULL,
    bucket integer NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (day, kind, bucket)
);
-- Deltas appended by the triggers, not yet compacted (no index: inserts
-- stay cheap, and readers and the compaction read them whole).
CREATE TABLE feedback_count_deltas (
    day   date NOT NULL,
    dim   text NOT NULL,
    value text NOT NULL,
    n     bigint NOT NULL
);
CREATE TABLE feedback_response_deltas (
    day     date NOT NULL,
    kind    text NOT NULL,
    minutes integer NOT NULL,
    n       bigint NOT NULL
);

-- New and deleted items, a statement at a time: a COPY of a million items
-- appends a few tens of thousands of aggregated rows.
-- +goose StatementBegin
CREATE FUNCTION feedback_rollup_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO feedback_count_deltas (day, dim, value, n)
        SELECT k.day, k.dim, k.value, count(*)
        FROM new_rows r, feedback_item_counts(r.created_at, r.source, r.status, r.category, r.province, r.language,
                                              r.first_response_at, r.answered_at, r.escalated) k
        GROUP BY 1, 2, 3;
        INSERT INTO feedback_response_deltas (day, kind, minutes, n)
        SELECT m.day, m.kind, m.minutes, count(*)
        FROM new_rows r, feedback_item_minutes(r.created_at, r.first_response_at, r.answered_at) m
        GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO feedback_count_deltas (day, dim, value, n)
        SELECT k.day, k.dim, k.value, -count(*)
        FROM old_rows r, feedback_item_counts(r.created_at, r.source, r.status, r.category, r.province, r.language,
                                              r.first_response_at, r.answered_at, r.escalated) k
        GROUP BY 1, 2, 3;
        INSERT INTO feedback_response_deltas (day, kind, minutes, n)
        SELECT m.day, m.kind, m.minutes, -count(*)
        FROM old_rows r, feedback_item_minutes(r.created_at, r.first_response_at, r.answered_at) m
        GROUP BY 1, 2, 3;
    ELSE -- TRUNCATE
        TRUNCATE feedback_daily_counts, feedback_daily_response, feedback_daily_response_coarse,
                 feedback_count_deltas, feedback_response_deltas;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- A changed item: -1 for what it counted for, +1 for what it counts for
-- now, where they differ. The trigger's WHEN keeps the updates that change
-- none of the counted columns (claims, leases, notes) from calling it.
-- +goose StatementBegin
CREATE FUNCTION feedback_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedback_count_deltas (day, dim, value, n)
    SELECT k.day, k.dim, k.value, sum(k.n)
    FROM (SELECT o.day, o.dim, o.value, -1 AS n
          FROM feedback_item_counts(OLD.created_at, OLD.source, OLD.status, OLD.category, OLD.province, OLD.language,
                                    OLD.first_response_at, OLD.answered_at, OLD.escalated) o
          UNION ALL
          SELECT c.day, c.dim, c.value, 1
          FROM feedback_item_counts(NEW.created_at, NEW.source, NEW.status, NEW.category, NEW.province, NEW.language,
                                    NEW.first_response_at, NEW.answered_at, NEW.escalated) c) k
    GROUP BY 1, 2, 3
    HAVING sum(k.n) <> 0;
    IF (OLD.created_at, OLD.first_response_at, OLD.answered_at) IS DISTINCT FROM
       (NEW.created_at, NEW.first_response_at, NEW.answered_at) THEN
        INSERT INTO feedback_response_deltas (day, kind, minutes, n)
        SELECT k.day, k.kind, k.minutes, sum(k.n)
        FROM (SELECT o.day, o.kind, o.minutes, -1 AS n
              FROM feedback_item_minutes(OLD.created_at, OLD.first_response_at, OLD.answered_at) o
              UNION ALL
              SELECT c.day, c.kind, c.minutes, 1
              FROM feedback_item_minutes(NEW.created_at, NEW.first_response_at, NEW.answered_at) c) k
        GROUP BY 1, 2, 3
        HAVING sum(k.n) <> 0;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Moves up to batch rows of each delta table into the compacted tables and
-- drops the keys that fell to zero. One node at a time (an advisory lock;
-- the others get -1 and skip their turn). Returns the rows moved.
-- +goose StatementBegin
CREATE FUNCTION feedback_rollup_compact(batch integer, OUT counts integer, OUT responses integer)
    LANGUAGE plpgsql AS $$
DECLARE
    zd date[];
    zs text[];
    zv text[];
    zm integer[];
    cd date[];
    ck text[];
    cb integer[];
BEGIN
    IF NOT pg_try_advisory_xact_lock(5100051) THEN
        counts := -1;
        responses := -1;
        RETURN;
    END IF;
    WITH gone AS (
        DELETE FROM feedback_count_deltas
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM feedback_count_deltas LIMIT batch))
        RETURNING day, dim, value, n
    ), up AS (
        INSERT INTO feedback_daily_counts AS t (day, dim, value, n)
        SELECT day, dim, value, sum(n) FROM gone GROUP BY 1, 2, 3 HAVING sum(n) <> 0
        ON CONFLICT (day, dim, value) DO UPDATE SET n = t.n + excluded.n
        RETURNING t.day, t.dim, t.value, t.n
    )
    SELECT (SELECT count(*) FROM gone),
           array_agg(up.day) FILTER (WHERE up.n = 0), array_agg(up.dim) FILTER (WHERE up.n = 0),
           array_agg(up.value) FILTER (WHERE up.n = 0)
    INTO counts, zd, zs, zv
    FROM up;
    IF zd IS NOT NULL THEN
        DELETE FROM feedback_daily_counts t USING unnest(zd, zs, zv) AS z (day, dim, value)
        WHERE t.day = z.day AND t.dim = z.dim AND t.value = z.value AND t.n = 0;
    END IF;

    WITH gone AS (
        DELETE FROM feedback_response_deltas
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM feedback_response_deltas LIMIT batch))
        RETURNING day, kind, minutes, n
    ), fine AS (
        SELECT day, kind, minutes, sum(n) AS n FROM gone GROUP BY 1, 2, 3 HAVING sum(n) <> 0
    ), upf AS (
        INSERT INTO feedback_daily_response AS t (kind, minutes, day, n)
        SELECT kind, minutes, day, n FROM fine
        ON CONFLICT (kind, minutes, day) DO UPDATE SET n = t.n + excluded.n
        RETURNING t.kind, t.minutes, t.day, t.n
    ), upc AS (
        INSERT INTO feedback_daily_response_coarse AS t (day, kind, bucket, n)
        SELECT day, kind, feedback_minute_bucket(minutes), sum(n) FROM fine GROUP BY 1, 2, 3 HAVING sum(n) <> 0
        ON CONFLICT (day, kind, bucket) DO UPDATE SET n = t.n + excluded.n
        RETURNING t.day, t.kind, t.bucket, t.n
    )
    SELECT (SELECT count(*) FROM gone),
           (SELECT array_agg(day) FROM upf WHERE n = 0), (SELECT array_agg(kind) FROM upf WHERE n = 0),
           (SELECT array_agg(minutes) FROM upf WHERE n = 0),
           (SELECT array_agg(day) FROM upc WHERE n = 0), (SELECT array_agg(kind) FROM upc WHERE n = 0),
           (SELECT array_agg(bucket) FROM upc WHERE n = 0)
    INTO responses, zd, zs, zm, cd, ck, cb;
    IF zd IS NOT NULL THEN
        DELETE FROM feedback_daily_response t USING unnest(zs, zm, zd) AS z (kind, minutes, day)
        WHERE t.kind = z.kind AND t.minutes = z.minutes AND t.day = z.day AND t.n = 0;
    END IF;
    IF cd IS NOT NULL THEN
        DELETE FROM feedback_daily_response_coarse t USING unnest(cd, ck, cb) AS z (day, kind, bucket)
        WHERE t.day = z.day AND t.kind = z.kind AND t.bucket = z.bucket AND t.n = 0;
    END IF;
END $$;
-- +goose StatementEnd

-- No item may change while the triggers come and the old items are counted.
LOCK TABLE moderation_items IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER feedback_rollup_insert AFTER INSERT ON moderation_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedback_rollup_delta();
CREATE TRIGGER feedback_rollup_update
    AFTER UPDATE OF created_at, source, status, category, province, language, first_response_at, answered_at, escalated
    ON moderation_items FOR EACH ROW
    WHEN ((OLD.created_at, OLD.source, OLD.status, OLD.category, OLD.province, OLD.language,
           OLD.first_response_at, OLD.answered_at, OLD.escalated) IS DISTINCT FROM
          (NEW.created_at, NEW.source, NEW.status, NEW.category, NEW.province, NEW.language,
           NEW.first_response_at, NEW.answered_at, NEW.escalated))
    EXECUTE FUNCTION feedback_rollup_update();
CREATE TRIGGER feedback_rollup_delete AFTER DELETE ON moderation_items
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION feedback_rollup_delta();
CREATE TRIGGER feedback_rollup_truncate AFTER TRUNCATE ON moderation_items
    FOR EACH STATEMENT EXECUTE FUNCTION feedback_rollup_delta();

-- Backfill: the items already there, straight into the compacted tables.
INSERT INTO feedback_daily_counts (day, dim, value, n)
SELECT k.day, k.dim, k.value, count(*)
FROM moderation_items i, feedback_item_counts(i.created_at, i.source, i.status, i.category, i.province, i.language,
                                              i.first_response_at, i.answered_at, i.escalated) k
GROUP BY 1, 2, 3;
INSERT INTO feedback_daily_response (kind, minutes, day, n)
SELECT m.kind, m.minutes, m.day, count(*)
FROM moderation_items i, feedback_item_minutes(i.created_at, i.first_response_at, i.answered_at) m
GROUP BY 1, 2, 3;
INSERT INTO feedback_daily_response_coarse (day, kind, bucket, n)
SELECT day, kind, feedback_minute_bucket(minutes), sum(n) FROM feedback_daily_response GROUP BY 1, 2, 3;

-- "Overdue" of a range counts open items created in it: an index-only scan
-- of the open items alone.
CREATE INDEX moderation_items_open_created_idx ON moderation_items (created_at) INCLUDE (due_at)
    WHERE status IN ('pending', 'approved', 'info_requested');

-- +goose Down
DROP INDEX moderation_items_open_created_idx;
DROP TRIGGER feedback_rollup_truncate ON moderation_items;
DROP TRIGGER feedback_rollup_delete ON moderation_items;
DROP TRIGGER feedback_rollup_update ON moderation_items;
DROP TRIGGER feedback_rollup_insert ON moderation_items;
DROP FUNCTION feedback_rollup_compact(integer);
DROP FUNCTION feedback_rollup_update();
DROP FUNCTION feedback_rollup_delta();
DROP TABLE feedback_response_deltas;
DROP TABLE feedback_count_deltas;
DROP TABLE feedback_daily_response_coarse;
DROP TABLE feedback_daily_response;
DROP TABLE feedback_daily_counts;
DROP FUNCTION feedback_item_minutes(timestamptz, timestamptz, timestamptz);
DROP FUNCTION feedback_item_counts(timestamptz, text, text, text, text, text, timestamptz, timestamptz, boolean);
DROP FUNCTION feedback_minute_bucket(integer);
DROP FUNCTION feedback_day(timestamptz);
DROP FUNCTION feedback_minutes(timestamptz, timestamptz);
