package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// workers is the mix of load: well-behaved clients from 127.0.0.1, abusive ones from 127.0.0.2
// (so that the per-address throttle of failed authentications hits only them).
func (s *soak) workers() map[string]func(context.Context) {
	w := map[string]func(context.Context){
		"dashboard":      s.dashboard,
		"silent sockets": s.silentSockets,
		"slowloris":      s.slowloris,
		"slow reader":    s.slowReader,
		"bad tokens":     s.badTokens,
		"oversized":      s.oversized,
	}
	for i := range 3 {
		w[fmt.Sprint("ingest ", i)] = s.ingest
		w[fmt.Sprint("read ", i)] = s.read
		w[fmt.Sprint("stream ", i)] = s.stream
	}
	return w
}

// every runs f every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *soak) do(c *http.Client, method, path string, hdr map[string]string, body io.Reader) (int, []byte) {
	req, _ := http.NewRequest(method, s.url+path, body)
	for k, v := range hdr {
		req.Header[k] = []string{v}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *soak) auth() map[string]string {
	return map[string]string{"auth": s.token, "accountId": account}
}

// ingest posts batches of five completed sessions, ten batches a second, and remembers each
// session acknowledged (its 200).
func (s *soak) ingest(ctx context.Context) {
	every(ctx, 100*time.Millisecond, func() {
		var ids, evs []string
		end := time.Now().UTC().Truncate(time.Second)
		for range 5 {
			id := fmt.Sprintf("soak-%09d", s.seq.Add(1))
			ids = append(ids, id)
			evs = append(evs, fmt.Sprintf(`{"type":"session.completed","sessionId":%q,"channel":"rtm","ANI":"+1555","DNI":"+1800","userId":"u","startTime":%q,"endTime":%q,"intents":["Book","Cancel"],"status":"completed"}`,
				id, end.Add(-time.Minute).Format(time.RFC3339), end.Format(time.RFC3339)))
		}
		h := s.auth()
		h["Content-Type"] = "application/json"
		code, _ := s.do(s.good, http.MethodPost, "/api/public/bot/"+bot+"/sessionevents", h, strings.NewReader("["+strings.Join(evs, ",")+"]"))
		s.n.add(fmt.Sprint("ingest ", code), 1)
		if code == http.StatusOK {
			s.ackMu.Lock()
			for _, id := range ids {
				s.acked[id] = true
			}
			s.ackMu.Unlock()
		}
	})
}

func (s *soak) read(ctx context.Context) {
	bodies := []string{"", `{"limit":100}`, `{"limit":50,"statuses":["completed"]}`, `{"limit":10,"intents":["Book"],"channels":["rtm"]}`}
	i := 0
	every(ctx, 50*time.Millisecond, func() {
		code, _ := s.do(s.good, http.MethodPost, "/api/public/bot/"+bot+"/intentrealtimedata", s.auth(), strings.NewReader(bodies[i%len(bodies)]))
		i++
		s.n.add(fmt.Sprint("read ", code), 1)
	})
}

// stream keeps an API stream open, reading every event, and reconnects with its last id.
func (s *soak) stream(ctx context.Context) {
	last := ""
	for ctx.Err() == nil {
		h := s.auth()
		if last != "" {
			h["Last-Event-ID"] = last
		}
		last = s.readStream(ctx, "/api/public/bot/"+bot+"/intentrealtimedata/stream", h, last)
		s.n.add("stream reconnect", 1)
	}
}

// readStream reads a stream until it ends or ctx does, counting its events; it returns the last id.
func (s *soak) readStream(ctx context.Context, path string, hdr map[string]string, last string) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	for k, v := range hdr {
		req.Header[k] = []string{v}
	}
	c := &http.Client{Transport: s.good.Transport}
	resp, err := c.Do(req)
	if err != nil {
		time.Sleep(time.Second)
		return last
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.n.add(fmt.Sprint("stream ", resp.StatusCode), 1)
		time.Sleep(time.Second)
		return last
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			last = id
			n++
		}
	}
	s.n.add("stream events", n)
	return last
}

