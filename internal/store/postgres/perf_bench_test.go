package postgres_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/store/storetest"
)

// perfLatestStore opens a migrated store holding 20 000 completed sessions of bot "st-bot" and
// as many of another bot.
func perfLatestStore(b *testing.B) (*postgres.Store, string) {
	b.Helper()
	ctx := context.Background()
	dsn := pgtest.DSN(b)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	to := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for _, bot := range []string{"st-bot", "st-other"} {
		storetest.Load(b, s, "acct", bot, "s-", 20_000, to.Add(-20_000*time.Second), to)
	}
	// The statistics autovacuum would gather soon after such a load: without them the planner
	// of a fresh database sorts the bot's every session instead of walking sessions_latest.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	conn.Close(ctx)
	// The pool's connections, opened before the measure: a backend that starts or ends during it
	// would count its start or be missed.
	warm := make(chan error)
	for range 8 {
		go func() {
			_, err := s.Latest(ctx, session.Query{Account: "acct", Bot: "st-bot"})
			warm <- err
		}()
	}
	for range 8 {
		if err := <-warm; err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the ANALYZE connection's backend exits
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	return s, strings.TrimPrefix(u.Path, "/")
}

// cpuMeter reports, per op from now until the returned function is called, the CPU time of this
// process and of the PostgreSQL backends serving database db on this machine (the read's cost is
// mostly the database's, which the client's own figure leaves out).
func cpuMeter(b *testing.B, db string) (stop func()) {
	self, backends := selfCPU(), backendCPU(db)
	return func() {
		b.ReportMetric(float64(selfCPU()-self)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(backendCPU(db)-backends)/float64(b.N), "db-cpu-ns/op")
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU sums the user and system time of the PostgreSQL backends connected to database db,
// found by the title PostgreSQL gives them ("postgres: USER DB HOST(PORT) STATE"); other tests'
// databases and autovacuum are left out. 0 when the server runs elsewhere.
func backendCPU(db string) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, dir := range dirs {
		title, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || !bytes.HasPrefix(title, []byte("postgres: ")) || !bytes.Contains(title, []byte(" "+db+" ")) ||
			bytes.Contains(title, []byte("autovacuum")) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		end := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[end+1:]))
		if end < 0 || len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14 of stat
		s, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
		ticks += u + s
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// BenchmarkPerfLatest is the read API's storage call: the newest 25 of 20 000 sessions of a
// bot, as the answer's bytes (LatestJSON, from the stored views), with the handler's buffer.
func BenchmarkPerfLatest(b *testing.B) {
	s, db := perfLatestStore(b)
	ctx := context.Background()
	q := session.Query{Account: "acct", Bot: "st-bot", Limit: session.DefaultLimit}
	b.ReportAllocs()
	b.ResetTimer()
	stop := cpuMeter(b, db)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, err := s.LatestJSON(ctx, q, make([]byte, 0, 320*session.DefaultLimit+3))
			if err != nil || bytes.Count(body, []byte(`"sessionId"`)) != session.DefaultLimit {
				b.Fatalf("%d bytes, %v", len(body), err)
			}
		}
	})
	stop()
}

// BenchmarkPerfLatestRows is the same read decoded into sessions (Latest, what the dashboard
// reads) and rendered as the read API did before the views: the cost the views removed.
func BenchmarkPerfLatestRows(b *testing.B) {
	s, db := perfLatestStore(b)
	ctx := context.Background()
	q := session.Query{Account: "acct", Bot: "st-bot", Limit: session.DefaultLimit}
	b.ReportAllocs()
	b.ResetTimer()
	stop := cpuMeter(b, db)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			states, err := s.Latest(ctx, q)
			if err != nil || len(states) != session.DefaultLimit {
				b.Fatalf("%d sessions, %v", len(states), err)
			}
			body := make([]byte, 0, 320*len(states)+3)
			for i := range states {
				body = states[i].AppendViewJSON(body)
			}
		}
	})
	stop()
}
