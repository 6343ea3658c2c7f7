package postgres

import (
	"context"
	"time"
)

// Heartbeat records that node id is alive at now and returns how many nodes, itself included,
// have done so within ttl. Rows of nodes gone for long are deleted on the way.
func (s *Store) Heartbeat(ctx context.Context, id string, now time.Time, ttl time.Duration) (int, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	// The CTE's write is not visible to the SELECT of the same statement: count the others, add one.
	var others int
	err := s.pool.QueryRow(ctx, `WITH up AS (
			INSERT INTO nodes (id, seen_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at),
		gone AS (DELETE FROM nodes WHERE seen_at < $4 AND id <> $1)
		SELECT count(*) FROM nodes WHERE seen_at >= $3 AND id <> $1`,
		id, now.UnixNano(), now.Add(-ttl).UnixNano(), now.Add(-time.Hour).UnixNano()).Scan(&others)
	if err != nil {
		return 0, mapErr(err)
	}
	return others + 1, nil
}

// Leave removes node id, so that the other nodes take over its share at their next heartbeat.
func (s *Store) Leave(ctx context.Context, id string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, id)
	return mapErr(err)
}
