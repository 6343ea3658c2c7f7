-- Retention and erasure (docs/api.md §7, docs/privacy.md).

-- The newest event time of a session, kept by Apply while its end is unknown: what an incomplete
-- session's age is judged by. Sessions stored before this have their start instead.
ALTER TABLE sessions ADD COLUMN last_ns INTEGER;
UPDATE sessions SET last_ns = start_ns WHERE end_ns IS NULL;
-- The purge walks the sessions from the oldest end (or newest event) up to the horizon.
CREATE INDEX sessions_expiry ON sessions (coalesce(end_ns, last_ns));
-- An erasure finds a user's sessions without reading the account's others.
CREATE INDEX sessions_user ON sessions (account, user_id) WHERE user_id <> '';

-- The time of the event a seen key stands for: the keys older than the horizon go with the
-- sessions, since an event that old is judged expired by its time before its key is looked at.
-- Keys stored before this have none and are kept.
ALTER TABLE events_seen ADD COLUMN at_ns INTEGER;
CREATE INDEX events_seen_expiry ON events_seen (at_ns) WHERE at_ns IS NOT NULL;
-- Producers' event ids become digests, as Apply now stores them: no seen key holds an id a
-- producer may have built from a caller's data.
UPDATE events_seen SET key = intentrt_event_id_key(substr(key, 4)) WHERE key LIKE 'id:%';

-- Erasure requests (POST /api/public/erasures). user_ids holds the ids in their stored form
-- while the job runs and is emptied when it is done: only the count is kept.
CREATE TABLE erasures (
    request_id      TEXT    PRIMARY KEY,
    account         TEXT    NOT NULL,
    app             TEXT    NOT NULL,
    user_ids        TEXT    NOT NULL,
    user_count      INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    sessions_erased INTEGER NOT NULL DEFAULT 0,
    requested_at    INTEGER NOT NULL,
    completed_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX erasures_open ON erasures (requested_at) WHERE status <> 'done';
