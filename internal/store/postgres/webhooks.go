package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
	"github.com/intentrt/intentrt/internal/webhook"
)

var (
	qSaveProgress  = `UPDATE webhooks SET ` + sqlrow.ProgressSet(1, sqlrow.Dollar) + ` WHERE id = $11 AND epoch = $12 AND revoked_at IS NULL`
	qInsertWebhook = `INSERT INTO webhooks (` + sqlrow.WebhookColumns + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`
	// qAcquire takes each lease that is free, expired or already this node's, by the database's
	// clock; RETURNING lists exactly those taken or renewed.
	qAcquire = `WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint AS ns)
		INSERT INTO leases (name, node, expires_ns) SELECT n, $1, (SELECT ns FROM now) + $3 FROM unnest($2::text[]) AS n
		ON CONFLICT (name) DO UPDATE SET node = excluded.node, expires_ns = excluded.expires_ns
		WHERE leases.node = excluded.node OR leases.expires_ns < (SELECT ns FROM now)
		RETURNING name`
)

// CreateWebhook stores a new webhook; ErrConflict if the id is taken.
func (s *Store) CreateWebhook(ctx context.Context, w webhook.Webhook) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, qInsertWebhook, sqlrow.WebhookArgs(w)...)
	return mapErr(err)
}

// ListWebhooks returns every webhook, oldest first.
func (s *Store) ListWebhooks(ctx context.Context) ([]webhook.Webhook, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.WebhookColumns+` FROM webhooks ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanWebhook)
	return out, mapErr(err)
}

// RevokeWebhook marks a webhook revoked; revoking twice keeps the first time.
func (s *Store) RevokeWebhook(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE webhooks SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, at.UnixNano(), id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// ReplayWebhook moves the cursor to from, in a new epoch.
func (s *Store) ReplayWebhook(ctx context.Context, id string, from int64) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var revoked *int64
	if err := s.pool.QueryRow(ctx, `SELECT revoked_at FROM webhooks WHERE id = $1`, id).Scan(&revoked); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
		}
		return mapErr(err)
	}
	if revoked != nil {
		return fmt.Errorf("webhook %q is revoked: %w", id, store.ErrConflict)
	}
	_, err := s.pool.Exec(ctx, `UPDATE webhooks SET cursor_seq = $1, epoch = epoch + 1, attempts = 0, next_attempt_ns = 0,
		mark_ns = 0, mark_head = 0 WHERE id = $2`, from, id)
	return mapErr(err)
}

// SaveWebhookProgress stores p unless the webhook's epoch moved on or it was revoked.
func (s *Store) SaveWebhookProgress(ctx context.Context, id string, p webhook.Progress) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, qSaveProgress, append(sqlrow.ProgressArgs(p), id, p.Epoch)...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return webhook.ErrStale
	}
	return nil
}

// DeadLetterWebhook records dl and saves p in one transaction.
func (s *Store) DeadLetterWebhook(ctx context.Context, id string, dl webhook.DeadLetter, p webhook.Progress) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer rollback(tx)
	tag, err := tx.Exec(ctx, qSaveProgress, append(sqlrow.ProgressArgs(p), id, p.Epoch)...)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return webhook.ErrStale
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webhook_dead_letters (webhook_id, `+sqlrow.DeadLetterColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, append([]any{id}, sqlrow.DeadLetterArgs(dl)...)...); err != nil {
		return mapErr(err)
	}
	return mapErr(tx.Commit(ctx))
}

// DeadLetters returns a webhook's dead-lettered ranges, oldest first.
func (s *Store) DeadLetters(ctx context.Context, id string) ([]webhook.DeadLetter, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.DeadLetterColumns+` FROM webhook_dead_letters
		WHERE webhook_id = $1 ORDER BY at_ns, stream, after_cursor`, id)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanDeadLetter)
	return out, mapErr(err)
}

// WebhookChanges reads the change feed of one bot, or of every bot of an account, in a range.
func (s *Store) WebhookChanges(ctx context.Context, account, bot string, after, through int64, limit int) ([]session.Change, error) {
	var (
		states []session.State
		err    error
	)
	if bot == "" {
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE seq > $1 AND seq <= $2 AND account = $3 ORDER BY seq LIMIT $4`,
			after, through, account, limit)
	} else {
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE account = $1 AND bot = $2 AND seq > $3 AND seq <= $4 ORDER BY seq LIMIT $5`,
			account, bot, after, through, limit)
	}
	if err != nil {
		return nil, err
	}
	return sqlrow.ChangesAfter(states, after), nil
}

// CountWebhookChanges counts the changes WebhookChanges would return without a limit.
func (s *Store) CountWebhookChanges(ctx context.Context, account, bot string, after, through int64) (int64, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var n int64
	var err error
	if bot == "" {
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE seq > $1 AND seq <= $2 AND account = $3`, after, through, account).Scan(&n)
	} else {
		err = s.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE account = $1 AND bot = $2 AND seq > $3 AND seq <= $4`,
			account, bot, after, through).Scan(&n)
	}
	return n, mapErr(err)
}

// AcquireLeases takes or renews the named leases for node, for ttl by the database's clock.
func (s *Store) AcquireLeases(ctx context.Context, node string, names []string, ttl time.Duration) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, qAcquire, node, names, ttl.Nanoseconds())
	if err != nil {
		return nil, mapErr(err)
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return held, mapErr(err)
}

// ReleaseLeases gives up node's leases at once.
func (s *Store) ReleaseLeases(ctx context.Context, node string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE node = $1`, node)
	return mapErr(err)
}
