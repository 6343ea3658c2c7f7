// Package store defines what intentrt needs from storage: the interfaces, the optional
// capabilities a backend may offer, and the errors every backend maps its driver's errors to.
// It holds no SQL: the backends live in subpackages (sqlite, postgres), the row codecs and
// migration loader they share in sqlrow, and storetest is the conformance suite they all pass.
package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/webhook"
)

// The errors of the storage boundary. Backends translate driver errors into these so that no
// caller ever looks at a driver's error codes.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("already exists")
	ErrUnavailable = errors.New("storage unavailable")
	// ErrSchemaOutdated means the database was created by an older binary: run "intentrt migrate".
	ErrSchemaOutdated = errors.New("database schema is older than this binary")
	// ErrSchemaTooNew means the database was migrated by a newer binary than this one.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// Store is the whole of what intentrt asks of a storage backend.
type Store interface {
	Sessions
	Summaries
	Apps
	Accounts
	Lifecycle
	Webhooks
	Alerts
	// Ping checks that the storage answers.
	Ping(ctx context.Context) error
	Close() error
}

// Sessions stores events and answers for the sessions they assemble into.
type Sessions interface {
	// Apply stores the batches in one transaction and returns only once it is durably committed
	// (synced to disk). It skips events seen before, assembles sessions, assigns cursors to those
	// that complete or change visibly, and returns the changes in cursor order. Cursors are
	// assigned in commit order: a reader that has seen cursor N has seen every cursor below it.
	Apply(ctx context.Context, batches []session.Batch) ([]session.Result, []session.Change, error)
	// Latest returns completed sessions matching q, newest end first (ties: sessionId descending).
	Latest(ctx context.Context, q session.Query) ([]session.State, error)
	// LatestJSON appends to dst the read API's answer for the sessions Latest returns: the JSON
	// array of their views, byte for byte session.State.AppendViewJSON of each, in Latest's
	// order. It reads the rendering the writes of each session row stored with it, so that a
	// read neither decodes the rows nor encodes them.
	LatestJSON(ctx context.Context, q session.Query, dst []byte) ([]byte, error)
	// ChangesSince returns the sessions of a bot whose cursor is above after, in cursor order,
	// at most limit of them. An empty account means every bot of every account.
	ChangesSince(ctx context.Context, account, bot string, after int64, limit int) ([]session.Change, error)
	// Head returns the highest cursor assigned so far (0 when none).
	Head(ctx context.Context) (int64, error)
	// Export returns the completed sessions of q's bot that match q's filters (q.Limit is
	// ignored) and whose cursor is above after and at most upto, in cursor order, at most
	// limit of them. The export pages through it, so memory stays bounded by limit.
	Export(ctx context.Context, q session.Query, after, upto int64, limit int) ([]session.State, error)
}

// Account is what is stored about an account beyond its apps: its personal-data policy.
type Account struct {
	ID        string
	Policy    privacy.Policy
	UpdatedAt time.Time
}

// Accounts stores per-account settings and the database's pseudonym key.
type Accounts interface {
	// SetAccountPolicy creates or replaces the account's personal-data policy.
	SetAccountPolicy(ctx context.Context, account string, p privacy.Policy, at time.Time) error
	// AccountPolicy returns the account's policy: keep everything when none was set.
	AccountPolicy(ctx context.Context, account string) (privacy.Policy, error)
	// ListAccounts returns every account with settings, by id.
	ListAccounts(ctx context.Context) ([]Account, error)
	// PseudonymKey returns the database's key for the "hash" policy, made by the migration
	// that created it and the same for every node.
	PseudonymKey(ctx context.Context) ([]byte, error)
}

// Summaries reads the per-minute aggregates (docs/analytics.md) that Apply keeps current in the
// transaction that commits the sessions, and counts the sessions in progress: what a summary
// (docs/api.md §6) is built from.
type Summaries interface {
	// AggregateRows returns the aggregate rows of a bot that req wants (at least those with
	// req.Wants; a backend may return more), ordered by minute.
	AggregateRows(ctx context.Context, account, bot string, req *analytics.Request) ([]analytics.Row, error)
	// InProgress counts the sessions of a bot whose start is known and end is not, that started
	// at or after since, on one of channels (lowercase; empty means every channel).
	InProgress(ctx context.Context, account, bot string, channels []string, since time.Time) (int64, error)
}

