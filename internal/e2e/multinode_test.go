package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/cli"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// scaleT0 is the start of the sessions the scale-out tests ingest; session i ends i seconds
// after it, so a window of endTime selects exactly the sessions expected in it.
var scaleT0 = time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)

// scaleEvents returns the three events (start, intent, end) of session i as JSON array members.
func scaleEvents(prefix string, i int) string {
	id := fmt.Sprintf("%s-%05d", prefix, i)
	end := scaleT0.Add(time.Duration(i) * time.Second)
	start := end.Add(-30 * time.Second)
	return fmt.Sprintf(`{"type":"session.started","sessionId":%[1]q,"time":%[2]q,"channel":"korevg","ANI":"+1555%05[4]d","DNI":"+1800","userId":"u"},
		{"type":"intent.detected","sessionId":%[1]q,"time":%[2]q,"intent":"Intent %[4]d"},
		{"type":"session.ended","sessionId":%[1]q,"time":%[3]q,"status":"completed"}`,
		id, start.Format(time.RFC3339), end.Format(time.RFC3339), i)
}

// scaleRead returns the completed sessions of bot whose session number lies in [from, to)
// (at most 100), by session id, read through s.
func scaleRead(t *testing.T, s *testserver.Server, tok, account, bot string, from, to int) (map[string]koreSession, int) {
	t.Helper()
	body := fmt.Sprintf(`{"limit":100,"from":%q,"to":%q}`,
		scaleT0.Add(time.Duration(from)*time.Second).Format(time.RFC3339), scaleT0.Add(time.Duration(to)*time.Second).Format(time.RFC3339))
	resp, b := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(tok, account), body)
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode
	}
	out := map[string]koreSession{}
	for _, ks := range decodeSessions(t, b) {
		out[ks.SessionID] = ks
	}
	return out, resp.StatusCode
}

// sseEvent is one event of a live stream.
type sseEvent struct {
	Event, ID string
	Data      koreSession
}

// openStream subscribes to the live stream of bot on s; events arrive on the channel until the
// test ends. It returns once the response headers are in, so the subscription is in place.
func openStream(t *testing.T, s *testserver.Server, tok, account, bot string) <-chan sseEvent {
	t.Helper()
	_, events := openStreamResp(t, s, tok, account, bot)
	return events
}

// openStreamResp is openStream that also returns the response (its body is the events').
func openStreamResp(t *testing.T, s *testserver.Server, tok, account, bot string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+readPath(bot)+"/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range testserver.Headers(tok, account) {
		req.Header[k] = []string{v}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("open stream: %d", resp.StatusCode)
	}
	out := make(chan sseEvent, 1024)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		var data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data != "" {
					if json.Unmarshal([]byte(data), &ev.Data) == nil {
						out <- ev
					}
				}
				ev, data = sseEvent{}, ""
			case strings.HasPrefix(line, "event:"):
				ev.Event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "id:"):
				ev.ID = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
			case strings.HasPrefix(line, "data:"):
				data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	return resp, out
}

