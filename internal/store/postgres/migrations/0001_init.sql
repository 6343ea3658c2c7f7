-- Sessions assembled from events. Times are unix nanoseconds; NULL means "not known yet".
-- seq is the cursor of the latest visible change, NULL while the session is incomplete.
-- The types are plain (TEXT, BIGINT, BOOLEAN) so that PostgreSQL-compatible distributed SQL
-- databases accept the schema as it is.
-- Ids compare bytewise (COLLATE "C"), as in SQLite: the read API breaks endTime ties by
-- sessionId, and that order must not depend on the database's locale. It also keeps the
-- indexes on ids free of locale-aware comparisons.
CREATE TABLE sessions (
    account       TEXT    COLLATE "C" NOT NULL,
    bot           TEXT    COLLATE "C" NOT NULL,
    session_id    TEXT    COLLATE "C" NOT NULL,
    channel       TEXT    NOT NULL DEFAULT '',
    ani           TEXT    NOT NULL DEFAULT '',
    dni           TEXT    NOT NULL DEFAULT '',
    user_id       TEXT    NOT NULL DEFAULT '',
    start_ns      BIGINT,
    end_ns        BIGINT,
    status        TEXT    NOT NULL DEFAULT '',
    deflected_to  TEXT,
    time_handled  BIGINT,
    intents       TEXT    NOT NULL DEFAULT '[]',
    seq           BIGINT,
    completed_seq BIGINT,
    PRIMARY KEY (account, bot, session_id)
);

-- The read API walks this index from its newest end and stops after `limit` rows.
CREATE INDEX sessions_latest ON sessions (account, bot, end_ns DESC, session_id DESC) WHERE seq IS NOT NULL;
-- Stream resume for one bot, and the global change feed every node tails.
CREATE INDEX sessions_bot_seq ON sessions (account, bot, seq) WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX sessions_seq ON sessions (seq) WHERE seq IS NOT NULL;

-- Every event ever accepted, by eventId or content digest: what makes retries harmless.
CREATE TABLE events_seen (
    account TEXT NOT NULL,
    bot     TEXT NOT NULL,
    key     TEXT NOT NULL,
    PRIMARY KEY (account, bot, key)
);

-- The cursor counter. Apply locks its row first (SELECT ... FOR UPDATE), which serialises the
-- writers of every node for the length of one group commit, so cursors follow commit order.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

CREATE TABLE apps (
    client_id     TEXT PRIMARY KEY,
    client_secret TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    bots          TEXT    NOT NULL DEFAULT '[]',
    all_bots      BOOLEAN NOT NULL DEFAULT FALSE,
    scopes        TEXT    NOT NULL DEFAULT '[]',
    enforce_jti   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL,
    revoked_at    BIGINT
);

-- Token ids of enforce-JTI apps, kept until the token expires; the primary key refuses a replay
-- whichever node sees it.
CREATE TABLE used_jtis (
    client_id  TEXT   NOT NULL,
    jti        TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX used_jtis_expires ON used_jtis (expires_at);