// Apps stores API clients and the JWT ids they have used.
type Apps interface {
	CreateApp(ctx context.Context, app auth.App) error
	// App returns the app with that client id, revoked or not; ErrNotFound when there is none.
	App(ctx context.Context, clientID string) (auth.App, error)
	// ListApps returns every app, oldest first.
	ListApps(ctx context.Context) ([]auth.App, error)
	// RevokeApp marks the app revoked; ErrNotFound when there is none.
	RevokeApp(ctx context.Context, clientID string, at time.Time) error
	// UseJTI records that a token id was used; ErrConflict if it was used before. The record may
	// be forgotten after expires, when the token itself is no longer accepted.
	UseJTI(ctx context.Context, clientID, jti string, expires time.Time) error
	// PurgeJTIs forgets the token ids that expired before t.
	PurgeJTIs(ctx context.Context, before time.Time) error
}

// BotRef names one bot of an account.
type BotRef struct{ Account, Bot string }

// PurgeRule selects what retention removes: the sessions whose end (for an incomplete one, its
// newest event) is before Before, and the seen-event keys of events before it, of Account, or
// of every account but those in Except when Account is empty.
type PurgeRule struct {
	Account string
	Except  []string
	Before  time.Time
}

// Removed is what one purge or erasure step took away.
type Removed struct {
	Sessions int
	Keys     int      // seen-event keys
	Bots     []BotRef // the bots whose sessions went: their caches must forget them
	// Busy means another node holds the work (PostgreSQL runs it on one node at a time):
	// nothing was done.
	Busy bool
}

// The states of an erasure request.
const (
	ErasurePending = "pending"
	ErasureRunning = "running"
	ErasureDone    = "done"
)

// Erasure is a data subject's erasure request (docs/api.md §7) and its progress.
type Erasure struct {
	RequestID string
	Account   string
	App       string
	// UserIDs are the ids in the form the account's policy stores them; empty once done, when
	// only UserCount is kept.
	UserIDs        []string
	UserCount      int
	Status         string
	SessionsErased int64
	RequestedAt    time.Time
	CompletedAt    time.Time // zero until done
}

// Lifecycle removes data: retention's purge and erasure requests. Each step is one short
// transaction that removes sessions with their aggregates, so a step interrupted by a crash
// leaves nothing half-done and the next one resumes.
type Lifecycle interface {
	// PurgeExpired removes at most limit sessions and at most limit seen-event keys that rule
	// selects, with what the sessions counted in the aggregates.
	PurgeExpired(ctx context.Context, rule PurgeRule, limit int) (Removed, error)
	// CreateErasure stores a new request; ErrConflict if its id exists.
	CreateErasure(ctx context.Context, e Erasure) error
	// Erasure returns the request of account with that id; ErrNotFound for none (or another
	// account's).
	Erasure(ctx context.Context, account, requestID string) (Erasure, error)
	// OpenErasures returns the requests not done yet, oldest first.
	OpenErasures(ctx context.Context) ([]Erasure, error)
	// EraseStep removes at most limit sessions of the request's users from every bot of its
	// account, with their aggregates, and counts them on the request, in one transaction; the
	// step that finds none left marks it done and forgets the ids.
	EraseStep(ctx context.Context, requestID string, limit int, now time.Time) (Removed, bool, error)
}

// Webhooks stores webhook registrations and their delivery progress (what the dispatcher reads
// and saves, webhook.Store) and answers the CLI's commands on them.
type Webhooks interface {
	webhook.Store
	// CreateWebhook stores a new webhook; ErrConflict if the id is taken.
	CreateWebhook(ctx context.Context, w webhook.Webhook) error
	// RevokeWebhook stops deliveries to the webhook; ErrNotFound when there is none.
	RevokeWebhook(ctx context.Context, id string, at time.Time) error
	// ReplayWebhook moves the webhook's cursor to from, so that every change above it is
	// delivered again, and starts a new epoch (workers holding the old one stop); ErrNotFound
	// when there is no such webhook, ErrConflict when it is revoked.
	ReplayWebhook(ctx context.Context, id string, from int64) error
	// DeadLetters returns the ranges given up on for the webhook, oldest first.
	DeadLetters(ctx context.Context, id string) ([]webhook.DeadLetter, error)
}

