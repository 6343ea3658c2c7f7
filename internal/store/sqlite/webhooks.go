package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
	"github.com/intentrt/intentrt/internal/webhook"
)

var (
	qSaveProgress  = `UPDATE webhooks SET ` + sqlrow.ProgressSet(1, sqlrow.Question) + ` WHERE id = ? AND epoch = ? AND revoked_at IS NULL`
	qInsertWebhook = `INSERT INTO webhooks (` + sqlrow.WebhookColumns + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
)

// CreateWebhook stores a new webhook; ErrConflict if the id is taken.
func (s *Store) CreateWebhook(ctx context.Context, w webhook.Webhook) error {
	_, err := s.w.ExecContext(ctx, qInsertWebhook, sqlrow.WebhookArgs(w)...)
	return mapErr(err)
}

// ListWebhooks returns every webhook, oldest first.
func (s *Store) ListWebhooks(ctx context.Context) ([]webhook.Webhook, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.WebhookColumns+` FROM webhooks ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanWebhook)
	return out, mapErr(err)
}

// RevokeWebhook marks a webhook revoked; revoking twice keeps the first time.
func (s *Store) RevokeWebhook(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE webhooks SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, at.UnixNano(), id)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// ReplayWebhook moves the cursor back (or forward) to from, in a new epoch.
func (s *Store) ReplayWebhook(ctx context.Context, id string, from int64) error {
	var revoked sql.NullInt64
	if err := s.w.QueryRowContext(ctx, `SELECT revoked_at FROM webhooks WHERE id = ?`, id).Scan(&revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
		}
		return mapErr(err)
	}
	if revoked.Valid {
		return fmt.Errorf("webhook %q is revoked: %w", id, store.ErrConflict)
	}
	_, err := s.w.ExecContext(ctx, `UPDATE webhooks SET cursor_seq = ?, epoch = epoch + 1, attempts = 0, next_attempt_ns = 0,
		mark_ns = 0, mark_head = 0 WHERE id = ?`, from, id)
	return mapErr(err)
}

// SaveWebhookProgress stores p unless the webhook's epoch moved on or it was revoked.
func (s *Store) SaveWebhookProgress(ctx context.Context, id string, p webhook.Progress) error {
	res, err := s.w.ExecContext(ctx, qSaveProgress, append(sqlrow.ProgressArgs(p), id, p.Epoch)...)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return webhook.ErrStale
	}
	return nil
}

// DeadLetterWebhook records dl and saves p in one transaction.
func (s *Store) DeadLetterWebhook(ctx context.Context, id string, dl webhook.DeadLetter, p webhook.Progress) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, qSaveProgress, append(sqlrow.ProgressArgs(p), id, p.Epoch)...)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return webhook.ErrStale
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_dead_letters (webhook_id, `+sqlrow.DeadLetterColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, append([]any{id}, sqlrow.DeadLetterArgs(dl)...)...); err != nil {
		return mapErr(err)
	}
	return mapErr(tx.Commit())
}

// DeadLetters returns a webhook's dead-lettered ranges, oldest first.
func (s *Store) DeadLetters(ctx context.Context, id string) ([]webhook.DeadLetter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.DeadLetterColumns+` FROM webhook_dead_letters
		WHERE webhook_id = ? ORDER BY at_ns, stream, after_cursor`, id)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out, err := sqlrow.Collect(rows, sqlrow.ScanDeadLetter)
	return out, mapErr(err)
}

// WebhookChanges reads the change feed of one bot, or of every bot of an account, in a range.
// An account-wide read walks the feed's seq index and skips other accounts' rows: cheaper for
// ingest than one more index on every session written.
func (s *Store) WebhookChanges(ctx context.Context, account, bot string, after, through int64, limit int) ([]session.Change, error) {
	var (
		states []session.State
		err    error
	)
	if bot == "" {
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE seq > ? AND seq <= ? AND account = ? ORDER BY seq LIMIT ?`,
			after, through, account, limit)
	} else {
		states, err = s.query(ctx, `SELECT `+sqlrow.SessionColumns+` FROM sessions WHERE account = ? AND bot = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
			account, bot, after, through, limit)
	}
	if err != nil {
		return nil, err
	}
	return sqlrow.ChangesAfter(states, after), nil
}

// CountWebhookChanges counts the changes WebhookChanges would return without a limit.
func (s *Store) CountWebhookChanges(ctx context.Context, account, bot string, after, through int64) (int64, error) {
	var n int64
	var err error
	if bot == "" {
		err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE seq > ? AND seq <= ? AND account = ?`, after, through, account).Scan(&n)
	} else {
		err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE account = ? AND bot = ? AND seq > ? AND seq <= ?`,
			account, bot, after, through).Scan(&n)
	}
	return n, mapErr(err)
}
