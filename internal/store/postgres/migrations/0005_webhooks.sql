-- Webhooks: where to push which bot's sessions and alerts, and how far each has got. What a
-- webhook must deliver is the change feed itself (sessions.seq, assigned in the commit's own
-- transaction), read above the webhook's cursor: ingest writes nothing more per webhook.
-- bot is '' for a webhook on every bot of the account. secret is the whsec_ form: it must stay
-- usable to sign, so it is stored as it is, protected like the rest of the file (see
-- docs/webhooks.md). Times are unix nanoseconds, 0 for none.
CREATE TABLE webhooks (
    id              TEXT    PRIMARY KEY,
    account         TEXT    COLLATE "C" NOT NULL,
    bot             TEXT    COLLATE "C" NOT NULL DEFAULT '',
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    cursor_seq      BIGINT NOT NULL DEFAULT 0,
    alert_cursor    BIGINT NOT NULL DEFAULT 0,
    epoch           BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_ns BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_error_ns   BIGINT NOT NULL DEFAULT 0,
    mark_ns         BIGINT NOT NULL DEFAULT 0,
    mark_head       BIGINT NOT NULL DEFAULT 0,
    dead_lettered   BIGINT NOT NULL DEFAULT 0
);

-- Ranges of a webhook's change feed (stream 'sessions') or alert feed ('alerts') given up on
-- after its receiver failed for the dead-letter period; "webhooks replay ID --from AFTER" sends them again.
CREATE TABLE webhook_dead_letters (
    webhook_id     TEXT    NOT NULL,
    stream         TEXT    NOT NULL,
    after_cursor   BIGINT NOT NULL,
    through_cursor BIGINT NOT NULL,
    count          BIGINT NOT NULL,
    at_ns          BIGINT NOT NULL,
    error          TEXT    NOT NULL,
    PRIMARY KEY (webhook_id, stream, after_cursor, through_cursor)
);

-- Named leases with an expiry by the database's clock: the node holding "webhook:ID" is the one
-- delivering that webhook, and renews the lease every few seconds; when it dies the lease
-- expires and another node takes it.
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    node       TEXT   NOT NULL,
    expires_ns BIGINT NOT NULL
);

-- Threshold alerts on a bot's §6 figures, with the state of their last evaluation (so that a
-- restart neither refires nor forgets a firing alert). window_s is the trailing window in
-- seconds; op is 'above' or 'below'.
CREATE TABLE alert_rules (
    id            TEXT    PRIMARY KEY,
    account       TEXT    COLLATE "C" NOT NULL,
    bot           TEXT    COLLATE "C" NOT NULL,
    metric        TEXT    NOT NULL,
    intent        TEXT    NOT NULL DEFAULT '',
    window_s      BIGINT NOT NULL,
    op            TEXT    NOT NULL,
    threshold     DOUBLE PRECISION NOT NULL,
    min_sessions  BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    firing        BOOLEAN NOT NULL DEFAULT FALSE,
    since_ns      BIGINT NOT NULL DEFAULT 0,
    last_value    DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_sessions BIGINT NOT NULL DEFAULT 0,
    evaluated_ns  BIGINT NOT NULL DEFAULT 0
);

-- The alert feed: one row per transition (fired, resolved), written in the transaction that
-- records the rule's new state; webhooks subscribed to "alert" deliver it above their
-- alert_cursor. One node evaluates at a time (the "alerts" lease), so rows commit in seq order.
CREATE TABLE alert_events (
    seq     BIGSERIAL PRIMARY KEY,
    account TEXT    COLLATE "C" NOT NULL,
    bot     TEXT    COLLATE "C" NOT NULL,
    rule_id TEXT    NOT NULL,
    at_ns   BIGINT NOT NULL,
    body    TEXT    NOT NULL
);
CREATE INDEX alert_events_bot ON alert_events (account, bot, seq);
