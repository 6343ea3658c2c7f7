// Package bench is intentrt's benchmark: it runs the real binary's "serve" as a child process on
// a populated database, drives it with a lean HTTP/1.1 load generator (gen.go, in this
// process) and sets each figure against a baseline measured in the same run on the same machine:
// a bare net/http server for reads, direct store writes for ingest. It knows no storage backend:
// the CLI hands it a way to open one.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
)

// Store is what the bench writes to directly: the baselines and the fast population of history.
type Store interface {
	Apply(ctx context.Context, batches []session.Batch) ([]session.Result, []session.Change, error)
	CreateApp(ctx context.Context, app auth.App) error
	Close() error
}

// Backend gives the bench fresh, empty databases of the backend under test.
type Backend struct {
	Name string // "sqlite" or "postgres", for the report
	// Fresh returns the --db of a new empty database called name and a function that removes it.
	Fresh func(ctx context.Context, name string) (dsn string, drop func() error, err error)
	// Open opens a database returned by Fresh, with the schema created.
	Open func(ctx context.Context, dsn string) (Store, error)
	// Copy, when set, copies a populated database for a second server: SQLite allows one serve
	// per file. Without it the second server shares the database (PostgreSQL).
	Copy func(ctx context.Context, dsn, name string) (copyDSN string, drop func() error, err error)
	// Footprint, when set, returns the bytes on disk of each table and index of a database.
	Footprint func(ctx context.Context, dsn string) (map[string]int64, error)
}

// Config scales the run. The defaults finish in a few minutes on a 2-core machine.
type Config struct {
	Exe         string        // the intentrt binary whose "serve" is measured
	Dir         string        // scratch directory: logs, captured bodies
	Bots        int           // bots in the large database
	FlatSmall   int           // sessions stored for the small side of the flatness comparison
	FlatBig     int           // sessions stored for the large side (and every other figure)
	Duration    time.Duration // length of each load phase, split into Rounds interleaved slices
	Rounds      int           // slices per phase, alternating the things compared
	Concurrency int           // connections of the read runs
	Batch       int           // events per request of the batched ingest run
	BatchConns  int           // concurrent producers of the batched ingest run
	Producers   int           // concurrent producers of the small-request ingest run
	Fresh       int           // freshness samples
	Streams     int           // stream subscribers of the fan-out run
	Log         io.Writer     // progress lines
}

const (
	account   = "bench-account"
	targetBot = "st-bench-target"
	freshBot  = "st-bench-fresh"
)

// slice is the length of one measured slice: each phase is Rounds slices.
func (c Config) slice() time.Duration {
	return max(c.Duration/time.Duration(max(c.Rounds, 1)), 200*time.Millisecond)
}

// Run measures everything and returns the report.
func Run(ctx context.Context, cfg Config, be Backend) (*Report, error) {
	r := &Report{
		Backend: be.Name, Cores: runtime.NumCPU(), Started: time.Now().UTC(),
		Bots: cfg.Bots, FlatSmall: cfg.FlatSmall, FlatBig: cfg.FlatBig,
		Duration: cfg.Duration.String(), Rounds: cfg.Rounds, Concurrency: cfg.Concurrency, Producers: cfg.Producers,
		Batch: cfg.Batch, BatchConns: cfg.BatchConns,
	}
	logf := func(format string, args ...any) { fmt.Fprintf(cfg.Log, "bench: "+format+"\n", args...) }

	big, err := prepare(ctx, be, "big", cfg.Bots, cfg.FlatBig, logf)
	if err != nil {
		return nil, err
	}
	defer big.close()
	if be.Footprint != nil {
		if r.Footprint, err = be.Footprint(ctx, big.dsn); err != nil {
			return nil, fmt.Errorf("footprint: %w", err)
		}
	}
	small, err := prepare(ctx, be, "small", min(cfg.Bots, max(cfg.FlatSmall/10, 1)), cfg.FlatSmall, logf)
	if err != nil {
		return nil, err
	}
	defer small.close()
	srv, srvStore, srvSmall, stop, err := startServers(ctx, cfg, be, big, small)
	if err != nil {
		return nil, err
	}
	defer stop()
	h := authHeader(big.token, account)

	// 1 and 4. Read on 1 M and on 1 k sessions against the ceiling.
	if err := measureReads(ctx, r, cfg, []*child{srv, srvStore, srvSmall}, h, authHeader(small.token, account), big, logf); err != nil {
		return nil, err
	}

	// The read cache's memory, every bot read once.
	if r.CacheFill, err = measureCacheFill(cfg, srv, h, logf); err != nil {
		return nil, err
	}

	// The export route, when the server has it.
	if r.Export, err = measureExport(ctx, srv, h, logf); err != nil {
		return nil, err
	}

	// 2. Batched ingest over HTTP vs the same rows applied straight to the store.
	if err := measureBatched(ctx, r, cfg, big, srv, h, logf); err != nil {
		return nil, err
	}
	// 3. Many small producers vs one transaction per event.
	if err := measureSmall(ctx, r, cfg, big, srv, h, logf); err != nil {
		return nil, err
	}

	// 5. Freshness, with demo-like background traffic on other bots.
	if r.Freshness, err = freshnessUnderLoad(ctx, cfg, srv, h, logf); err != nil {
		return nil, err
	}
	// Several nodes on one database (PostgreSQL): how stale another node's cached answers get.
	if be.Copy == nil {
		if r.CrossNode, err = crossNodeFreshness(ctx, cfg, srv, big.dsn, h, logf); err != nil {
			return nil, err
		}
	}

	// 6. Memory of the server that went through all of the above.
	if r.PeakRSSBytes, err = srv.PeakRSS(); err != nil {
		return nil, err
	}

	// Many stream subscribers on one node; their memory is reported apart.
	if r.Fanout, err = measureFanout(ctx, cfg, big, srv, h, logf); err != nil {
		return nil, err
	}
	if err := srv.Stop(); err != nil {
		logf("server: %v", err)
	}

	// Webhooks: ingest with and without them, and delivery latency, on servers of their own.
	if r.Webhooks, err = measureWebhooks(ctx, cfg, be, logf); err != nil {
		return nil, err
	}
	r.Finished = time.Now().UTC()
	r.evaluate()
	return r, nil
}

