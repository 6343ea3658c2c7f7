package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

// The crash test's shape: producers send batches of crashBatch sessions; sessions are numbered
// globally and session k belongs to bot st-c<k/crashPerBot>, so that a batch never straddles
// two bots and the read API (limit 100) returns every session of a bot at once.
const (
	crashAccount   = "acct-crash"
	crashProducers = 8
	crashBatch     = 20
	crashPerBot    = 100
	crashRounds    = 5
)

// TestCrashDurability proves the ingest API's durable acknowledgement with the real binary: a
// server killed with SIGKILL at random moments under load, again and again, loses no event it
// acknowledged with a 200; and SIGTERM under load exits 0 after finishing the requests in
// flight, again losing nothing it acknowledged. The read API is the proof: every acknowledged
// session must be returned after a restart.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it under load; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildIntentrt(t, dir)
	db := filepath.Join(dir, "crash.db")

	out, err := exec.Command(bin, "apps", "create", "--db", db, "--account", crashAccount, "--all-bots",
		"--scope", string(auth.ScopeAnalytics), "--scope", string(auth.ScopeIngest)).Output()
	if err != nil {
		t.Fatalf("apps create: %v: %s", err, exitStderr(err))
	}
	var app struct{ ClientID, ClientSecret string }
	if err := json.Unmarshal(out, &app); err != nil || app.ClientSecret == "" {
		t.Fatalf("apps create printed %s (%v)", out, err)
	}
	token, err := auth.Mint(app.ClientID, app.ClientSecret, auth.MintOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	load := newCrashLoad(token)

	for round := range crashRounds {
		srv := startIntentrt(t, bin, db, dir)
		load.run(t, srv.url, 300+time.Duration(rand.IntN(500))*time.Millisecond, func() {
			if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("round %d: kill: %v", round, err)
			}
			_ = srv.wait() // killed: the exit status says so, nothing to check
		})
		t.Logf("round %d: SIGKILL; %d sessions acknowledged so far, %d requests failed", round, load.ackedCount(), load.failed.Load())
	}

	// Everything acknowledged before the kills is there after a restart on the same file.
	srv := startIntentrt(t, bin, db, dir)
	load.verify(t, srv.url)

	// SIGTERM under load, with a live stream open: in-flight requests finish, the stream ends
	// rather than holding the shutdown, the process exits 0, nothing acknowledged is lost.
	stream := openCrashStream(t, srv.url, token)
	load.run(t, srv.url, 300+time.Duration(rand.IntN(500))*time.Millisecond, func() {
		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("sigterm: %v", err)
		}
		if err := srv.wait(); err != nil {
			t.Fatalf("after SIGTERM the server exited with %v; logs:\n%s", err, srv.logs())
		}
	})
	select {
	case <-stream:
	case <-time.After(5 * time.Second):
		t.Errorf("the live stream is still open after the server exited")
	}
	if !strings.Contains(srv.logs(), "stopped") {
		t.Errorf("no clean-stop log line after SIGTERM; logs:\n%s", tail(srv.logs(), 20))
	}
	srv = startIntentrt(t, bin, db, dir)
	n := load.verify(t, srv.url)
	t.Logf("%d acknowledged sessions all found after %d SIGKILLs and one SIGTERM (%d requests failed in all)", n, crashRounds, load.failed.Load())
	if n < crashProducers*crashBatch {
		t.Fatalf("only %d sessions were acknowledged: the load did not run", n)
	}
}

// openCrashStream opens the live stream of a bot and reads its first line; the returned channel
// is closed when the stream ends.
func openCrashStream(t *testing.T, url, token string) <-chan struct{} {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/public/bot/st-c0/intentrealtimedata/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("auth", token)
	req.Header.Set("accountId", crashAccount)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	rd := bufio.NewReader(resp.Body)
	if _, err := rd.ReadString('\n'); err != nil {
		t.Fatalf("stream: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, rd)
	}()
	return done
}

// buildIntentrt builds the real binary from the module root into dir.
func buildIntentrt(t *testing.T, dir string) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(dir, "intentrt")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/intentrt")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exitStderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// childServer is "intentrt serve" running as a child process.
type childServer struct {
	cmd    *exec.Cmd
	url    string
	stderr *testserver.SyncBuffer
	done   chan error
}

var listeningLine = regexp.MustCompile(`intentrt listening on (http://\S+)`)

// startIntentrt starts "intentrt serve" on db (with extra flags) and waits for its address. The process is killed
// when the test ends if it still runs.
func startIntentrt(t *testing.T, bin, db, dir string, extra ...string) *childServer {
	t.Helper()
	s := &childServer{stderr: &testserver.SyncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--rate-limit", "0"}, extra...)...)
	s.cmd.Dir = dir
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill() // os.ErrProcessDone when it has already exited
		_ = s.wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.done <- s.cmd.Wait()
	}()
	select {
	case s.url = <-urls:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("serve exited before listening: %v\n%s", err, s.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not listen within 20s:\n%s", s.stderr.String())
	}
	return s
}

// wait waits (up to 30 s) for the process to exit and returns its exit error.
func (s *childServer) wait() error {
	select {
	case err := <-s.done:
		s.done <- err // later calls see the same result
		return err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("did not exit within 30s")
	}
}

func (s *childServer) logs() string { return s.stderr.String() }

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// crashLoad is the producers' state across rounds: the next session number, each producer's
// unacknowledged batch (retried in the next round, as a real producer would), and every
// acknowledged session.
type crashLoad struct {
	token   string
	client  *http.Client
	next    atomic.Int64
	pending [crashProducers]int64 // first session number of the batch a producer still has to get acknowledged; -1 none
	failed  atomic.Int64

	mu    sync.Mutex
	acked map[int64]bool
}

func newCrashLoad(token string) *crashLoad {
	l := &crashLoad{token: token, acked: map[int64]bool{},
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: crashProducers}}}
	for i := range l.pending {
		l.pending[i] = -1
	}
	return l
}

