-- Sessions assembled from events. Times are unix nanoseconds; NULL means "not known yet".
-- seq is the cursor of the latest visible change, NULL while the session is incomplete.
CREATE TABLE sessions (
    account       TEXT    NOT NULL,
    bot           TEXT    NOT NULL,
    session_id    TEXT    NOT NULL,
    channel       TEXT    NOT NULL DEFAULT '',
    ani           TEXT    NOT NULL DEFAULT '',
    dni           TEXT    NOT NULL DEFAULT '',
    user_id       TEXT    NOT NULL DEFAULT '',
    start_ns      INTEGER,
    end_ns        INTEGER,
    status        TEXT    NOT NULL DEFAULT '',
    deflected_to  TEXT,
    time_handled  INTEGER,
    intents       TEXT    NOT NULL DEFAULT '[]',
    seq           INTEGER,
    completed_seq INTEGER,
    PRIMARY KEY (account, bot, session_id)
) WITHOUT ROWID;

-- The read API walks this index from its newest end and stops after `limit` rows, so a read
-- costs the same with a thousand sessions stored as with millions.
CREATE INDEX sessions_latest ON sessions (account, bot, end_ns DESC, session_id DESC) WHERE seq IS NOT NULL;
-- Stream resume for one bot, and the global change feed.
CREATE INDEX sessions_bot_seq ON sessions (account, bot, seq) WHERE seq IS NOT NULL;
-- Also where the writer reads the newest cursor (MAX(seq)): no counter row to rewrite per commit.
CREATE UNIQUE INDEX sessions_seq ON sessions (seq) WHERE seq IS NOT NULL;

-- Every event ever accepted, by eventId or content digest: what makes retries harmless.
CREATE TABLE events_seen (
    account TEXT NOT NULL,
    bot     TEXT NOT NULL,
    key     TEXT NOT NULL,
    PRIMARY KEY (account, bot, key)
) WITHOUT ROWID;


CREATE TABLE apps (
    client_id     TEXT PRIMARY KEY,
    client_secret TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    bots          TEXT    NOT NULL DEFAULT '[]',
    all_bots      INTEGER NOT NULL DEFAULT 0,
    scopes        TEXT    NOT NULL DEFAULT '[]',
    enforce_jti   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
) WITHOUT ROWID;

-- Token ids of enforce-JTI apps, kept until the token expires so a replay is refused even
-- after a restart.
CREATE TABLE used_jtis (
    client_id  TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
) WITHOUT ROWID;
CREATE INDEX used_jtis_expires ON used_jtis (expires_at);
