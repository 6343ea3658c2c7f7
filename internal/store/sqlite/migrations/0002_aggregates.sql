-- The summary's per-minute aggregates (docs/analytics.md "The aggregates a store keeps"), kept
-- current by Apply in the transaction that writes the sessions. A day's summary reads about a
-- day's worth of these rows, however many sessions they count.
CREATE TABLE aggregates (
    account      TEXT    NOT NULL,
    bot          TEXT    NOT NULL,
    minute       INTEGER NOT NULL,
    channel      TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    deflected_to TEXT    NOT NULL,
    intent       TEXT    NOT NULL,
    sessions     INTEGER NOT NULL,
    no_intent    INTEGER NOT NULL,
    handled_sum  INTEGER NOT NULL,
    hist         BLOB    NOT NULL,
    PRIMARY KEY (account, bot, minute, channel, status, deflected_to, intent)
) WITHOUT ROWID;

-- Apply adds deltas with one upsert per chunk of rows and never reads a row back, so these
-- refuse what would put the aggregates out of step with the sessions: a delta that takes a
-- row below zero sessions, or one that creates a row without any.
CREATE TRIGGER aggregates_not_negative BEFORE UPDATE OF sessions ON aggregates WHEN NEW.sessions < 0
BEGIN SELECT RAISE(ABORT, 'aggregates out of step: a row below zero sessions'); END;
CREATE TRIGGER aggregates_not_empty AFTER INSERT ON aggregates WHEN NEW.sessions <= 0
BEGIN SELECT RAISE(ABORT, 'aggregates out of step: a new row without sessions'); END;

-- The same rows rolled up to their UTC hour (minute = the hour's first minute), kept in the same
-- transactions from the same deltas: a summary whose bucket edges all start an hour (1h and 1d
-- buckets in whole-hour zones) reads these, some sixty times fewer rows.
CREATE TABLE aggregates_hourly (
    account      TEXT    NOT NULL,
    bot          TEXT    NOT NULL,
    minute       INTEGER NOT NULL,
    channel      TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    deflected_to TEXT    NOT NULL,
    intent       TEXT    NOT NULL,
    sessions     INTEGER NOT NULL,
    no_intent    INTEGER NOT NULL,
    handled_sum  INTEGER NOT NULL,
    hist         BLOB    NOT NULL,
    PRIMARY KEY (account, bot, minute, channel, status, deflected_to, intent)
) WITHOUT ROWID;
CREATE TRIGGER aggregates_hourly_not_negative BEFORE UPDATE OF sessions ON aggregates_hourly WHEN NEW.sessions < 0
BEGIN SELECT RAISE(ABORT, 'aggregates out of step: an hourly row below zero sessions'); END;
CREATE TRIGGER aggregates_hourly_not_empty AFTER INSERT ON aggregates_hourly WHEN NEW.sessions <= 0
BEGIN SELECT RAISE(ABORT, 'aggregates out of step: a new hourly row without sessions'); END;

-- The summary's inProgress: sessions started and not ended, counted from their start without
-- visiting the completed ones.
CREATE INDEX sessions_in_progress ON sessions (account, bot, start_ns) WHERE end_ns IS NULL AND start_ns IS NOT NULL;