// Alerts stores threshold rules, their evaluation state and the alert feed that webhooks
// deliver (what the evaluator needs is alert.Store).
type Alerts interface {
	alert.Store
	// CreateAlertRule stores a new rule; ErrConflict if the id is taken.
	CreateAlertRule(ctx context.Context, r alert.Rule) error
	// DeleteAlertRule deletes a rule; ErrNotFound when there is none.
	DeleteAlertRule(ctx context.Context, id string) error
	// AlertHead returns the newest position of the alert feed (0 when empty).
	AlertHead(ctx context.Context) (int64, error)
}

// Migrator is implemented by stores whose schema is versioned.
type Migrator interface {
	// SchemaVersion returns the version the database is at and the one this binary expects.
	SchemaVersion(ctx context.Context) (have, want int, err error)
	// Migrate brings the schema to the binary's version.
	Migrate(ctx context.Context) error
}

// The optional capabilities of a backend. A backend that has one implements it; the CLI's
// openDB states which ones each backend offers, and the composition root starts what they
// enable. A new capability is an interface here, a method set on the backends that have it,
// and a field of the CLI's backend.

// ChangeNotifier is a store shared by several nodes that announces every node's commits
// (PostgreSQL's LISTEN/NOTIFY). The live stream must then be fed from storage, not from this
// node's own commits.
type ChangeNotifier interface {
	// Listen calls onChange with what each commit of any node changed, once the commit is
	// visible to every reader, until ctx ends, reconnecting as needed. After each
	// (re)connection it calls onChange with an empty Changed: what was committed meanwhile is
	// for the change feed's read of storage to find.
	Listen(ctx context.Context, onChange func(Changed), log *slog.Logger)
}

// Changed is what one commit changed, as its notification names it: its bots, or when their
// names would not fit a notification their accounts, or when neither fits everything. A node
// drops what it keeps in memory of them as soon as it hears of the commit.
type Changed struct {
	Bots     []BotRef
	Accounts []string // every bot of these accounts (instead of Bots)
	All      bool     // every bot
}

// Leaser is a store shared by several nodes that grants expiring named leases (PostgreSQL), so
// that one node at a time delivers a webhook or evaluates alerts.
type Leaser = webhook.Leaser

// RemovalNotifier is a store shared by several nodes that announces the bots whose sessions a
// purge or an erasure of any node removed (PostgreSQL's NOTIFY), so that every node clears what
// it keeps of them in memory and tells its summaries' subscribers.
type RemovalNotifier interface {
	// ListenRemovals calls onRemoved with the bots of each removal step of any node until ctx
	// ends, reconnecting as needed.
	ListenRemovals(ctx context.Context, onRemoved func([]BotRef), log *slog.Logger)
}

// NodeRegistry is a store that knows how many nodes share it (PostgreSQL's nodes table), so
// that they can divide a per-account budget.
type NodeRegistry interface {
	// Heartbeat says node id is alive and returns how many nodes were heard of within ttl.
	Heartbeat(ctx context.Context, id string, now time.Time, ttl time.Duration) (int, error)
	// Leave forgets node id at once, so that the others take over its share.
	Leave(ctx context.Context, id string) error
}

// Checkpointer is a store whose write-ahead log is copied into the database by checkpoints
// (SQLite in WAL mode). By default the writer runs them inside a commit once the log is
// long; RunCheckpoints takes them off the writer and runs them beside it instead.
type Checkpointer interface {
	// RunCheckpoints checkpoints every interval, without blocking the writer, until ctx ends;
	// the writer's own checkpoints are off meanwhile and back on when it returns.
	RunCheckpoints(ctx context.Context, every time.Duration, log *slog.Logger)
}
