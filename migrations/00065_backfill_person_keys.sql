-- +goose Up
-- Items filed before 00056 have no person keys: their contact field holds
-- what the citizen typed. File them under the person as Enqueue does now
-- (internal/contact: an "@" makes it an e-mail address, lower-cased;
-- otherwise a phone number to E.164, Vietnam by default), so the console's
-- history finds them. Only rows with neither key are touched, so running
-- it again changes nothing; what reads as neither stays without a key.
-- +goose StatementBegin
CREATE FUNCTION pg_temp.backfill_phone(s text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    d    text;
    rest text;
BEGIN
    s := btrim(s);
    -- Digits and the separators contact.Phone accepts; one plus, before any digit.
    IF s = '' OR s !~ '^[0-9+ ().\-\u00a0]+$' OR s ~ '\+.*\+' OR s ~ '[0-9].*\+' THEN
        RETURN '';
    END IF;
    d := regexp_replace(s, '[^0-9]', '', 'g');
    IF strpos(s, '+') > 0 THEN
        NULL;
    ELSIF d LIKE '00%' THEN
        d := substr(d, 3);
    ELSIF d LIKE '0%' THEN
        d := '84' || substr(d, 2);
    ELSIF NOT (d LIKE '84%' AND length(d) >= 11) THEN
        RETURN '';
    END IF;
    IF d LIKE '84%' THEN
        rest := substr(d, 3);
        IF rest LIKE '0%' THEN
            rest := substr(rest, 2);
        END IF;
        IF length(rest) < 9 OR length(rest) > 10 THEN
            RETURN '';
        END IF;
        d := '84' || rest;
    END IF;
    IF length(d) < 8 OR length(d) > 15 OR d LIKE '0%' THEN
        RETURN '';
    END IF;
    RETURN '+' || d;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pg_temp.backfill_email(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v ~ '^[^@[:space:]<>,;"\\]{1,64}@[^@[:space:]<>,;"\\]+$'
                 AND split_part(v, '@', 2) ~ '^[^.].*\.[^.]*[^.]$'
                 AND strpos(split_part(v, '@', 2), '..') = 0
                 AND octet_length(v) <= 254
            THEN v ELSE '' END
    FROM (SELECT lower(btrim(s)) AS v) x
$$;
-- +goose StatementEnd
UPDATE moderation_items
SET citizen_phone = CASE WHEN strpos(contact, '@') = 0 THEN pg_temp.backfill_phone(contact) ELSE '' END,
    citizen_email = CASE WHEN strpos(contact, '@') > 0 THEN pg_temp.backfill_email(contact) ELSE '' END
WHERE citizen_phone = '' AND citizen_email = '' AND btrim(contact) <> '';
DROP FUNCTION pg_temp.backfill_phone(text);
DROP FUNCTION pg_temp.backfill_email(text);

-- +goose Down
-- The keys stay: they are what Enqueue writes for new items too.
SELECT 1;
