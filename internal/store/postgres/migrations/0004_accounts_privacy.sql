-- Per-account settings. Today: the personal-data policy applied at ingest, one mode per
-- personal field (keep, mask, hash, drop). An account without a row keeps everything.
-- Per-account retention will be a column of this table too.
CREATE TABLE accounts (
    account      TEXT   COLLATE "C" PRIMARY KEY,
    ani_mode     TEXT   NOT NULL DEFAULT 'keep',
    dni_mode     TEXT   NOT NULL DEFAULT 'keep',
    user_id_mode TEXT   NOT NULL DEFAULT 'keep',
    updated_at   BIGINT NOT NULL
);

-- The key of the "hash" policy's pseudonyms: one per database, shared by every node, made here
-- once and never changed. gen_random_uuid() (built in since PostgreSQL 13, no extension needed)
-- draws from the server's cryptographic random source; two version-4 UUIDs give 32 bytes, of
-- which 244 bits are random.
CREATE TABLE pseudonym_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BYTEA   NOT NULL
);
INSERT INTO pseudonym_key (id, key)
VALUES (1, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
