-- Per-account settings. Today: the personal-data policy applied at ingest, one mode per
-- personal field (keep, mask, hash, drop). An account without a row keeps everything.
-- Per-account retention will be a column of this table too.
CREATE TABLE accounts (
    account      TEXT    PRIMARY KEY,
    ani_mode     TEXT    NOT NULL DEFAULT 'keep',
    dni_mode     TEXT    NOT NULL DEFAULT 'keep',
    user_id_mode TEXT    NOT NULL DEFAULT 'keep',
    updated_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- The key of the "hash" policy's pseudonyms: one per database, made here once from SQLite's
-- cryptographic random source and never changed, so every pseudonym of a caller stays the same.
CREATE TABLE pseudonym_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB    NOT NULL
);
INSERT INTO pseudonym_key (id, key) VALUES (1, randomblob(32));
