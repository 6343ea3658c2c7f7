package e2e

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/testserver"
)

// TestConnectionLimit: with --max-conns open connections that say nothing, one more is refused
// at once (not left hanging), the silent ones are reaped by the read-header timeout, and the
// server then answers again; the refusals are counted.
func TestConnectionLimit(t *testing.T) {
	s := testserver.Start(t, "--max-conns", "4", "--read-header-timeout", "1s")
	addr := strings.TrimPrefix(s.URL, "http://")
	for range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	refusedAt := time.Now()
	refused := false
	for !refused && time.Since(refusedAt) < 500*time.Millisecond {
		resp, err := client.Get(s.URL + "/healthz")
		if err != nil {
			refused = true
			if time.Since(refusedAt) > 5*time.Second {
				t.Errorf("refusal took %v: the connection was left hanging", time.Since(refusedAt))
			}
			break
		}
		resp.Body.Close() // a silent socket was not accepted yet; try again
	}
	if !refused {
		t.Fatal("a fifth connection was served while four silent ones were open")
	}

	// The silent sockets are closed after the read-header timeout; then the server answers.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(s.URL + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := regexp.MustCompile(`(?m)^intentrt_connections_refused_total (\d+)`).FindStringSubmatch(string(b))
			if m == nil {
				t.Fatalf("no refusal counter:\n%s", b)
			}
			if n, _ := strconv.Atoi(m[1]); n < 1 {
				t.Errorf("refusals not counted:\n%s", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still refused after the silent sockets should have been reaped: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
