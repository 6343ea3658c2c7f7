// Package httpapi is intentrt's HTTP surface: every route of the binary in one table (routes.go),
// the Kore compatible read API, the ingest API, the live stream, health and metrics, the
// dashboard's routes, their middleware, the one rate-limit helper and the one error writer. It
// depends on small interfaces, never on a storage backend. Its exported names are what the
// CLI needs to build it: Deps, NewServer and the read cache.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/dashboard"
	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/session"
)

// SessionReader answers the read API (LatestJSON, the stored rendering) and the dashboard's
// list of sessions (Latest).
type SessionReader interface {
	Latest(ctx context.Context, q session.Query) ([]session.State, error)
	LatestJSON(ctx context.Context, q session.Query, dst []byte) ([]byte, error)
}

// Summarizer answers the summary API (summary.Service); the dashboard calls the same one.
type Summarizer interface {
	Summarize(ctx context.Context, account, bot string, body analytics.Body, now time.Time) (analytics.Summary, error)
}

// Submitter durably stores an ingest batch.
type Submitter interface {
	Submit(ctx context.Context, b session.Batch) (session.Result, error)
}

// TokenVerifier maps a JWT to the app that signed it.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (auth.App, error)
}

// RateLimiter takes one request from an account's budget.
type RateLimiter interface {
	Allow(account string) (bool, time.Duration)
}

// Pinger reports whether storage answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ChangeReader replays a bot's change feed for the stream, by cursor.
type ChangeReader interface {
	ChangesSince(ctx context.Context, account, bot string, after int64, limit int) ([]session.Change, error)
	Head(ctx context.Context) (int64, error)
}

// Exporter pages through a bot's matching completed sessions in cursor order, for the export.
type Exporter interface {
	Export(ctx context.Context, q session.Query, after, upto int64, limit int) ([]session.State, error)
	Head(ctx context.Context) (int64, error)
}

// Subscriber registers for the live changes of one bot (the live broker).
type Subscriber interface {
	Subscribe(account, bot string, buffer int) *live.Subscription
}

// Limits bound what one ingest request may carry.
type Limits struct {
	MaxBodyBytes int64 // 8 MiB by default
	MaxEvents    int   // 10 000 by default
}

// Deps is everything the HTTP layer needs; the CLI builds it.
type Deps struct {
	Sessions SessionReader
	Summary  Summarizer // nil: the summary route answers 500
	Ingest   Submitter
	Tokens   TokenVerifier
	// Apps, when set, is asked now and then whether an open stream's app may still read, so
	// that revoking an app ends its streams (see StreamOptions.Recheck).
	Apps    AppSource
	Limiter RateLimiter // nil: no rate limit
	// AuthFailures, when set, throttles client addresses that fail to authenticate too often.
	AuthFailures AuthThrottle
	Storage      Pinger
	Metrics      *metrics.Metrics
	Logger       *slog.Logger
	Limits       Limits
	// ReadCache, when set, serves repeated default reads of a bot from memory (see ReadCache
	// for when that is exact).
	ReadCache *ReadCache
	// Stopping is closed when the server begins to shut down; long-lived responses (the
	// stream) end on it so that shutdown does not wait for them.
	Stopping <-chan struct{}
	// Changes and Live feed the stream (nil: the stream answers 503); Stream tunes it.
	Changes ChangeReader
	Live    Subscriber
	Stream  StreamOptions
	// Erasures answers the erasure routes (nil: they answer 503).
	Erasures Erasures
	// Export answers the export route (nil: it answers 503).
	Export Exporter
	// Dashboard, when set, serves the web page and its JSON routes (see routes for where).
	Dashboard *dashboard.Dashboard
	// RequestLog, when set, writes the routine request lines preformatted (see RequestLog);
	// otherwise every line goes through Logger.
	RequestLog *RequestLog
	// CORSOrigins are the browser origins (as NormalizeOrigin returns them, or "*") that may
	// call the read API and the routes beneath it; none: no CORS headers anywhere (cors.go).
	CORSOrigins []string
}

// handlers holds the dependencies of the handlers and the helpers every route shares
// (authorize, allowRate, writeError).
type handlers struct {
	Deps
	streams streamSlots // open streams per app, for StreamOptions.MaxPerApp
	counted requestMetrics
}

// NewServer returns the whole HTTP service as one handler.
func NewServer(d Deps) http.Handler {
	if d.Limits.MaxBodyBytes <= 0 {
		d.Limits.MaxBodyBytes = 8 << 20
	}
	if d.Limits.MaxEvents <= 0 {
		d.Limits.MaxEvents = 10_000
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	h := &handlers{Deps: d}
	mux := http.NewServeMux()
	h.routes(mux)
	return h.middleware(newCORS(d.CORSOrigins).wrap(h.guard(mux)))
}
