package e2e

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/testserver"
)

// TestConnectionLimit: with --max-conns connections open and silent, a client is still served
// (a silent one gives way); with as many busy with a request (streams), one more is refused at
// once rather than left hanging, and served again once one ends. Both are counted.
func TestConnectionLimit(t *testing.T) {
	s := testserver.Start(t, "--max-conns", "4", "--read-header-timeout", "2s")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	for range 4 {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them
	if resp, err := client.Get(s.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("with four silent connections open: %v", err)
	}
	if n := metricValue(t, s, "intentrt_connections_evicted_total"); n < 1 {
		t.Errorf("evictions: %v", n)
	}

	// Four streams: connections busy with a request, which no newcomer may take the place of.
	s = testserver.Start(t, "--max-conns", "4")
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-cl"})
	var stops []context.CancelFunc
	for range 4 {
		ctx, cancel := context.WithCancel(context.Background())
		stops = append(stops, cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+readPath("st-cl")+"/stream", nil)
		req.Header["auth"] = []string{app.Token(t)}
		req.Header["accountId"] = []string{"acct-cl"}
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %v", err)
		}
		defer resp.Body.Close()
	}
	began := time.Now()
	if resp, err := client.Get(s.URL + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a fifth connection was served while four were busy")
	} else if time.Since(began) > 5*time.Second {
		t.Errorf("refusal took %v: the connection was left hanging", time.Since(began))
	}
	stops[0]() // one stream ends: its place is free again
	deadline := time.Now().Add(15 * time.Second)
	for {
		if resp, err := client.Get(s.URL + "/healthz"); err == nil {
			resp.Body.Close()
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("still refused after a stream ended: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, stop := range stops {
		stop()
	}
	if n := metricValue(t, s, "intentrt_connections_refused_total"); n < 1 {
		t.Errorf("refusals: %v", n)
	}
}
