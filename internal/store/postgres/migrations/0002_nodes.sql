-- The serve processes sharing this database, each refreshing its row every few seconds. A node
-- divides the per-account read rate limit by the number of live nodes, so that the limit holds
-- for the service as a whole without a database round trip per request.
CREATE TABLE nodes (
    id      TEXT   PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