// TestMultiNode runs two nodes on one PostgreSQL database: what is ingested through one is read
// and streamed through the other, a jti used on one is refused by the other, and an app revoked
// through the CLI is refused by both within the contract's 5 s.
func TestMultiNode(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := testserver.StartDB(t, dsn)
	b := testserver.StartDB(t, dsn)
	const account, bot = "acct-multi", "st-multi"
	app := a.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)

	stream := openStream(t, b, tok, account, bot)

	// Ingest through A; every acknowledged write is read through B at once, with no wait.
	const n = 12
	for req := range 3 {
		var evs []string
		for i := req * n / 3; i < (req+1)*n/3; i++ {
			evs = append(evs, scaleEvents("mn", i))
		}
		if acc, dup := a.Ingest(t, tok, account, bot, "["+strings.Join(evs, ",")+"]"); acc != 3*n/3 || dup != 0 {
			t.Fatalf("request %d: accepted %d duplicates %d", req, acc, dup)
		}
		got, code := scaleRead(t, b, tok, account, bot, 0, n)
		if code != http.StatusOK || len(got) != (req+1)*n/3 {
			t.Fatalf("after request %d, B reads %d sessions (status %d), want %d", req, len(got), code, (req+1)*n/3)
		}
	}
	got, _ := scaleRead(t, b, tok, account, bot, 0, n)
	if s := got["mn-00007"]; len(s.Intent) != 1 || s.Intent[0] != "Intent 7" || s.ANI != "+155500007" {
		t.Fatalf("session 7 read through B: %+v", s)
	}

	// B's summary counts what was ingested through A, at once.
	sum := summarize(t, b, tok, account, bot, `{"from":"2026-11-24T06:00:00Z","to":"2026-11-24T07:00:00Z","top":100}`)
	if sum.Totals.Sessions != n || sum.Totals.Completed != n || len(sum.Intents) != n || sum.Series[0].Sessions != n {
		t.Fatalf("summary on B of what A ingested: %+v", sum.Totals)
	}

	// B's live subscriber receives every session ingested through A, once, in cursor order,
	// and hears that the bot's summary changed.
	seen := map[string]bool{}
	deadline := time.After(15 * time.Second)
	var lastID int64
	notices := 0
	for len(seen) < n || notices == 0 {
		select {
		case ev, ok := <-stream:
			if !ok {
				t.Fatalf("stream on B ended after %d sessions", len(seen))
			}
			if ev.Event == "summary.changed" {
				notices++
				continue
			}
			id, err := strconv.ParseInt(ev.ID, 10, 64)
			if ev.Event != "session" || seen[ev.Data.SessionID] || err != nil || id <= lastID {
				t.Fatalf("stream event %+v after id %d (seen %v)", ev, lastID, seen[ev.Data.SessionID])
			}
			seen[ev.Data.SessionID], lastID = true, id
		case <-deadline:
			t.Fatalf("stream on B received %d of %d sessions ingested through A, %d summary notices", len(seen), n, notices)
		}
	}

	// A jti used through one node is refused through the other.
	jtiApp := a.CreateApp(t, testserver.AppSpec{Account: account, EnforceJTI: true})
	jtiTok := jtiApp.Token(t)
	if resp, body := a.Do(t, http.MethodPost, readPath(bot), testserver.Headers(jtiTok, account), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("first use on A: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.Do(t, http.MethodPost, readPath(bot), testserver.Headers(jtiTok, account), ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replay on B: %d %s, want 401", resp.StatusCode, body)
	}

	// Revoked through the CLI (as an operator does, against the shared database): both nodes,
	// which have the app in their caches, refuse it within 5 s.
	for _, s := range []*testserver.Server{a, b} {
		if resp, _ := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(app.Token(t), account), ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("before revoke: %d", resp.StatusCode)
		}
	}
	testserver.RunCLI(t, "apps", "revoke", app.ClientID, "--db", dsn)
	revoked := time.Now()
	for i, s := range []*testserver.Server{a, b} {
		for {
			resp, _ := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(app.Token(t), account), "")
			if resp.StatusCode == http.StatusUnauthorized {
				break
			}
			if time.Since(revoked) > 5*time.Second {
				t.Fatalf("node %d still answers %d more than 5 s after the revocation", i, resp.StatusCode)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// serveChildEnv carries the arguments of a serve process that TestServeProcess runs.
const serveChildEnv = "INTENTRT_E2E_SERVE_ARGS"

// TestServeProcess is not a test: it is how the scale-out tests run a node as a real process of
// its own, one they can SIGKILL. The test binary re-runs itself with -test.run=^TestServeProcess$
// and the serve arguments in the environment.
func TestServeProcess(t *testing.T) {
	raw := os.Getenv(serveChildEnv)
	if raw == "" {
		t.Skip("runs only as a child process of the multi-node tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := cli.Run(ctx, args, func(string) string { return "" }, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

var childListening = regexp.MustCompile(`intentrt listening on (http://\S+)`)

// startServeProcess runs "intentrt serve" on dsn in a child process and returns it with its URL.
func startServeProcess(t *testing.T, dsn string, extra ...string) (*exec.Cmd, *testserver.Server) {
	t.Helper()
	args, _ := json.Marshal(append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--rate-limit", "0"}, extra...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), serveChildEnv+"="+string(args))
	logs := &testserver.SyncBuffer{}
	cmd.Stderr = logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := childListening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, &testserver.Server{URL: u, DB: dsn, Stderr: logs}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve process did not start; logs:\n%s", logs.String())
	}
	return nil, nil
}

// TestMultiNodeKill ingests through a node running as its own process, kills it with SIGKILL in
// the middle of the ingest, and finds every acknowledged event through the other node.
func TestMultiNodeKill(t *testing.T) {
	dsn := pgtest.DSN(t)
	survivor := testserver.StartDB(t, dsn)
	cmd, victim := startServeProcess(t, dsn)
	const account, bot = "acct-kill", "st-kill"
	app := survivor.CreateApp(t, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	tok := app.Token(t)

	// Writers send 2 sessions (6 events) per request, each writer its own range of sessions,
	// and note every request acknowledged with a 200.
	const writers, perWriter = 4, 200
	var (
		mu    sync.Mutex
		acked []int // session numbers acknowledged
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < perWriter; j += 2 {
				i := w*perWriter + j
				body := "[" + scaleEvents("k", i) + "," + scaleEvents("k", i+1) + "]"
				req, _ := http.NewRequest(http.MethodPost, victim.URL+ingestPath(bot), strings.NewReader(body))
				req.Header["auth"] = []string{tok}
				req.Header["accountId"] = []string{account}
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the node is gone
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return
				}
				mu.Lock()
				acked = append(acked, i, i+1)
				mu.Unlock()
			}
		}()
	}
	// Kill once a good part of the ingest is acknowledged, while writers are still sending.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= writers*perWriter/4 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == writers*perWriter {
		t.Fatal("every request was acknowledged before the kill: the test did not kill mid-ingest")
	}

	// Every acknowledged session is complete, with its intent, through the survivor.
	ackSet := map[int]bool{}
	for _, i := range acked {
		ackSet[i] = true
	}
	found := 0
	for from := 0; from < writers*perWriter; from += 100 {
		got, code := scaleRead(t, survivor, tok, account, bot, from, from+100)
		if code != http.StatusOK {
			t.Fatalf("read through the survivor: %d", code)
		}
		for i := from; i < from+100; i++ {
			s, ok := got[fmt.Sprintf("k-%05d", i)]
			if ackSet[i] && (!ok || len(s.Intent) != 1 || s.Intent[0] != fmt.Sprintf("Intent %d", i)) {
				t.Errorf("acknowledged session %d read through the survivor: %+v (found %v)", i, s, ok)
			}
			if ok {
				found++
			}
		}
	}
	t.Logf("%d sessions acknowledged before the kill, %d found through the survivor (unacknowledged ones may be stored too)", len(acked), found)
}

// TestMultiNodeRateLimit runs two nodes with a limit of 10 reads a minute per account: once they
// know of each other, each enforces half, so requests spread over both get 10 answers, not 20.
func TestMultiNodeRateLimit(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := testserver.StartDB(t, dsn, "--rate-limit", "10")
	b := testserver.StartDB(t, dsn, "--rate-limit", "10")
	const account, bot = "acct-rl", "st-rl"
	app := a.CreateApp(t, testserver.AppSpec{Account: account})
	for _, s := range []*testserver.Server{a, b} {
		waitFor(t, "both nodes to share the limit", func() bool {
			return strings.Contains(s.Stderr.String(), "rate limit shared between nodes") &&
				strings.Contains(s.Stderr.String(), "nodes=2")
		})
	}
	codes := map[int]int{}
	for i := range 20 {
		s := []*testserver.Server{a, b}[i%2]
		resp, _ := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(app.Token(t), account), "")
		codes[resp.StatusCode]++
	}
	if codes[http.StatusOK] != 10 || codes[http.StatusTooManyRequests] != 10 {
		t.Fatalf("answers %v: want 10 of 200 and 10 of 429 for a limit of 10 across two nodes", codes)
	}
}

// TestMultiNodeMigrate checks the schema lifecycle on PostgreSQL: "migrate" builds a new
// database, serve refuses a database older than the binary and says to run migrate, and migrate
// brings it up to date.
func TestMultiNodeMigrate(t *testing.T) {
	dsn := pgtest.DSN(t)
	out := testserver.RunCLI(t, "migrate", "--db", dsn)
	if !strings.Contains(out, "(was 0)") {
		t.Fatalf("migrate on a new database: %q", out)
	}
	want := strings.Fields(out)[3] // "schema at version N (was 0)"
	if out := testserver.RunCLI(t, "migrate", "--db", dsn); !strings.Contains(out, "(was "+want+")") {
		t.Fatalf("migrate again: %q", out)
	}
	// Make the database older than the binary, at version 1, as if created by an early release:
	// what the later migrations made is dropped with their records. (A new migration that
	// creates tables adds them here.)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP TABLE nodes, aggregates, aggregates_hourly, accounts, pseudonym_key, webhooks, webhook_dead_letters, leases, alert_rules, alert_events, erasures;
		DROP INDEX IF EXISTS sessions_in_progress; DROP INDEX sessions_expiry, sessions_user, events_seen_expiry;
		ALTER TABLE sessions DROP COLUMN last_ns, DROP COLUMN view; ALTER TABLE events_seen DROP COLUMN at_ns; DELETE FROM schema_migrations WHERE version >= 2`); err != nil {
		t.Fatal(err)
	}
	var stderr testserver.SyncBuffer
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = cli.Run(rctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, func(string) string { return "" },
		strings.NewReader(""), &testserver.SyncBuffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), "intentrt migrate") {
		t.Fatalf("serve on an outdated schema: %v, want a refusal that says to run intentrt migrate", err)
	}
	if out := testserver.RunCLI(t, "migrate", "--db", dsn); !strings.Contains(out, "(was 1)") {
		t.Fatalf("migrate the outdated database: %q", out)
	}
	s := testserver.StartDB(t, dsn)
	if resp, _ := s.Do(t, http.MethodGet, "/readyz", nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz after migrate: %d", resp.StatusCode)
	}
}
