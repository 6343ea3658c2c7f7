// Command soakdriver is the soak test of scripts/soak: it starts "intentrt serve" on a fresh
// SQLite file, drives mixed read, ingest, stream and dashboard load at it with slow and abusive
// clients mixed in, samples the server's RSS, open files and goroutines, and at the end checks
// that every event the server acknowledged is stored. It exits 1 when one is missing.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

const account, bot = "acct-soak", "st-soak"

// counters of what the load did, by name.
type counters struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counters) add(name string, n int) {
	c.mu.Lock()
	c.m[name] += n
	c.mu.Unlock()
}

type soak struct {
	bin, dir, url, addr string
	cmd                 *exec.Cmd
	app                 struct{ ClientID, ClientSecret string }
	token               string
	good, bad, big      *http.Client // from 127.0.0.1, 127.0.0.2 (the abusers) and 127.0.0.3 (oversized)
	n                   counters
	ackMu               sync.Mutex
	acked               map[string]bool
	seq                 atomic.Int64
}

func main() {
	duration := flag.Duration("duration", 5*time.Minute, "how long the load runs")
	bin := flag.String("bin", "intentrt", "the intentrt binary")
	dir := flag.String("dir", "", "working directory for the database and logs (default: a new temporary one)")
	flag.Parse()
	if err := run(*bin, *dir, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(bin, dir string, d time.Duration) error {
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "intentrt-soak-"); err != nil {
			return err
		}
	}
	s := &soak{bin: bin, dir: dir, n: counters{m: map[string]int{}}, acked: map[string]bool{}}
	s.good = client("127.0.0.1")
	s.bad = client("127.0.0.2")
	s.big = client("127.0.0.3")
	if err := s.start(); err != nil {
		return err
	}
	defer s.cmd.Process.Kill()

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for name, f := range s.workers() {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
		_ = name
	}
	warm := min(d/10, time.Minute)
	time.Sleep(warm)
	start := s.sample()
	fmt.Printf("soak: %v of load on %s (pid %d), workdir %s\n", d, s.url, s.cmd.Process.Pid, dir)
	fmt.Printf("  %-7s %s\n", "t="+warm.Round(time.Second).String(), start)
	tick := time.NewTicker(max(d/10, 10*time.Second))
	defer tick.Stop()
	last := time.After(d - warm - 2*time.Second) // the end sample, while the load still runs
	var end string
	for end == "" {
		select {
		case <-tick.C:
			fmt.Printf("  %-7s %s\n", "", s.sample())
		case <-last:
			end = s.sample()
		}
	}
	wg.Wait()
	// Let the server reap what the abusers left (read-header timeout), then sample it idle.
	for _, c := range []*http.Client{s.good, s.bad, s.big} {
		c.Transport.(*http.Transport).CloseIdleConnections()
	}
	time.Sleep(20 * time.Second)
	idle := s.sample()
	fmt.Printf("start (under load, after %v)  %s\nend   (under load)            %s\nidle  (20 s after the load)   %s\n",
		warm.Round(time.Second), start, end, idle)
	s.n.mu.Lock()
	js, _ := json.Marshal(s.n.m)
	s.n.mu.Unlock()
	fmt.Printf("requests: %s\n", js)

	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	return s.verify()
}

// client returns an HTTP client whose connections come from the given loopback address.
func client(from string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: dialer.DialContext, MaxIdleConnsPerHost: 64,
	}}
}

// start runs the server and creates the app the load uses.
func (s *soak) start() error {
	db := filepath.Join(s.dir, "soak.db")
	out, err := exec.Command(s.bin, "apps", "create", "--db", db, "--account", account, "--all-bots",
		"--scope", "SmartAssist Analytics", "--scope", "Session Ingest").Output()
	if err != nil {
		return fmt.Errorf("apps create: %w", err)
	}
	if err := json.Unmarshal(out, &s.app); err != nil {
		return err
	}
	tok, err := exec.Command(s.bin, "token", "--client-id", s.app.ClientID, "--client-secret", s.app.ClientSecret, "--ttl", "24h").Output()
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	s.token = strings.TrimSpace(string(tok))
	logf, err := os.Create(filepath.Join(s.dir, "serve.log"))
	if err != nil {
		return err
	}
	s.cmd = exec.Command(s.bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--rate-limit", "0", "--read-header-timeout", "5s", "--log-level", "warn")
	s.cmd.Stderr = logf
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			s.url, s.addr = m[1], strings.TrimPrefix(m[1], "http://")
			go io.Copy(io.Discard, stdout)
			return nil
		}
	}
	return fmt.Errorf("the server did not start; see %s", logf.Name())
}

// sample reads the server's resident memory and open files from /proc and its goroutines
// from /metrics.
func (s *soak) sample() string {
	pid := s.cmd.Process.Pid
	rss := "?"
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		if m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			rss = fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
	}
	fds := "?"
	if es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		fds = strconv.Itoa(len(es))
	}
	gor, conns := "?", "?"
	if resp, err := s.good.Get(s.url + "/metrics"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := regexp.MustCompile(`(?m)^go_goroutines (\d+)`).FindSubmatch(b); m != nil {
			gor = string(m[1])
		}
		if m := regexp.MustCompile(`(?m)^intentrt_connections_open (\d+)`).FindSubmatch(b); m != nil {
			conns = string(m[1])
		}
	}
	return fmt.Sprintf("rss %-9s open files %-5s goroutines %-5s connections %s", rss, fds, gor, conns)
}

// verify counts, in the database the server left, the sessions it acknowledged.
func (s *soak) verify() error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "soak.db")+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT session_id FROM sessions WHERE account = ? AND bot = ?`, account, bot)
	if err != nil {
		return err
	}
	stored := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		stored[id] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	lost := 0
	for id := range s.acked {
		if !stored[id] {
			lost++
		}
	}
	fmt.Printf("acknowledged events: %d; stored sessions: %d; acknowledged but lost: %d\n", len(s.acked), len(stored), lost)
	if lost > 0 {
		return fmt.Errorf("%d acknowledged events lost", lost)
	}
	return nil
}
