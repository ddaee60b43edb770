-- +goose Up
-- Blobs (recordings, spoken answers) kept in PostgreSQL when BLOB_STORE is
-- postgres (the default): every node reads them and a backup of the
-- database holds them. A blob is its row in blobs plus chunks of at most
-- chunk_size bytes, so that a one-hour recording (~58 MB) is written and
-- read a piece at a time and a range request reads only the chunks it
-- covers. A blob is visible only once its row and all its chunks commit.
CREATE TABLE blobs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        text NOT NULL UNIQUE CHECK (key <> '' AND length(key) <= 512),
    size       bigint NOT NULL CHECK (size >= 0),
    chunk_size integer NOT NULL CHECK (chunk_size > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    blob_id bigint NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    seq     integer NOT NULL CHECK (seq >= 0),
    data    bytea NOT NULL,
    PRIMARY KEY (blob_id, seq)
);
-- Audio hardly compresses; EXTERNAL skips the attempt on every write.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE blob_chunks;
DROP TABLE blobs;
