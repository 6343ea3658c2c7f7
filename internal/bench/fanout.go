package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
)

// Fanout is the live stream with many subscribers on one node: how long a committed session
// takes to reach every one of them, and what they cost the server in memory.
type Fanout struct {
	Subscribers int     `json:"subscribers"`
	Bots        int     `json:"bots"`
	Sessions    int     `json:"sessions"`  // sessions ingested, each awaited by its bot's subscribers
	Delivered   int     `json:"delivered"` // deliveries seen (subscribers × sessions when none is lost)
	P50Ms       float64 `json:"p50Ms"`
	P99Ms       float64 `json:"p99Ms"`
	RSSBefore   int64   `json:"rssBeforeBytes"`
	RSSOpen     int64   `json:"rssOpenBytes"`       // with every subscriber connected and idle
	RSSAfter    int64   `json:"rssAfterLeaveBytes"` // once back near RSSBefore, or 10 s after they left
}

// fanoutBots is how many bots the subscribers are spread over; fanoutGap spaces the sessions
// ingested (one bot after another): 50 sessions a second, so with 5 000 subscribers 25 000
// deliveries a second, a load the 2 cores of the reference machine carry with the bench's
// 5 000 readers beside the server.
const (
	fanoutBots = 10
	fanoutGap  = 20 * time.Millisecond
)

// measureFanout opens subs streams over fanoutBots new bots (apps of 10 streams each: the
// per-app limit), ingests rounds sessions per bot one at a time, and times each from the moment
// its ingest request was sent (an upper bound of "from commit") to its arrival on each stream.
func measureFanout(ctx context.Context, cfg Config, d *database, srv *child, h http.Header, logf func(string, ...any)) (Fanout, error) {
	const rounds = 10
	f := Fanout{Subscribers: cfg.Streams, Bots: fanoutBots}
	logf("stream fan-out: %d subscribers over %d bots, %d sessions per bot", cfg.Streams, fanoutBots, rounds)
	pid := srv.cmd.Process.Pid
	var err error
	if f.RSSBefore, err = procStatusBytes(pid, "VmRSS:"); err != nil {
		return f, err
	}
	var (
		sent      sync.Map // session id → time.Time its ingest was sent
		delivered atomic.Int64
		mu        sync.Mutex
		lats      []time.Duration
	)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	var token string
	for i := range cfg.Streams {
		if i%10 == 0 {
			if token, err = newToken(ctx, d.db); err != nil {
				return f, err
			}
		}
		c, err := openRawStream(srv.URL, authHeader(token, account), fanBot(i%fanoutBots))
		if err != nil {
			return f, fmt.Errorf("stream %d: %w", i, err)
		}
		wg.Go(func() {
			defer c.close()
			context.AfterFunc(fctx, c.close)
			var mine []time.Duration
			readEvents(c, func(sid string) {
				if t, ok := sent.Load(sid); ok {
					mine = append(mine, time.Since(t.(time.Time)))
					delivered.Add(1)
				}
			})
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	time.Sleep(time.Second) // every handler subscribed and idle
	if f.RSSOpen, err = procStatusBytes(pid, "VmRSS:"); err != nil {
		return f, err
	}
	t0 := time.Now()
	for r := range rounds {
		for b := range fanoutBots {
			sid := fmt.Sprintf("fan-%d-%d", r, b)
			e := completed("fan-", r*fanoutBots+b, time.Now())
			e.SessionID, e.EventID = sid, "e-"+sid
			sent.Store(sid, time.Now())
			if _, err := fetchBody(ctx, srv.URL+"/api/public/bot/"+fanBot(b)+"/sessionevents", h, body([]session.Event{e})); err != nil {
				return f, err
			}
			f.Sessions++
			time.Sleep(fanoutGap)
		}
	}
	want := int64(f.Sessions * cfg.Streams / fanoutBots)
	for delivered.Load() < want && time.Since(t0) < 60*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	f.Delivered = len(lats)
	o := outcome{latencies: lats}
	f.P50Ms, f.P99Ms = ms(o.quantile(0.50)), ms(o.quantile(0.99))
	// The runtime gives freed memory back to the system gradually: wait until the resident set
	// is back within 10 % of what it was before the subscribers came, for at most 10 s.
	for start := time.Now(); ; time.Sleep(500 * time.Millisecond) {
		if f.RSSAfter, err = procStatusBytes(pid, "VmRSS:"); err != nil || f.RSSAfter <= f.RSSBefore*11/10 || time.Since(start) > 10*time.Second {
			return f, err
		}
	}
}

func fanBot(i int) string { return "st-bench-fan-" + strconv.Itoa(i) }

// newToken creates an app of the bench's account and returns a token of it.
func newToken(ctx context.Context, db Store) (string, error) {
	app, err := auth.NewApp(account, nil, true, auth.Scopes, false, time.Now())
	if err != nil {
		return "", err
	}
	if err := db.CreateApp(ctx, app); err != nil {
		return "", err
	}
	return auth.Mint(app.ClientID, app.ClientSecret, auth.MintOptions{TTL: 2 * time.Hour})
}

// fetchBody POSTs body and returns the answer of its 200.
func fetchBody(ctx context.Context, url string, h http.Header, b []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, out.Bytes())
	}
	return out.Bytes(), nil
}

// openRawStream opens a bot's SSE stream on a raw connection (a net/http client costs two
// goroutines and buffers per connection: 5 000 of them would load the generator) and reads
// the response's head.
func openRawStream(base string, h http.Header, bot string) (*conn, error) {
	h = h.Clone()
	h.Set("Accept", "text/event-stream")
	req, host, err := request{http.MethodGet, base + "/api/public/bot/" + bot + "/intentrealtimedata/stream", h, nil}.render()
	if err != nil {
		return nil, err
	}
	req = bytes.Replace(req, []byte("Content-Length: 0\r\n"), nil, 1)
	c, err := dial(host)
	if err != nil {
		return nil, err
	}
	c.br = bufio.NewReaderSize(c.nc, 4<<10)
	if _, err := c.nc.Write(req); err != nil {
		c.close()
		return nil, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil || !bytes.Contains(line, []byte(" 200 ")) {
		c.close()
		return nil, fmt.Errorf("stream answered %q: %v", bytes.TrimSpace(line), err)
	}
	for { // the rest of the head
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			c.close()
			return nil, err
		}
		if len(line) <= 2 {
			return c, nil
		}
	}
}

// readEvents reads a chunked SSE body until the connection ends and calls got with the
// sessionId of each event.
func readEvents(c *conn, got func(sessionID string)) {
	_ = c.nc.SetDeadline(time.Time{})
	sc := bufio.NewScanner(httputil.NewChunkedReader(c.br))
	sc.Buffer(make([]byte, 0, 4<<10), 1<<20)
	key := []byte(`"sessionId":"`)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		if i := bytes.Index(line, key); i >= 0 {
			rest := line[i+len(key):]
			if j := bytes.IndexByte(rest, '"'); j >= 0 {
				got(string(rest[:j]))
			}
		}
	}
}