// dashboard signs in, then polls the page's sessions and keeps its stream open.
func (s *soak) dashboard(ctx context.Context) {
	body := fmt.Sprintf(`{"accountId":%q,"clientId":%q,"clientSecret":%q}`, account, s.app.ClientID, s.app.ClientSecret)
	req, _ := http.NewRequest(http.MethodPost, s.url+"/ui/api/session", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Intentrt-Csrf", "1")
	resp, err := s.good.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK || len(resp.Cookies()) == 0 {
		s.n.add("dashboard sign-in failed", 1)
		return
	}
	resp.Body.Close()
	cookie := map[string]string{"Cookie": resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value}
	go func() {
		for ctx.Err() == nil {
			s.readStream(ctx, "/ui/api/bots/"+bot+"/stream", cookie, "")
		}
	}()
	every(ctx, 500*time.Millisecond, func() {
		code, _ := s.do(s.good, http.MethodGet, "/ui/api/bots/"+bot+"/sessions?limit=200", cookie, nil)
		s.n.add(fmt.Sprint("dashboard ", code), 1)
	})
}

func (s *soak) dialBad() (net.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	return d.Dial("tcp", s.addr)
}

// silentSockets opens a wave of 500 connections that never send a byte every 30 s; the server
// must reap them (read-header timeout) without becoming unreachable.
func (s *soak) silentSockets(ctx context.Context) {
	every(ctx, 30*time.Second, func() {
		var conns []net.Conn
		for range 500 {
			c, err := s.dialBad()
			if err != nil {
				s.n.add("silent dial error", 1)
				continue
			}
			conns = append(conns, c)
		}
		s.n.add("silent sockets", len(conns))
		go func() {
			time.Sleep(20 * time.Second)
			for _, c := range conns {
				c.Close()
			}
		}()
	})
}

// slowloris sends a request head one byte a second, 20 at a time.
func (s *soak) slowloris(ctx context.Context) {
	every(ctx, 10*time.Second, func() {
		for range 20 {
			go func() {
				c, err := s.dialBad()
				if err != nil {
					return
				}
				defer c.Close()
				head := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 60)
				for i := range len(head) {
					if ctx.Err() != nil {
						return
					}
					if _, err := c.Write([]byte{head[i]}); err != nil {
						s.n.add("slowloris cut", 1)
						return
					}
					time.Sleep(time.Second)
				}
			}()
		}
	})
}

// slowReader opens streams with a bad reader: it reads nothing for a minute.
func (s *soak) slowReader(ctx context.Context) {
	every(ctx, 20*time.Second, func() {
		go func() {
			c, err := s.dialBad()
			if err != nil {
				return
			}
			defer c.Close()
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(1024)
			}
			fmt.Fprintf(c, "GET /api/public/bot/%s/intentrealtimedata/stream HTTP/1.1\r\nHost: x\r\nauth: %s\r\naccountId: %s\r\nLast-Event-ID: 0\r\n\r\n", bot, s.token, account)
			s.n.add("slow readers", 1)
			select {
			case <-ctx.Done():
			case <-time.After(time.Minute):
			}
		}()
	})
}

// badTokens sends requests with a wrong token, which the server throttles (429) per address.
func (s *soak) badTokens(ctx context.Context) {
	every(ctx, 20*time.Millisecond, func() {
		code, _ := s.do(s.bad, http.MethodPost, "/api/public/bot/"+bot+"/intentrealtimedata",
			map[string]string{"auth": "eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzLXgifQ.bad", "accountId": account}, nil)
		s.n.add(fmt.Sprint("bad token ", code), 1)
	})
}

// oversized sends a body over the 8 MiB limit and a header over the 64 KiB one, from an
// address of its own (its token is good; the bad tokens' address is throttled).
func (s *soak) oversized(ctx context.Context) {
	big := strings.Repeat(" ", 9<<20)
	every(ctx, 5*time.Second, func() {
		h := s.auth()
		h["Content-Type"] = "application/json"
		code, _ := s.do(s.big, http.MethodPost, "/api/public/bot/"+bot+"/sessionevents", h, strings.NewReader(big))
		s.n.add(fmt.Sprint("oversized body ", code), 1)
		code, _ = s.do(s.big, http.MethodGet, "/healthz", map[string]string{"X-Big": strings.Repeat("a", 100<<10)}, nil)
		s.n.add(fmt.Sprint("oversized header ", code), 1)
	})
}
