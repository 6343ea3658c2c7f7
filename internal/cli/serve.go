package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/dashboard"
	"github.com/intentrt/intentrt/internal/httpapi"
	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/metrics"
	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/ratelimit"
	"github.com/intentrt/intentrt/internal/retention"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/summary"
	"github.com/intentrt/intentrt/internal/webhook"
)

// serveConfig is everything "serve" is configured with.
type serveConfig struct {
	addr            string
	dsn             string
	demo            bool
	rateLimit       int
	rateOverrides   map[string]int
	authFailLimit   int
	dashboardRate   int
	maxBody         int64
	maxEvents       int
	logFormat       string
	logLevel        slog.Level
	logFlush        time.Duration
	shutdownTimeout time.Duration
	readCache       bool
	nats            natsConfig
	tlsCert         string // with tlsKey: serve HTTPS (and HTTP/2)
	tlsKey          string
	corsOrigins     []string // browser origins allowed to call the read, summary and stream APIs
	webhooks        webhooksConfig
	conns           connConfig
	logSample       int
	readCacheSize   byteSize
	retention       retention.Policy // --retention, --retention-account
	// requestLog is not a flag: runServe sets it to write request lines beside the logger.
	requestLog *httpapi.RequestLog
}

// connConfig bounds the connections a server holds and how long an idle one may stay.
type connConfig struct {
	max               int           // 0: from the file limit (defaultMaxConns)
	readHeaderTimeout time.Duration // a connection that sends no complete request head by then is closed
	idleTimeout       time.Duration // a kept-alive connection with no request for that long is closed
}

// serveFlags holds the flags of serve that are checked and converted after parsing.
type serveFlags struct {
	level     string
	overrides stringList
	retention stringList // --retention-account, read by check
}

// defineServe defines serve's flags on fs, bound to c and to the serveFlags it returns.
func defineServe(fs *flag.FlagSet, c *serveConfig) *serveFlags {
	var f serveFlags
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	fs.StringVar(&c.dsn, "db", DefaultDB, "database: file path, sqlite://PATH or postgres://...")
	fs.BoolVar(&c.demo, "demo", false, "create a demo account, bot and app and feed simulated sessions")
	fs.IntVar(&c.rateLimit, "rate-limit", 60, "read API requests per minute per account; 0 turns the limit off")
	fs.Var(&f.overrides, "rate-limit-account", "per-account limit ACCOUNT=N, repeatable")
	fs.IntVar(&c.authFailLimit, "auth-fail-limit", 30, "failed authentications (bad token, sign-in or cookie) a client address may make per minute before it gets 429s; 0 turns it off")
	fs.IntVar(&c.dashboardRate, "dashboard-rate-limit", dashboard.DefaultPageRate, "dashboard requests per minute per account, a budget apart from --rate-limit; 0 turns it off")
	fs.Int64Var(&c.maxBody, "max-body", 8<<20, "largest ingest body in bytes")
	fs.IntVar(&c.maxEvents, "max-events", 10_000, "most events in one ingest request")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.level, "log-level", "info", "log level: debug, info, warn, error")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for requests in flight")
	natsFlags(fs, &c.nats)
	fs.IntVar(&c.conns.max, "max-conns", 0, "most client connections held at once; beyond it a new one replaces the oldest silent or idle one, or is reset at once if all are busy; 0: the open-file limit (raised to its hard maximum at start) less 256")
	fs.DurationVar(&c.conns.readHeaderTimeout, "read-header-timeout", 10*time.Second, "a connection that has not sent a whole request head within this is closed (reaps silent sockets)")
	fs.DurationVar(&c.conns.idleTimeout, "idle-timeout", 60*time.Second, "a kept-alive connection without a request for this long is closed")
	webhooksFlags(fs, &c.webhooks)
	fs.BoolVar(&c.readCache, "read-cache", true, "serve repeated unfiltered reads of a bot from memory until a commit changes it (on PostgreSQL, until another node's commit is notified); --read-cache=false turns it off")
	fs.DurationVar(&c.logFlush, "log-flush", 100*time.Millisecond, "write request log lines out every interval instead of one write per line; warnings and errors at once; 0 writes every line at once")
	c.readCacheSize = 32 << 20
	fs.Var(&c.readCacheSize, "read-cache-size", "bound of the read cache's answers in bytes, e.g. 32MB (the default); least recently read bots are dropped first")
	fs.IntVar(&c.logSample, "log-sample", 1, "log one in N request lines of 2xx and 3xx answers; 4xx, 5xx and client-gone lines are always logged")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS and HTTP/2 with this PEM `file` of the certificate (and its chain); with --tls-key; re-read on SIGHUP")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM `file` of the certificate's private key; with --tls-cert; re-read on SIGHUP")
	fs.Var(c.retention.DefaultFlag(), "retention", "delete sessions whose end (or newest event, while incomplete) is older than this, and refuse events as old as that (answered as expired): 90d, 36h; 0 keeps everything")
	fs.Var(&f.retention, "retention-account", "per-account retention ACCOUNT=D (90d, 36h, 0 = forever), repeatable")
	fs.Var((*stringList)(&c.corsOrigins), "cors-origin", "let a browser app at this `origin` (https://app.example.com, or * for any) call the read, summary and stream APIs; repeatable")
	return &f
}

