-- The summary's per-minute aggregates (docs/analytics.md "The aggregates a store keeps"), kept
-- current by Apply in the transaction that writes the sessions. A day's summary reads about a
-- day's worth of these rows, however many sessions they count. Names compare bytewise, as the
-- summary's ties do.
CREATE TABLE aggregates (
    account      TEXT   COLLATE "C" NOT NULL,
    bot          TEXT   COLLATE "C" NOT NULL,
    minute       BIGINT NOT NULL,
    channel      TEXT   COLLATE "C" NOT NULL,
    status       TEXT   COLLATE "C" NOT NULL,
    deflected_to TEXT   COLLATE "C" NOT NULL,
    intent       TEXT   COLLATE "C" NOT NULL,
    sessions     BIGINT NOT NULL,
    no_intent    BIGINT NOT NULL,
    handled_sum  BIGINT NOT NULL,
    hist         BYTEA  NOT NULL,
    PRIMARY KEY (account, bot, minute, channel, status, deflected_to, intent)
);

-- The same rows rolled up to their UTC hour (minute = the hour's first minute), kept in the same
-- transactions from the same deltas: a summary whose bucket edges all start an hour (1h and 1d
-- buckets in whole-hour zones) reads these, some sixty times fewer rows.
CREATE TABLE aggregates_hourly (LIKE aggregates INCLUDING ALL);

-- The summary's inProgress: sessions started and not ended, counted from their start without
-- visiting the completed ones.
CREATE INDEX sessions_in_progress ON sessions (account, bot, start_ns) WHERE end_ns IS NULL AND start_ns IS NOT NULL;
