package cli

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/bench"
)

// benchFlags are the flags of "bench".
type benchFlags struct {
	cfg                    bench.Config
	dsn, jsonPath, ceiling string
	keep                   bool
}

// defineBench defines the flags of "bench". Its environment variables are INTENTRT_BENCH_<FLAG>
// (see envPrefix).
func defineBench(fs *flag.FlagSet) *benchFlags {
	var f benchFlags
	cfg := &f.cfg
	fs.StringVar(&f.dsn, "db", "", "backend under test: empty for SQLite files in --dir, or postgres://... (the bench creates and drops its own databases beside the one named)")
	fs.StringVar(&cfg.Dir, "dir", "", "scratch directory for databases and logs (default: a new temporary directory, removed afterwards)")
	fs.IntVar(&cfg.Bots, "bots", 10_000, "bots in the large database")
	fs.IntVar(&cfg.FlatSmall, "flat-small", 1000, "sessions stored for the small side of the flatness figure")
	fs.IntVar(&cfg.FlatBig, "flat-big", 1_000_000, "sessions stored for the large side, on which every other figure is measured (10000000 for a long run)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "time measured for each side of each comparison")
	fs.IntVar(&cfg.Rounds, "rounds", 5, "interleaved slices each comparison is split into, so that both sides see the same machine")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "connections of the read runs (the ceiling's too)")
	fs.IntVar(&cfg.Batch, "batch", 1000, "events per request in the batched ingest run")
	fs.IntVar(&cfg.BatchConns, "batch-producers", 4, "concurrent producers in the batched ingest run")
	fs.IntVar(&cfg.Producers, "producers", 64, "concurrent producers of one event per request")
	fs.IntVar(&cfg.Fresh, "fresh", 200, "freshness samples")
	fs.IntVar(&cfg.Streams, "streams", 5000, "stream subscribers of the fan-out run (one server, 10 bots)")
	fs.StringVar(&f.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.BoolVar(&f.keep, "keep", false, "keep the scratch directory")
	fs.StringVar(&f.ceiling, "serve-ceiling", "", "internal: serve this file as the read ceiling (the bench runs itself so)")
	return &f
}

// runBench measures the service against baselines taken in the same run (see internal/bench).
func runBench(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	f := defineBench(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	cfg, dsn, jsonPath, ceiling, keep := f.cfg, f.dsn, f.jsonPath, f.ceiling, f.keep
	if ceiling != "" {
		return bench.ServeCeiling(ctx, ceiling, stdout)
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("bench: unexpected argument %q", fs.Arg(0))}
	}
	if cfg.Bots < 2 || cfg.FlatSmall < 1 || cfg.FlatBig < 1 || cfg.Duration <= 0 || cfg.Concurrency < 1 ||
		cfg.Batch < 1 || cfg.BatchConns < 1 || cfg.Producers < 1 || cfg.Fresh < 1 || cfg.Rounds < 1 || cfg.Streams < fanoutMin {
		return &usageError{"bench: --bots must be ≥ 2, --streams ≥ 10, the other sizes ≥ 1 and --duration > 0"}
	}
	cleanup, err := benchScratch(&cfg, stderr, keep)
	if err != nil {
		return err
	}
	defer cleanup()
	be, err := benchBackend(dsn, cfg.Dir)
	if err != nil {
		return err
	}
	rep, err := bench.Run(ctx, cfg, be)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	rep.Print(stdout)
	if jsonPath != "" {
		if err := rep.WriteJSON(jsonPath); err != nil {
			return fmt.Errorf("bench: write %s: %w", jsonPath, err)
		}
	}
	return nil
}

// fanoutMin is the fewest stream subscribers: one per bot of the fan-out run.
const fanoutMin = 10

// openBenchStore opens a database the bench created, with its schema.
func openBenchStore(ctx context.Context, dsn string) (bench.Store, error) {
	db, err := openReady(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// sqliteBench puts each database of the run in a file of dir.
func sqliteBench(dir string) bench.Backend {
	return bench.Backend{
		Name: "SQLite (embedded, WAL, synchronous=FULL)",
		Open: openBenchStore,
		Footprint: func(ctx context.Context, path string) (map[string]int64, error) {
			// dbstat: the pages of each table and index.
			return footprint(ctx, "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)", "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
		},
		Copy: func(ctx context.Context, src, name string) (string, func() error, error) {
			path := filepath.Join(dir, name+".db")
			drop := func() error {
				for _, suffix := range []string{"", "-wal", "-shm", ".serve-lock"} {
					os.Remove(path + suffix)
				}
				return nil
			}
			drop()
			db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
			if err != nil {
				return "", nil, err
			}
			defer db.Close()
			// VACUUM INTO writes a consistent copy, WAL included, while the source stays open.
			if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
				drop()
				return "", nil, err
			}
			return path, drop, nil
		},
		Fresh: func(ctx context.Context, name string) (string, func() error, error) {
			path := filepath.Join(dir, name+".db")
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
					return "", nil, err
				}
			}
			return path, func() error {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(path + suffix)
				}
				return nil
			}, nil
		},
	}
}