func (l *crashLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// run sends batches from every producer to url; once this run has had a batch acknowledged
// (so that the end comes under load, whatever the machine's speed) it waits d more, then calls
// stop (which ends the server) and waits for the producers to notice.
func (l *crashLoad) run(t *testing.T, url string, d time.Duration, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { // also when stop fails the test
		cancel()
		wg.Wait()
		l.client.CloseIdleConnections()
	}()
	before := l.ackedCount()
	began := time.Now()
	for p := range crashProducers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.produce(ctx, url, p)
		}()
	}
	for l.ackedCount() == before {
		if time.Since(began) > 30*time.Second {
			t.Fatalf("no batch acknowledged within 30s (%d requests failed)", l.failed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("first acknowledgement after %v", time.Since(began).Round(time.Millisecond))
	time.Sleep(d)
	stop()
}

func (l *crashLoad) produce(ctx context.Context, url string, p int) {
	for ctx.Err() == nil {
		first := l.pending[p]
		if first < 0 {
			first = l.next.Add(crashBatch) - crashBatch
			l.pending[p] = first
		}
		if l.send(ctx, url, first) {
			l.mu.Lock()
			for k := first; k < first+crashBatch; k++ {
				l.acked[k] = true
			}
			l.mu.Unlock()
			l.pending[p] = -1
			continue
		}
		l.failed.Add(1)
		select { // the server is down or going down; retry the same batch shortly
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// send posts the batch of sessions first..first+crashBatch-1 and reports whether it was
// acknowledged: a 200 whose counts add up to the batch (a retried batch may be duplicates).
func (l *crashLoad) send(ctx context.Context, url string, first int64) bool {
	var b strings.Builder
	b.WriteByte('[')
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for k := first; k < first+crashBatch; k++ {
		if k > first {
			b.WriteByte(',')
		}
		start := base.Add(time.Duration(k) * time.Second)
		fmt.Fprintf(&b, `{"type":"session.completed","eventId":"e-%d","sessionId":"s-%d","channel":"korevg","ANI":"+1555%07d","DNI":"+18005550100","userId":"u-%d","startTime":%q,"endTime":%q,"intents":["Check Balance"],"status":"completed"}`,
			k, k, k, k, start.Format(time.RFC3339Nano), start.Add(90*time.Second).Format(time.RFC3339Nano))
	}
	b.WriteByte(']')
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/api/public/bot/st-c%d/sessionevents", url, first/crashPerBot), strings.NewReader(b.String()))
	if err != nil {
		return false
	}
	req.Header.Set("auth", l.token)
	req.Header.Set("accountId", crashAccount)
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct{ Accepted, Duplicates int }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil {
		return false
	}
	return r.Accepted+r.Duplicates == crashBatch
}

// verify reads every bot through the read API and fails the test for any acknowledged session
// that is missing or wrong. It returns how many sessions were acknowledged.
func (l *crashLoad) verify(t *testing.T, url string) int {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	bots := map[int64]bool{}
	for k := range l.acked {
		bots[k/crashPerBot] = true
	}
	missing := 0
	for bot := range bots {
		req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/public/bot/st-c%d/intentrealtimedata", url, bot), strings.NewReader(`{"limit":100}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("auth", l.token)
		req.Header.Set("accountId", crashAccount)
		req.Header.Set("Content-Type", "application/json")
		resp, err := l.client.Do(req)
		if err != nil {
			t.Fatalf("read bot st-c%d: %v", bot, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("read bot st-c%d: %d %s", bot, resp.StatusCode, body)
		}
		var got []struct {
			SessionID string   `json:"sessionId"`
			Intent    []string `json:"intent"`
			Status    string   `json:"status"`
			ANI       string   `json:"ANI"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("read bot st-c%d: %v: %s", bot, err, body)
		}
		found := map[string]bool{}
		for _, s := range got {
			var k int64
			if _, err := fmt.Sscanf(s.SessionID, "s-%d", &k); err != nil || k/crashPerBot != bot {
				t.Errorf("bot st-c%d returned a session that was never sent to it: %+v", bot, s)
				continue
			}
			if s.Status != "completed" || len(s.Intent) != 1 || s.ANI != fmt.Sprintf("+1555%07d", k) {
				t.Errorf("session %s stored wrong: %+v", s.SessionID, s)
			}
			found[s.SessionID] = true
		}
		for k := bot * crashPerBot; k < (bot+1)*crashPerBot; k++ {
			if l.acked[k] && !found[fmt.Sprintf("s-%d", k)] {
				missing++
				if missing <= 10 {
					t.Errorf("session s-%d was acknowledged but is missing", k)
				}
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged sessions are missing", missing, len(l.acked))
	}
	return len(l.acked)
}
