-- Webhooks: where to push which bot's sessions and alerts, and how far each has got. What a
-- webhook must deliver is the change feed itself (sessions.seq, assigned in the commit's own
-- transaction), read above the webhook's cursor: ingest writes nothing more per webhook.
-- bot is '' for a webhook on every bot of the account. secret is the whsec_ form: it must stay
-- usable to sign, so it is stored as it is, protected like the rest of the file (see
-- docs/webhooks.md). Times are unix nanoseconds, 0 for none.
CREATE TABLE webhooks (
    id              TEXT    PRIMARY KEY,
    account         TEXT    NOT NULL,
    bot             TEXT    NOT NULL DEFAULT '',
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    cursor_seq      INTEGER NOT NULL DEFAULT 0,
    alert_cursor    INTEGER NOT NULL DEFAULT 0,
    epoch           INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ns INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_error_ns   INTEGER NOT NULL DEFAULT 0,
    mark_ns         INTEGER NOT NULL DEFAULT 0,
    mark_head       INTEGER NOT NULL DEFAULT 0,
    dead_lettered   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Ranges of a webhook's change feed (stream 'sessions') or alert feed ('alerts') given up on
-- after its receiver failed for the dead-letter period; "webhooks replay ID --from AFTER" sends them again.
CREATE TABLE webhook_dead_letters (
    webhook_id     TEXT    NOT NULL,
    stream         TEXT    NOT NULL,
    after_cursor   INTEGER NOT NULL,
    through_cursor INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    at_ns          INTEGER NOT NULL,
    error          TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, stream, after_cursor, through_cursor)
) WITHOUT ROWID;

-- Threshold alerts on a bot's §6 figures, with the state of their last evaluation (so that a
-- restart neither refires nor forgets a firing alert). window_s is the trailing window in
-- seconds; op is 'above' or 'below'.
CREATE TABLE alert_rules (
    id            TEXT    PRIMARY KEY,
    account       TEXT    NOT NULL,
    bot           TEXT    NOT NULL,
    metric        TEXT    NOT NULL,
    intent        TEXT    NOT NULL DEFAULT '',
    window_s      INTEGER NOT NULL,
    op            TEXT    NOT NULL,
    threshold     REAL NOT NULL,
    min_sessions  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    firing        INTEGER NOT NULL DEFAULT 0,
    since_ns      INTEGER NOT NULL DEFAULT 0,
    last_value    REAL NOT NULL DEFAULT 0,
    last_sessions INTEGER NOT NULL DEFAULT 0,
    evaluated_ns  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The alert feed: one row per transition (fired, resolved), written in the transaction that
-- records the rule's new state; webhooks subscribed to "alert" deliver it above their
-- alert_cursor. One node evaluates at a time (the "alerts" lease), so rows commit in seq order.
CREATE TABLE alert_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT    NOT NULL,
    bot     TEXT    NOT NULL,
    rule_id TEXT    NOT NULL,
    at_ns   INTEGER NOT NULL,
    body    TEXT    NOT NULL
);
CREATE INDEX alert_events_bot ON alert_events (account, bot, seq);