// postgresBench creates each database of the run on the server of dsn, named after the
// database dsn names ("test" gives "test_bench_big"), and drops it afterwards.
func postgresBench(dsn string) bench.Backend {
	return bench.Backend{
		Name: "PostgreSQL",
		Open: openBenchStore,
		Footprint: func(ctx context.Context, dsn string) (map[string]int64, error) {
			return pgFootprint(ctx, dsn, `SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c
				JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')`)
		},
		Fresh: func(ctx context.Context, name string) (string, func() error, error) {
			u, err := url.Parse(dsn)
			if err != nil {
				return "", nil, &usageError{fmt.Sprintf("bench: --db: %v", err)}
			}
			db := strings.TrimPrefix(u.Path, "/")
			if db == "" {
				db = "postgres"
			}
			fresh := db + "_bench_" + name
			exec := func(sql string) error {
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					return err
				}
				defer conn.Close(context.Background())
				_, err = conn.Exec(ctx, sql)
				return err
			}
			ident := pgx.Identifier{fresh}.Sanitize()
			if err := exec("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)"); err != nil {
				return "", nil, fmt.Errorf("drop %s: %w", fresh, err)
			}
			if err := exec("CREATE DATABASE " + ident); err != nil {
				return "", nil, fmt.Errorf("create %s: %w", fresh, err)
			}
			u.Path = "/" + fresh
			return u.String(), func() error { return exec("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)") }, nil
		},
	}
}

// benchScratch finds the binary the bench runs as its children and makes the scratch directory;
// cleanup removes a temporary one unless keep.
func benchScratch(cfg *bench.Config, stderr io.Writer, keep bool) (cleanup func(), err error) {
	cleanup = func() {}
	exe, err := os.Executable()
	if err != nil {
		return cleanup, fmt.Errorf("find the intentrt binary: %w", err)
	}
	cfg.Exe, cfg.Log = exe, stderr
	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "intentrt-bench-"); err != nil {
			return cleanup, err
		}
		if !keep {
			dir := cfg.Dir
			cleanup = func() { os.RemoveAll(dir) }
		}
	} else if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return cleanup, err
	}
	return cleanup, nil
}

// benchBackend is the backend under test: SQLite files in dir, or PostgreSQL beside dsn.
func benchBackend(dsn, dir string) (bench.Backend, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		return postgresBench(dsn), nil
	case dsn != "":
		return bench.Backend{}, &usageError{fmt.Sprintf("bench: --db %q: leave it empty (SQLite) or give postgres://...", dsn)}
	}
	return sqliteBench(dir), nil
}

// footprint runs query (name, bytes) on the database and returns its rows.
func footprint(ctx context.Context, driver, dsn, query string) (map[string]int64, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sizes(rows)
}

// sizes reads footprint rows (name, bytes) from either driver's result.
func sizes(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) (map[string]int64, error) {
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}

// pgFootprint is footprint on PostgreSQL.
func pgFootprint(ctx context.Context, dsn, query string) (map[string]int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sizes(rows)
}