func parseServe(args []string, getenv Env, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := newFlagSet("serve", stderr)
	f := defineServe(fs, &c)
	if err := parse(fs, args, getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, &usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	if err := c.check(f.level, f.overrides); err != nil {
		return c, err
	}
	for _, v := range f.retention {
		if err := c.retention.AccountFlag().Set(v); err != nil {
			return c, &usageError{"serve: --retention-account " + err.Error()}
		}
	}
	return c, nil
}

// check validates what the flags said and reads the level and the per-account rate limits.
func (c *serveConfig) check(level string, overrides []string) error {
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		return &usageError{fmt.Sprintf("serve: --log-level %q: use debug, info, warn or error", level)}
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return &usageError{fmt.Sprintf("serve: --log-format %q: use text or json", c.logFormat)}
	}
	if c.rateLimit < 0 || c.authFailLimit < 0 || c.dashboardRate < 0 || c.maxBody <= 0 || c.maxEvents <= 0 || c.logSample < 1 {
		return &usageError{"serve: --rate-limit, --auth-fail-limit and --dashboard-rate-limit must be ≥ 0, --max-body, --max-events and --log-sample > 0"}
	}
	if c.conns.max < 0 || c.conns.readHeaderTimeout <= 0 || c.conns.idleTimeout <= 0 {
		return &usageError{"serve: --max-conns must be ≥ 0, --read-header-timeout and --idle-timeout > 0"}
	}
	if err := c.webhooks.check(); err != nil {
		return err
	}
	c.rateOverrides = map[string]int{}
	for _, o := range overrides {
		acct, n, ok := strings.Cut(o, "=")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 0 || acct == "" {
			return &usageError{fmt.Sprintf("serve: --rate-limit-account %q: use ACCOUNT=N", o)}
		}
		c.rateOverrides[acct] = v
	}
	return c.checkTLSAndCORS()
}

// checkTLSAndCORS checks that the certificate comes with its key and that each CORS origin is
// one a browser sends (scheme://host[:port], nothing after), and normalises the origins.
func (c *serveConfig) checkTLSAndCORS() error {
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return &usageError{"serve: --tls-cert and --tls-key go together: give both (HTTPS) or neither (HTTP)"}
	}
	for i, o := range c.corsOrigins {
		n, err := httpapi.NormalizeOrigin(o)
		if err != nil {
			return &usageError{fmt.Sprintf("serve: --cors-origin %q: %v", o, err)}
		}
		c.corsOrigins[i] = n
	}
	return nil
}

// pageRate maps the flag (0: off) onto dashboard.Options (0: the default, negative: off).
func pageRate(flag int) int {
	if flag == 0 {
		return -1
	}
	return flag
}

// newLogger returns the server's logger and a function that writes out what it buffered.
func newLogger(ctx context.Context, c serveConfig, w io.Writer) (*slog.Logger, func()) {
	log, _, flush := newLogging(ctx, c, w)
	return log, flush
}

