package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/store/sqlite"
	"github.com/intentrt/intentrt/internal/testserver"
)

// BenchmarkExportMillion measures the export of a large bot: it loads
// INTENTRT_EXPORT_BENCH_ROWS completed sessions (default 1 000 000) straight into storage
// through Apply in big batches, starts the real binary in its own process, exports them all as
// NDJSON and as CSV, and reports rows per second and how far the server's peak resident memory
// (VmHWM) rose above its resident memory before the export. It asserts nothing about speed.
// INTENTRT_EXPORT_BENCH_POSTGRES=1 runs it on PostgreSQL (INTENTRT_TEST_POSTGRES) instead.
//
//	go test ./internal/e2e/ -run '^$' -bench ExportMillion -benchtime 1x -timeout 60m
func BenchmarkExportMillion(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("INTENTRT_EXPORT_BENCH_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	dir := b.TempDir()
	db := filepath.Join(dir, "export.db")
	var st store.Store
	var err error
	if os.Getenv("INTENTRT_EXPORT_BENCH_POSTGRES") != "" {
		db = pgtest.DSN(b)
		st, err = openPostgresMigrated(db)
	} else {
		st, err = openSQLiteMigrated(db)
	}
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	loadSessions(b, st, rows)
	st.Close()
	b.Logf("loaded %d sessions in %v", rows, time.Since(start).Round(time.Second))
	app := testserver.CreateAppDB(b, db, testserver.AppSpec{Account: "acct"})

	bin := filepath.Join(dir, "intentrt")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/intentrt").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--rate-limit", "0")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	url := waitListening(b, stdout)
	h := testserver.Headers(app.Token(b), "acct")
	b.ResetTimer()
	for range b.N {
		for _, accept := range []string{"application/x-ndjson", "text/csv"} {
			before := procStatusKB(b, cmd.Process.Pid, "VmRSS")
			t0 := time.Now()
			n := exportLines(b, url+"/api/public/bot/st-bot/intentrealtimedata/export", h, accept)
			took := time.Since(t0)
			peak := procStatusKB(b, cmd.Process.Pid, "VmHWM")
			name := strings.TrimPrefix(strings.TrimPrefix(accept, "application/x-"), "text/")
			b.ReportMetric(float64(rows)/took.Seconds(), name+"-rows/s")
			b.ReportMetric(float64(peak-before)/1024, name+"-peak-growth-MB")
			b.Logf("%s: %d lines in %v (%.0f rows/s); RSS before %d MB, peak after %d MB (growth %d MB)",
				name, n, took.Round(time.Millisecond), float64(rows)/took.Seconds(), before/1024, peak/1024, (peak-before)/1024)
		}
	}
}

func openSQLiteMigrated(path string) (store.Store, error) {
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	return s, s.Migrate(context.Background())
}

func openPostgresMigrated(dsn string) (store.Store, error) {
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{OpTimeout: time.Minute})
	if err != nil {
		return nil, err
	}
	return s, s.Migrate(context.Background())
}

// loadSessions applies rows session.completed events of bot acct/st-bot, 10 000 a transaction.
func loadSessions(b *testing.B, st store.Store, rows int) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const per = 10_000
	for from := 0; from < rows; from += per {
		evs := make([]session.Event, 0, per)
		for i := from; i < min(from+per, rows); i++ {
			end := base.Add(time.Duration(i) * time.Second)
			evs = append(evs, session.Event{Type: session.TypeCompleted, EventID: "e" + strconv.Itoa(i), SessionID: fmt.Sprintf("s-%07d", i),
				Time: end, Channel: "korevg", ANI: "+12605554468", DNI: "+18005550100", UserID: "u-" + strconv.Itoa(i),
				StartTime: end.Add(-3 * time.Minute), EndTime: end, Status: session.StatusCompleted, Intents: []string{"Book a Flight", "=Check Balance"}})
		}
		if _, _, err := st.Apply(context.Background(), []session.Batch{{Account: "acct", Bot: "st-bot", Events: evs}}); err != nil {
			b.Fatal(err)
		}
	}
}

var listeningRE = regexp.MustCompile(`intentrt listening on (http://\S+)`)

func waitListening(b *testing.B, stdout io.Reader) string {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return m[1]
		}
	}
	b.Fatal("the server did not say where it listens")
	return ""
}

// exportLines runs one export and counts its lines, failing unless it ends as it should.
func exportLines(b *testing.B, url string, h map[string]string, accept string) int {
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	for k, v := range h {
		req.Header[k] = []string{v}
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		b.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	br := bufio.NewReaderSize(resp.Body, 1<<20)
	n := 0
	var last []byte
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			n++
			last = append(last[:0], line...)
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			b.Fatal(err)
		}
	}
	if accept == "application/x-ndjson" && !strings.HasPrefix(string(last), `{"cursor":`) {
		b.Fatalf("the export did not end with its cursor: %q", last)
	}
	return n
}

// procStatusKB reads a field of /proc/PID/status, in kB.
func procStatusKB(b *testing.B, pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+) kB`).FindSubmatch(data)
	if m == nil {
		b.Fatalf("no %s in /proc/%d/status", field, pid)
	}
	v, _ := strconv.Atoi(string(m[1]))
	return v
}
