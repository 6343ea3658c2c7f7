package sqlrow

import (
	"database/sql"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/webhook"
)

// WebhookColumns is the column order of a webhook row in every SQL backend: its registration,
// then its delivery progress (ProgressColumns).
const WebhookColumns = `id, account, bot, url, events, secret, created_at, revoked_at, ` + ProgressColumns

// ProgressColumns are the columns of a webhook's delivery progress, in ProgressArgs order.
const ProgressColumns = `cursor_seq, alert_cursor, epoch, attempts, next_attempt_ns, last_error, last_error_ns, mark_ns, mark_head, dead_lettered`

// WebhookArgs returns the values of w in WebhookColumns order.
func WebhookArgs(w webhook.Webhook) []any {
	events := make([]string, len(w.Events))
	for i, e := range w.Events {
		events[i] = string(e)
	}
	var revoked sql.NullInt64
	if w.RevokedAt != nil {
		revoked = sql.NullInt64{Int64: w.RevokedAt.UnixNano(), Valid: true}
	}
	return append([]any{w.ID, w.Account, w.Bot, w.URL, strings.Join(events, ","), w.Secret, w.CreatedAt.UnixNano(), revoked},
		ProgressArgs(w.Progress)...)
}

// ProgressArgs returns the values of p in ProgressColumns order. Times are unix nanoseconds,
// 0 for none.
func ProgressArgs(p webhook.Progress) []any {
	return []any{p.Cursor, p.AlertCursor, p.Epoch, int64(p.Attempts), unixOrZero(p.NextAttempt), p.LastError, unixOrZero(p.LastErrorAt),
		unixOrZero(p.MarkAt), p.MarkHead, p.DeadLettered}
}

// ScanWebhook reads a row selected with WebhookColumns.
func ScanWebhook(sc Scanner) (webhook.Webhook, error) {
	var (
		w                       webhook.Webhook
		events                  string
		created                 int64
		revoked                 sql.NullInt64
		attempts                int64
		next, lastErrAt, markAt int64
	)
	p := &w.Progress
	if err := sc.Scan(&w.ID, &w.Account, &w.Bot, &w.URL, &events, &w.Secret, &created, &revoked,
		&p.Cursor, &p.AlertCursor, &p.Epoch, &attempts, &next, &p.LastError, &lastErrAt, &markAt, &p.MarkHead, &p.DeadLettered); err != nil {
		return w, err
	}
	w.AllBots = w.Bot == ""
	for _, e := range strings.Split(events, ",") {
		if e != "" {
			w.Events = append(w.Events, webhook.Event(e))
		}
	}
	w.CreatedAt = time.Unix(0, created).UTC()
	if revoked.Valid {
		t := time.Unix(0, revoked.Int64).UTC()
		w.RevokedAt = &t
	}
	p.Attempts = int(attempts)
	p.NextAttempt, p.LastErrorAt, p.MarkAt = fromNanos(next), fromNanos(lastErrAt), fromNanos(markAt)
	return w, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// DeadLetterColumns is the column order of a dead letter.
const DeadLetterColumns = `stream, after_cursor, through_cursor, count, at_ns, error`

// DeadLetterArgs returns the values of dl in DeadLetterColumns order.
func DeadLetterArgs(dl webhook.DeadLetter) []any {
	return []any{dl.Stream, dl.After, dl.Through, dl.Count, dl.At.UnixNano(), dl.Error}
}

// ScanDeadLetter reads a row selected with DeadLetterColumns.
func ScanDeadLetter(sc Scanner) (webhook.DeadLetter, error) {
	var (
		dl webhook.DeadLetter
		at int64
	)
	err := sc.Scan(&dl.Stream, &dl.After, &dl.Through, &dl.Count, &at, &dl.Error)
	dl.At = time.Unix(0, at).UTC()
	return dl, err
}