// newLogging is newLogger that also returns the writer the logger writes to (buffered), for
// the preformatted request lines.
func newLogging(ctx context.Context, c serveConfig, w io.Writer) (*slog.Logger, io.Writer, func()) {
	flush := func() {}
	if c.logFlush > 0 {
		buf := newLogBuffer(w)
		w, flush = buf, buf.Flush
		go buf.flushEvery(ctx, c.logFlush)
	}
	opts := &slog.HandlerOptions{Level: c.logLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.logFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	if c.logFlush > 0 {
		h = flushingHandler{Handler: h, flush: flush}
	}
	return slog.New(h), w, flush
}

func runServe(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	c, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	logCtx, stopLog := context.WithCancel(context.Background())
	defer stopLog()
	log, logW, flushLog := newLogging(logCtx, c, stderr)
	defer flushLog()
	c.requestLog = &httpapi.RequestLog{W: logW, JSON: c.logFormat == "json", Sample: c.logSample}
	release, err := lockServe(c.dsn)
	if err != nil {
		return err
	}
	defer release()
	s, err := buildServer(ctx, c, log, stdout)
	if err != nil {
		return err
	}
	return s.run(ctx)
}

// buildServer opens storage, wires every package together according to what the backend
// offers, and listens; nothing is served yet. On error, what it built is closed again.
func buildServer(ctx context.Context, c serveConfig, log *slog.Logger, stdout io.Writer) (_ *server, err error) {
	s := &server{log: log, stdout: stdout, shutdownTimeout: c.shutdownTimeout, stopping: make(chan struct{})}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	var certs *certSource
	if c.tlsCert != "" { // read first: a bad file fails before anything is opened
		if certs, err = loadCerts(c.tlsCert, c.tlsKey); err != nil {
			return nil, err
		}
	}
	db, err := openReady(ctx, c.dsn)
	if err != nil {
		return nil, err
	}
	s.onClose("storage", func() { db.Close() })
	// The change feed and the node heartbeat live as long as storage, past the HTTP server.
	feedCtx, stopFeed := context.WithCancel(context.WithoutCancel(ctx))
	s.onClose("change feed and node heartbeat", stopFeed)

	m := metrics.New()
	broker := live.NewBroker()
	m.SetStreamSubscribers(broker.Subscribers)
	// The read cache: on one node (SQLite) every commit passes through the committer, which
	// drops the answers it changes before its producer hears of it. With several nodes
	// (PostgreSQL) the committer does that for this node's commits (read-your-writes here),
	// and another node's commit is dropped as soon as its notification, which names its bots,
	// arrives here; the change feed, which reads every node's commits back, drops them again
	// and catches what a lost notification missed (the 1 s poll).
	var readCache *httpapi.ReadCache
	var forget func(store.Changed)
	if c.readCache && (db.SoleWriter || db.Changes != nil) {
		readCache = httpapi.NewReadCache(int64(c.readCacheSize))
		forget = readCache.Forget
	}
	pressure := &webhook.Pressure{}
	hooks := newDispatcher(c.webhooks, db, m, pressure, log)
	var publisher ingest.Publisher = publishers{broker, hooks}
	if db.Changes != nil { // shared by several nodes: feed the broker (and wake webhooks) from storage
		var fed live.Publisher = publishers{broker, hooks}
		if readCache != nil {
			fed = publishers{readCache, broker, hooks}
		}
		if publisher, err = startFeed(feedCtx, db, db.Changes, fed, forget, log); err != nil {
			return nil, err
		}
	}
	if readCache != nil {
		publisher = publishers{readCache, publisher}
	}
	// The policy cache's lifetime bounds how long a policy change takes to apply: 5 s allowed.
	redactor := privacy.NewRedactor(db, 2*time.Second)
	committer := ingest.NewCommitter(db, ingest.Options{Redactor: redactor, Publisher: publisher, Horizon: c.horizon(),
		Observer: ingest.Observer{Commit: func(batches, events int, took time.Duration, err error) {
			m.ObserveCommit(batches, events, took, err)
			pressure.ObserveCommit(took)
		}, Visible: m.ObserveVisible}})
	s.lifecycle = newLifecycle(db, redactor, readCache, broker)
	s.lifecycle.listen(feedCtx, log)
	s.committer = committer
	// Every handler and worker has returned by then: commit whatever is still queued.
	s.onClose("committer", committer.Close)
	// The cache's lifetime bounds how long a revoked app keeps working: the contract allows 5 s.
	apps := auth.NewAppCache(appLookup(db), 2*time.Second)
	verifier := auth.NewVerifier(apps, jtiRecorder{db}, nil)
	var limiter httpapi.RateLimiter
	if c.rateLimit > 0 || len(c.rateOverrides) > 0 {
		limiter = ratelimit.New(c.rateLimit, c.rateOverrides)
		if db.Nodes != nil { // several nodes: each enforces its share of the budget
			limiter = sharedLimiter(feedCtx, db.Nodes, c.rateLimit, c.rateOverrides, log)
		}
	}
	var authFailures httpapi.AuthThrottle
	if c.authFailLimit > 0 {
		authFailures = ratelimit.NewFailures(c.authFailLimit)
	}
	handler := httpapi.NewServer(httpapi.Deps{
		Sessions: db, Summary: &summary.Service{Source: db}, Ingest: committer, Tokens: verifier, Apps: apps, Limiter: limiter, Storage: db,
		Metrics: m, Logger: log, Limits: httpapi.Limits{MaxBodyBytes: c.maxBody, MaxEvents: c.maxEvents},
		Stopping: s.stopping, Changes: db, Live: broker, ReadCache: readCache, Export: db, Erasures: s.lifecycle.erasures,
		AuthFailures: authFailures, CORSOrigins: c.corsOrigins, RequestLog: c.requestLog,
		Dashboard: dashboard.New(dashboard.Options{Apps: apps, SignInApps: apps.Fresh(), PageRate: pageRate(c.dashboardRate), Webhooks: hooks}),
	})

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	maxConns := c.conns.max
	if maxConns == 0 {
		maxConns = defaultMaxConns(raiseFileLimit())
	}
	limited := newLimitListener(ln, maxConns, m.ConnectionsRefused.Inc, m.ConnectionsEvicted.Inc)
	m.SetOpenConnections(limited.Open)
	s.ln = limited
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: c.conns.readHeaderTimeout,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second, // the stream lifts it for its own responses
		IdleTimeout:       c.conns.idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState:         limited.ConnState, // which connections may give way to new ones
	}
	s.http.RegisterOnShutdown(func() { close(s.stopping) })
	s.base = "http://" + ln.Addr().String()
	if certs != nil {
		s.http.TLSConfig = tlsConfig(certs)
		s.base = "https://" + ln.Addr().String()
		log.Info("tls certificate loaded", certs.leaf()...)
	}
	s.onClose("SIGHUP handler", reloadOnHangup(certs, log))
	log.Info("listening", "addr", ln.Addr().String(), "base_url", s.base, "db", redactDSN(c.dsn), "max_conns", maxConns)

	alerts := newEvaluator(c.webhooks, db, &summary.Service{Source: db}, hooks, m, log)
	s.workers = append(serveWorkers(c, db, committer, hooks, alerts, m, s.base, stdout, log), s.lifecycle.workers(c, log)...)
	return s, nil
}

// purgeJTIs forgets expired token ids now and then; they can no longer be replayed anyway.
func purgeJTIs(ctx context.Context, db interface {
	PurgeJTIs(context.Context, time.Time) error
}, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := db.PurgeJTIs(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("purge used jtis", "err", err)
			}
		}
	}
}

// redactDSN hides a password in a database URL before it is logged.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if colon := strings.Index(dsn[i+3:at], ":"); colon >= 0 {
				return dsn[:i+3+colon] + ":xxxxx" + dsn[at:]
			}
		}
	}
	return dsn
}

// publishers hands each commit's changes to several publishers, in order.
type publishers []ingest.Publisher

func (ps publishers) Publish(changes []session.Change) {
	for _, p := range ps {
		p.Publish(changes)
	}
}