// fetch sends one request and returns the body of its 200.
func fetch(ctx context.Context, method, url string, h http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return b, err
}

// database is a populated database of the run.
type database struct {
	dsn            string
	db             Store
	drop           func() error
	token          string
	targetSessions int
}

func (d *database) close() {
	d.db.Close()
	if d.drop != nil {
		_ = d.drop()
	}
}

// startServers starts the three serve processes a run measures: the large database with its
// read cache, a copy of it without (the storage path, whose flatness compares it with the
// small database), and the small database without. stop stops what was started, in reverse.
func startServers(ctx context.Context, cfg Config, be Backend, big, small *database) (srv, srvStore, srvSmall *child, stop func(), err error) {
	var stops []func() error
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			_ = stops[i]()
		}
	}
	srv, err = startChild(ctx, cfg.Exe, []string{"serve", "--addr", "127.0.0.1:0", "--db", big.dsn, "--rate-limit", "0"},
		filepath.Join(cfg.Dir, "serve-big.log"))
	if err != nil {
		return nil, nil, nil, stop, err
	}
	stops = append(stops, srv.Stop)
	// The storage path: the same database served with the read cache off, so that every read
	// queries storage. The flatness figure compares that path on 1 M and on 1 k sessions.
	storeDSN := big.dsn
	if be.Copy != nil {
		var drop func() error
		if storeDSN, drop, err = be.Copy(ctx, big.dsn, "big-nocache"); err != nil {
			return nil, nil, nil, stop, fmt.Errorf("copy the large database: %w", err)
		}
		stops = append(stops, drop)
	}
	srvStore, err = startChild(ctx, cfg.Exe, []string{"serve", "--addr", "127.0.0.1:0", "--db", storeDSN, "--rate-limit", "0", "--read-cache=false"},
		filepath.Join(cfg.Dir, "serve-big-nocache.log"))
	if err != nil {
		return nil, nil, nil, stop, err
	}
	stops = append(stops, srvStore.Stop)
	srvSmall, err = startChild(ctx, cfg.Exe, []string{"serve", "--addr", "127.0.0.1:0", "--db", small.dsn, "--rate-limit", "0", "--read-cache=false"},
		filepath.Join(cfg.Dir, "serve-small.log"))
	if err != nil {
		return nil, nil, nil, stop, err
	}
	stops = append(stops, srvSmall.Stop)
	return srv, srvStore, srvSmall, stop, nil
}

// prepare creates a database with an app and sessions stored straight through the store.
func prepare(ctx context.Context, be Backend, name string, bots, sessions int, logf func(string, ...any)) (*database, error) {
	dsn, drop, err := be.Fresh(ctx, name)
	if err != nil {
		return nil, err
	}
	db, err := be.Open(ctx, dsn)
	if err != nil {
		if drop != nil {
			_ = drop()
		}
		return nil, err
	}
	d := &database{dsn: dsn, db: db, drop: drop, targetSessions: (sessions + 9) / 10}
	app, err := auth.NewApp(account, nil, true, auth.Scopes, false, time.Now())
	if err == nil {
		err = db.CreateApp(ctx, app)
	}
	if err == nil {
		// No jti: a client reuses its token for an hour, which is how Kore's clients call.
		d.token, err = auth.Mint(app.ClientID, app.ClientSecret, auth.MintOptions{TTL: 2 * time.Hour})
	}
	if err != nil {
		d.close()
		return nil, err
	}
	start := time.Now()
	last := start
	err = populate(ctx, db, account, targetBot, bots, sessions, start.Add(-time.Hour), func(done int) {
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			logf("populating %s: %d of %d sessions", name, done, sessions)
		}
	})
	if err != nil {
		d.close()
		return nil, err
	}
	logf("populated %s: %d sessions over %d bots in %s (%.0f sessions/s)", name, sessions, bots,
		time.Since(start).Round(time.Millisecond), float64(sessions)/time.Since(start).Seconds())
	return d, nil
}
