package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// burst ingests sessions prefix-0..n-1, one per request, from a few producers until done or
// stop is closed, and returns the ids acknowledged with a 200.
func burst(url, tok, account, bot, prefix string, n int, stop <-chan struct{}) []string {
	var (
		mu    sync.Mutex
		acked []string
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, url+ingestPath(bot), strings.NewReader("["+scaleEvents(prefix, i)+"]"))
				req.Header["auth"] = []string{tok}
				req.Header["accountId"] = []string{account}
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the node is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					acked = append(acked, fmt.Sprintf("%s-%05d", prefix, i))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return acked
}

// eventually polls cond for up to 20 s, for goroutines that must not fail the test themselves;
// the kill it precedes happens either way, and the test's own checks say what went wrong.
func eventually(cond func() bool) {
	deadline := time.Now().Add(20 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// missing returns the acknowledged session ids the receiver never accepted.
func missing(rcv *receiver, acked []string) []string {
	got := map[string]bool{}
	for _, d := range rcv.deliveries() {
		got[d.event.Subject] = true
	}
	var out []string
	for _, id := range acked {
		if !got[id] {
			out = append(out, id)
		}
	}
	return out
}

// TestWebhookCrash: the real binary on SQLite, its receiver slow enough that deliveries lag
// ingest, is killed with SIGKILL mid-burst and restarted, then stopped with SIGTERM and
// restarted: every acknowledged session is delivered at least once, in cursor order.
func TestWebhookCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildIntentrt(t, dir)
	db := filepath.Join(dir, "wh.db")
	const account = "acct-whcrash"
	run := func(args ...string) []byte {
		out, err := exec.Command(bin, append(args, "--db", db)...).Output()
		if err != nil {
			t.Fatalf("%v: %v: %s", args, err, exitStderr(err))
		}
		return out
	}
	var app testserver.CreatedApp
	if err := json.Unmarshal(run("apps", "create", "--account", account, "--all-bots", "--scope", string(auth.ScopeIngest)), &app); err != nil {
		t.Fatal(err)
	}
	tok := app.Token(t)
	rcv := newReceiver(t)
	rcv.setFail(func(string, int) (int, time.Duration) { return 0, 2 * time.Millisecond })
	var w createdWebhook
	if err := json.Unmarshal(run("webhooks", "create", "--account", account, "--all-bots", "--events", "session", "--url", rcv.srv.URL), &w); err != nil {
		t.Fatal(err)
	}
	rcv.setSecret(w.Secret)
	flags := []string{"--webhooks-allow-private", "--webhooks-retry", "50ms"}

	var acked []string
	srv := startIntentrt(t, bin, db, dir, flags...)
	stop := make(chan struct{})
	go func() {
		eventually(func() bool { return rcv.unique() >= 30 })
		_ = srv.cmd.Process.Signal(syscall.SIGKILL)
		close(stop)
	}()
	acked = append(acked, burst(srv.url, tok, account, "b", "k1", 400, stop)...)
	_ = srv.wait()
	t.Logf("SIGKILL after %d sessions acknowledged, %d delivered", len(acked), rcv.unique())

	srv = startIntentrt(t, bin, db, dir, flags...)
	acked = append(acked, burst(srv.url, tok, account, "b", "k2", 100, nil)...)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, srv.logs())
	}
	t.Logf("SIGTERM after %d sessions acknowledged, %d delivered", len(acked), rcv.unique())

	srv = startIntentrt(t, bin, db, dir, flags...)
	waitFor(t, "every acknowledged session delivered", func() bool { return len(missing(rcv, acked)) == 0 })
	rcv.check()
	checkOrderAcrossRestarts(t, rcv.deliveries())
	t.Logf("%d acknowledged, %d distinct deliveries, %d requests accepted in all", len(acked), rcv.unique(), len(rcv.deliveries()))
}

// checkOrderAcrossRestarts: after a crash a worker resumes from its last saved cursor, so the
// receiver may see a stretch again; within each stretch, and as first deliveries, cursors grow.
func checkOrderAcrossRestarts(t *testing.T, ds []delivery) {
	t.Helper()
	seen := map[string]bool{}
	var last int64
	for i, d := range ds {
		if seen[d.id] {
			continue
		}
		seen[d.id] = true
		if d.event.Cursor < last {
			t.Fatalf("first delivery %d has cursor %d after %d", i, d.event.Cursor, last)
		}
		last = d.event.Cursor
	}
}

// TestWebhookLeaseMoves: two nodes on one PostgreSQL database; one delivers the webhook. It is
// killed with SIGKILL mid-burst; its lease expires and the other node delivers the rest: every
// acknowledged session arrives at least once.
func TestWebhookLeaseMoves(t *testing.T) {
	dsn := pgtest.DSN(t)
	flags := []string{"--webhooks-allow-private", "--webhooks-retry", "50ms"}
	cmd, victim := startServeProcess(t, dsn, flags...)
	const account = "acct-lease"
	app := victim.CreateApp(t, testserver.AppSpec{Account: account, Scopes: auth.Scopes})
	tok := app.Token(t)
	rcv := newReceiver(t)
	rcv.setFail(func(string, int) (int, time.Duration) { return 0, 3 * time.Millisecond })
	w := createWebhook(t, victim, rcv, "/lease", "--account", account, "--bot", "b", "--events", "session")
	// The victim takes the lease first: wait for its first delivery before the other starts.
	acked := burst(victim.URL, tok, account, "b", "l0", 1, nil)
	waitUnique(t, rcv, 1, "first delivery")
	survivor := testserver.StartDB(t, dsn, flags...)

	stop := make(chan struct{})
	go func() {
		eventually(func() bool { return rcv.unique() >= 40 })
		_ = cmd.Process.Signal(syscall.SIGKILL)
		close(stop)
	}()
	acked = append(acked, burst(victim.URL, tok, account, "b", "l1", 400, stop)...)
	_ = cmd.Wait()
	before := rcv.unique()
	acked = append(acked, burst(survivor.URL, tok, account, "b", "l2", 50, nil)...)
	waitFor(t, "every acknowledged session delivered", func() bool { return len(missing(rcv, acked)) == 0 })
	rcv.check()
	if v := metricValue(t, survivor, `intentrt_webhook_deliveries_total{outcome="delivered",webhook="`+w.ID+`"}`); v == 0 {
		t.Fatalf("the survivor delivered nothing: the lease did not move")
	}
	t.Logf("killed the delivering node at %d deliveries; %d acknowledged, all %d delivered after the lease moved (%d requests in all)",
		before, len(acked), rcv.unique(), len(rcv.deliveries()))
}
