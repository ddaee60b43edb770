-- +goose Up
-- The hotline's languages are configuration: the language menu is built at
-- call time from the active ones that have a language_menu prompt, each at
-- its key. A key belongs to one language, active or not, so staff can pick
-- any language by its key when recording prompts by phone.
CREATE TABLE hotline_languages (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_-]{0,39}$'),
    name       text NOT NULL CHECK (name <> '' AND char_length(name) <= 60),
    menu_key   text NOT NULL UNIQUE CHECK (menu_key ~ '^[0-9]$'),
    active     boolean NOT NULL DEFAULT false,
    updated_by bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Vietnamese and English as before; the minority languages start inactive
-- with their names spoken in Vietnamese (embedded language_menu clips), so
-- an admin can switch one on before local recordings exist.
INSERT INTO hotline_languages (code, name, menu_key, active) VALUES
    ('vi', 'Tiếng Việt', '1', true),
    ('en', 'English', '2', true),
    ('hmn', 'Tiếng H''Mông', '3', false),
    ('tay', 'Tiếng Tày', '4', false),
    ('tha', 'Tiếng Thái', '5', false),
    ('km', 'Tiếng Khmer', '6', false),
    ('dao', 'Tiếng Dao', '7', false);

-- Prompts uploaded or recorded by phone, converted to 8 kHz mono 16-bit
-- WAV; they override the embedded defaults on every node. (Issue 13 may
-- move the bytes to object storage; the table stays the index.)
CREATE TABLE hotline_prompts (
    language   text NOT NULL REFERENCES hotline_languages (code) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    wav        bytea NOT NULL,
    source     text NOT NULL CHECK (source IN ('upload', 'phone')),
    updated_by bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (language, name)
);

-- +goose Down
DROP TABLE hotline_prompts;
DROP TABLE hotline_languages;
