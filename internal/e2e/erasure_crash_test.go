package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
)

// TestErasureSurvivesKill erases a user with many sessions, kills the server with SIGKILL while
// the request is running, restarts it on the same file and checks that the request resumes and
// ends with every session of the user gone, each counted once, and the others untouched.
func TestErasureSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it; skipped with -short")
	}
	const account, bot, sessions, keep = "acct-erase-kill", "st-erase-kill", 30_000, 40
	dir := t.TempDir()
	bin := buildIntentrt(t, dir)
	db := filepath.Join(dir, "erase.db")
	out, err := exec.Command(bin, "apps", "create", "--db", db, "--account", account, "--all-bots",
		"--scope", string(auth.ScopeAnalytics), "--scope", string(auth.ScopeIngest), "--scope", string(auth.ScopeErasure)).Output()
	if err != nil {
		t.Fatalf("apps create: %v: %s", err, exitStderr(err))
	}
	var app struct{ ClientID, ClientSecret string }
	if err := json.Unmarshal(out, &app); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Mint(app.ClientID, app.ClientSecret, auth.MintOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"auth": tok, "accountId": account}
	srv := startIntentrt(t, bin, db, dir)
	end := time.Now().Add(-time.Hour)
	ingestMany(t, srv.url, h, bot, sessions, keep, end)
	code, body := call(t, srv.url, http.MethodPost, "/api/public/erasures", h, `{"userIds":["`+eraseUser+`"]}`)
	var req erasureAnswer
	if code != http.StatusAccepted || json.Unmarshal([]byte(body), &req) != nil {
		t.Fatalf("erasure: %d %s", code, body)
	}
	seen := waitRunning(t, srv.url, h, req.RequestID)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.wait()
	t.Logf("killed with %d of %d sessions erased", seen.SessionsErased, sessions)

	srv = startIntentrt(t, bin, db, dir)
	var got erasureAnswer
	for deadline := time.Now().Add(60 * time.Second); got.Status != "done"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not done 60 s after the restart: %+v", got)
		}
		_, body := call(t, srv.url, http.MethodGet, "/api/public/erasures/"+req.RequestID, h, "")
		_ = json.Unmarshal([]byte(body), &got)
	}
	if got.SessionsErased != sessions || got.CompletedAt == nil {
		t.Fatalf("after the restart: %+v, want %d sessions erased, each once", got, sessions)
	}
	_, body = call(t, srv.url, http.MethodPost, summaryPath(bot), h, `{"from":"`+end.Add(-time.Hour).Format(time.RFC3339)+`"}`)
	var sum sumAnswer
	if err := json.Unmarshal([]byte(body), &sum); err != nil || sum.Totals.Sessions != keep {
		t.Fatalf("summary after the erasure: %s, want %d sessions", body, keep)
	}
	_, body = call(t, srv.url, http.MethodPost, readPath(bot), h, `{"limit":100}`)
	var rows []koreSession
	if err := json.Unmarshal([]byte(body), &rows); err != nil || len(rows) != keep {
		t.Fatalf("read after the erasure: %d rows (%v)", len(rows), err)
	}
	for _, r := range rows {
		if r.UserID != keepUser {
			t.Fatalf("a session of the erased user is left: %+v", r)
		}
	}
	if strings.Contains(srv.logs(), eraseUser) {
		t.Fatal("a user id in the log")
	}
}

// ingestMany stores n sessions of eraseUser and then keep of keepUser, 1 000 a request.
func ingestMany(t *testing.T, url string, h map[string]string, bot string, n, keep int, end time.Time) {
	t.Helper()
	for i := 0; i < n+keep; i += 1000 {
		var evs []string
		for j := i; j < min(i+1000, n+keep); j++ {
			user := eraseUser
			if j >= n {
				user = keepUser
			}
			evs = append(evs, completedAt(fmt.Sprintf("k%d", j), user, end.Add(time.Duration(j)*time.Millisecond)))
		}
		if code, body := call(t, url, http.MethodPost, ingestPath(bot), h, "["+strings.Join(evs, ",")+"]"); code != http.StatusOK {
			t.Fatalf("ingest: %d %s", code, body)
		}
	}
}

// waitRunning polls the request until it has erased some sessions but is not done.
func waitRunning(t *testing.T, url string, h map[string]string, id string) erasureAnswer {
	t.Helper()
	var seen erasureAnswer
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		_, body := call(t, url, http.MethodGet, "/api/public/erasures/"+id, h, "")
		_ = json.Unmarshal([]byte(body), &seen)
		if seen.Status == "done" {
			t.Fatalf("the request was done before the kill: %s", body)
		}
		if seen.Status == "running" && seen.SessionsErased > 0 || time.Now().After(deadline) {
			return seen
		}
	}
}

// call sends one request to base and returns the status and body.
func call(t *testing.T, base, method, path string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
