package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// faultProxy is a TCP proxy between a server and PostgreSQL that the test can cut: sever closes
// every connection through it and refuses new ones until restore. The shared PostgreSQL server
// other tests use is never stopped.
type faultProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func startFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() {
		ln.Close()
		p.sever()
	})
	go p.accept()
	return p
}

func (p *faultProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *faultProxy) pipe(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(server, client)
	go cp(client, server)
	<-done
	client.Close()
	server.Close()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// sever cuts every connection and refuses new ones.
func (p *faultProxy) sever() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// restore lets connections through again.
func (p *faultProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestPGFault cuts a node off from PostgreSQL while it is under ingest and read load: it answers
// 503 with the error body (never a 500, never a hang), /readyz says 503, nothing acknowledged is
// lost, nothing is half written, and the node recovers by itself once the database is back.
func TestPGFault(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startFaultProxy(t, u.Host)
	viaProxy := *u
	viaProxy.Host = proxy.ln.Addr().String()
	s := testserver.StartDB(t, viaProxy.String())
	const account, bot = "acct-fault", "st-fault"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)

	var (
		mu       sync.Mutex
		acked    []int
		statuses = map[int]int{}
		next     atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(path, body string) (int, []byte, error) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
		req.Header["auth"] = []string{tok}
		req.Header["accountId"] = []string{account}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	checkBody := func(code int, b []byte) {
		if code == http.StatusOK {
			return
		}
		var e struct {
			Errors []struct {
				Msg  string `json:"msg"`
				Code int    `json:"code"`
			} `json:"errors"`
		}
		if json.Unmarshal(b, &e) != nil || len(e.Errors) != 1 || e.Errors[0].Code != code || e.Errors[0].Msg == "" {
			t.Errorf("status %d with body %s: want the contract's error body", code, b)
		}
	}
	for range 3 { // writers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := int(next.Add(1))
				code, b, err := post(ingestPath(bot), "["+scaleEvents("f", i)+"]")
				if err != nil {
					t.Errorf("ingest %d: %v (the node must answer, not hang or drop)", i, err)
					return
				}
				checkBody(code, b)
				mu.Lock()
				statuses[code]++
				if code == http.StatusOK {
					acked = append(acked, i)
				}
				mu.Unlock()
				if code != http.StatusOK {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // a reader
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, b, err := post(readPath(bot), "")
			if err != nil {
				t.Errorf("read: %v", err)
				return
			}
			checkBody(code, b)
			mu.Lock()
			statuses[1000+code]++
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	ackedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	waitFor(t, "ingest to run", func() bool { return ackedCount() >= 30 })

	proxy.sever()
	waitFor(t, "/readyz to say 503", func() bool {
		resp, _ := s.Do(t, http.MethodGet, "/readyz", nil, "")
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	// Past the app cache's lifetime, every route that needs storage answers 503.
	time.Sleep(2500 * time.Millisecond)
	for _, path := range []string{readPath(bot), ingestPath(bot)} {
		code, b, err := post(path, "["+scaleEvents("f", 1_000_000)+"]")
		if err != nil || code != http.StatusServiceUnavailable {
			t.Fatalf("POST %s while PostgreSQL is cut off: %d %s %v, want 503", path, code, b, err)
		}
		checkBody(code, b)
	}
	duringOutage := ackedCount()

	proxy.restore()
	waitFor(t, "/readyz to recover", func() bool {
		resp, _ := s.Do(t, http.MethodGet, "/readyz", nil, "")
		return resp.StatusCode == http.StatusOK
	})
	waitFor(t, "ingest to recover", func() bool { return ackedCount() >= duringOutage+30 })
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("statuses (1000+ for reads): %v; %d ingest requests acknowledged", statuses, len(acked))
	if statuses[http.StatusInternalServerError] > 0 || statuses[1000+http.StatusInternalServerError] > 0 {
		t.Fatalf("a storage outage must give 503s, never 500s: %v", statuses)
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Fatalf("no ingest request saw the outage: %v", statuses)
	}
	// Every acknowledged session is there, complete with its intent.
	ackSet := map[int]bool{}
	maxI := 0
	for _, i := range acked {
		ackSet[i], maxI = true, max(maxI, i)
	}
	for from := 0; from <= maxI; from += 100 {
		got, code := scaleRead(t, s, tok, account, bot, from, from+100)
		if code != http.StatusOK {
			t.Fatalf("read after recovery: %d", code)
		}
		for i := from; i < from+100; i++ {
			if ks, ok := got[fmt.Sprintf("f-%05d", i)]; ackSet[i] && (!ok || len(ks.Intent) != 1) {
				t.Errorf("acknowledged session %d after the outage: %+v (found %v)", i, ks, ok)
			}
		}
	}
	// Nothing half written: each request (one session, three events) is stored whole or not at
	// all, so there is no incomplete session and every stored session has its three events.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var incomplete, sessions, events int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE seq IS NULL), count(*), (SELECT count(*) FROM events_seen) FROM sessions`).
		Scan(&incomplete, &sessions, &events); err != nil {
		t.Fatal(err)
	}
	if incomplete != 0 || events != 3*sessions {
		t.Fatalf("half-written requests: %d incomplete sessions, %d events for %d sessions", incomplete, events, sessions)
	}
}
