package webhook

import (
	"context"
	"errors"
	"time"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/session"
)

// ErrStale is a save refused because the webhook's epoch moved on (an operator replayed it) or
// it was revoked: the worker that tried must stop and be restarted from the stored state.
var ErrStale = errors.New("webhook progress is stale")

// Store is what delivery needs of storage; every backend implements it (package store's
// Webhooks interface embeds it). What a webhook must deliver is the change feed itself — the
// session rows and the cursors Apply assigns in the commit's own transaction — read above the
// webhook's durable cursor, so ingest writes nothing more for webhooks.
type Store interface {
	// ListWebhooks returns every webhook, revoked ones too, oldest first, with its progress.
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	// WebhookChanges returns the changes of account's bot (of every bot of account when bot is
	// empty) with a cursor in (after, through], in cursor order, at most limit, their kinds
	// relative to after.
	WebhookChanges(ctx context.Context, account, bot string, after, through int64, limit int) ([]session.Change, error)
	// CountWebhookChanges counts what WebhookChanges would return without a limit.
	CountWebhookChanges(ctx context.Context, account, bot string, after, through int64) (int64, error)
	// SaveWebhookProgress stores p if the stored epoch is p.Epoch and the webhook is not
	// revoked, else returns ErrStale; ErrNotFound-like errors for an unknown id.
	SaveWebhookProgress(ctx context.Context, id string, p Progress) error
	// DeadLetterWebhook records dl and stores p in one transaction, under the same condition.
	DeadLetterWebhook(ctx context.Context, id string, dl DeadLetter, p Progress) error
	// Head returns the newest cursor of the change feed.
	Head(ctx context.Context) (int64, error)
	// AlertEventsSince returns the alert events of account's bot (every bot when bot is empty)
	// above after, in feed order, at most limit.
	AlertEventsSince(ctx context.Context, account, bot string, after int64, limit int) ([]alert.Event, error)
}

// Leaser is a store shared by several nodes (PostgreSQL) that hands out named leases, so that
// exactly one node at a time delivers a given webhook (or evaluates alerts).
type Leaser interface {
	// AcquireLeases takes or renews, for node, each named lease that is free, expired or held by
	// node already, for ttl, and returns those of names that node holds afterwards. Expiry is
	// reckoned by the store's clock, so the nodes' clocks need not agree.
	AcquireLeases(ctx context.Context, node string, names []string, ttl time.Duration) ([]string, error)
	// ReleaseLeases gives up every lease node holds, so that another node takes over at once.
	ReleaseLeases(ctx context.Context, node string) error
}
