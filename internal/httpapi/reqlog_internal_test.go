package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"testing"
	"time"
)

var timeField = regexp.MustCompile(`^(time=\S+ |\{"time":"[^"]+",)`)

// The preformatted request line is what slog's handlers write for the same attributes, in
// both forms, whatever the values hold (spaces, quotes, '=', control bytes, non-ASCII in JSON).
func TestRequestLineMatchesSlog(t *testing.T) {
	lines := []reqLine{
		{id: "abc123", method: "POST", path: "/api/public/bot/st-1/intentrealtimedata", remote: "127.0.0.1:5000",
			status: 200, bytes: 7280, took: 1234 * time.Microsecond, account: "acct", clientID: "cs-1"},
		{id: "x", method: "GET", path: `/a b/"q"=1`, remote: "[::1]:80", status: 499, took: 3 * time.Millisecond,
			errMsg: "client closed request", cause: "read sessions: context canceled", outcome: "client_gone"},
		{id: "y", method: "POST", path: "/p\x01\n\t", remote: "r", status: 404, errMsg: `bad "x"\\ and =`},
	}
	for _, json := range []bool{false, true} {
		for _, l := range lines {
			var out bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&out, nil)
			if json {
				h = slog.NewJSONHandler(&out, nil)
			}
			attrs := []slog.Attr{slog.String("request_id", l.id), slog.String("method", l.method), slog.String("path", l.path),
				slog.Int("status", l.status), slog.Int64("bytes", l.bytes), slog.Float64("took_ms", float64(l.took.Microseconds())/1000),
				slog.String("remote", l.remote)}
			for _, a := range []slog.Attr{slog.String("account", l.account), slog.String("client_id", l.clientID),
				slog.String("error", l.errMsg), slog.String("cause", l.cause), slog.String("outcome", l.outcome)} {
				if a.Value.String() != "" {
					attrs = append(attrs, a)
				}
			}
			slog.New(h).LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
			l.at = time.Now()
			var got []byte
			if json {
				got = l.appendJSON(nil)
			} else {
				got = l.appendText(nil)
			}
			if g, w := timeField.ReplaceAllString(string(got), ""), timeField.ReplaceAllString(out.String(), ""); g != w {
				t.Errorf("json=%v:\n got %s\nwant %s", json, g, w)
			}
			if !timeField.Match(got) {
				t.Errorf("no time field: %s", got)
			}
		}
	}
}

// Sampling keeps one in N routine lines and every 4xx, 5xx and client-gone line.
func TestRequestLogSampling(t *testing.T) {
	var out bytes.Buffer
	rl := &RequestLog{W: &out, Sample: 10}
	for range 100 {
		rl.write(&reqLine{status: 200})
	}
	rl.write(&reqLine{status: 404})
	rl.write(&reqLine{status: 499, outcome: "client_gone"})
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 12 {
		t.Fatalf("%d lines, want 10 sampled 200s + a 404 + a client-gone", n)
	}
}
