package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Freshness is how long a session takes, from the ingest's 200, to be seen by readers.
type Freshness struct {
	Samples   int     `json:"samples"`
	ReadP50Ms float64 `json:"readP50Ms"`
	ReadP99Ms float64 `json:"readP99Ms"`
	// Stream figures are absent when the server has no stream route.
	StreamP50Ms *float64 `json:"streamP50Ms,omitempty"`
	StreamP99Ms *float64 `json:"streamP99Ms,omitempty"`
	StreamNote  string   `json:"streamNote,omitempty"`
}

// streamWatch reads a bot's SSE stream (contract §4) and notes when each session arrived.
type streamWatch struct {
	mu      sync.Mutex
	arrived map[string]time.Time
	wake    chan struct{}
}

// openStream subscribes to the bot's stream. It returns nil and a note when the server offers
// no stream (the route answers 404 or 405).
func openStream(ctx context.Context, client *http.Client, base string, h http.Header, bot string) (*streamWatch, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/public/bot/"+bot+"/intentrealtimedata/stream", nil)
	if err != nil {
		return nil, "", err
	}
	req.Header = h.Clone()
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		resp.Body.Close()
		return nil, fmt.Sprintf("no stream route on this server (%d)", resp.StatusCode), nil
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		resp.Body.Close()
		return nil, "", fmt.Errorf("stream: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	w := &streamWatch{arrived: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				event = ""
			case strings.HasPrefix(line, "event:"):
				event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:") && event == string(session.ChangeCompleted):
				at := time.Now()
				var v struct {
					SessionID string `json:"sessionId"`
				}
				if json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &v) == nil {
					w.mu.Lock()
					w.arrived[v.SessionID] = at
					w.mu.Unlock()
					select {
					case w.wake <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	return w, "", nil
}

// wait returns when the session arrived, or false after timeout.
func (w *streamWatch) wait(sid string, timeout time.Duration) (time.Time, bool) {
	deadline := time.After(timeout)
	for {
		w.mu.Lock()
		at, ok := w.arrived[sid]
		w.mu.Unlock()
		if ok {
			return at, true
		}
		select {
		case <-w.wake:
		case <-deadline:
			return time.Time{}, false
		}
	}
}

// measureFreshness ingests samples sessions one at a time into bot and, from each 200, polls the
// read API until the session is in its answer and waits for it on the stream. The arrival on
// the stream may precede the 200 (the server publishes before it acknowledges): that counts as 0.
func measureFreshness(ctx context.Context, base string, h http.Header, bot string, samples int) (Freshness, error) {
	return measureFreshnessAcross(ctx, base, base, h, bot, samples)
}

// measureFreshnessAcross is measureFreshness with the sessions ingested through base and read
// (read API and stream) through readBase: another node of the same database.
func measureFreshnessAcross(ctx context.Context, base, readBase string, h http.Header, bot string, samples int) (Freshness, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch, note, err := openStream(sctx, &http.Client{}, readBase, h, bot)
	if err != nil {
		return Freshness{}, err
	}
	post := func(url string, body []byte) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header = h.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %d %s", url, resp.StatusCode, b)
		}
		return b, err
	}
	var reads, streams []time.Duration
	for i := range samples {
		e := completed("f-", i, time.Now())
		if _, err := post(base+"/api/public/bot/"+bot+"/sessionevents", body([]session.Event{e})); err != nil {
			return Freshness{}, fmt.Errorf("freshness ingest: %w", err)
		}
		acked := time.Now()
		needle := []byte(`"sessionId":` + strconv.Quote(e.SessionID))
		for {
			b, err := post(readBase+"/api/public/bot/"+bot+"/intentrealtimedata", nil)
			if err != nil {
				return Freshness{}, fmt.Errorf("freshness read: %w", err)
			}
			if bytes.Contains(b, needle) {
				reads = append(reads, time.Since(acked))
				break
			}
			if time.Since(acked) > 5*time.Second {
				return Freshness{}, fmt.Errorf("session %s not readable 5 s after its 200", e.SessionID)
			}
		}
		if watch != nil {
			at, ok := watch.wait(e.SessionID, 5*time.Second)
			if !ok {
				return Freshness{}, fmt.Errorf("session %s not on the stream 5 s after its 200", e.SessionID)
			}
			streams = append(streams, max(0, at.Sub(acked)))
		}
		time.Sleep(5 * time.Millisecond) // let the background traffic interleave
	}
	f := Freshness{Samples: samples, StreamNote: note}
	f.ReadP50Ms, f.ReadP99Ms = quantiles(reads)
	if watch != nil {
		p50, p99 := quantiles(streams)
		f.StreamP50Ms, f.StreamP99Ms = &p50, &p99
	}
	return f, nil
}

// quantiles returns the p50 and p99 of ds in milliseconds (nearest rank).
func quantiles(ds []time.Duration) (p50, p99 float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s)) + 0.5)
		return ms(s[min(max(i-1, 0), len(s)-1)])
	}
	return at(0.50), at(0.99)
}
