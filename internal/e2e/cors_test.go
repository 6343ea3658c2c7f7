package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/intentrt/intentrt/internal/testserver"
)

// corsHeaders returns the Access-Control-* headers of a response.
func corsHeaders(resp *http.Response) http.Header {
	out := http.Header{}
	for k, v := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

func preflight(origin, method, headers string) map[string]string {
	return map[string]string{"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
}

// TestCORS: with --cors-origin, a listed origin's preflight of the read, summary, export and
// stream routes is answered 204 with what the browser needs, and its requests carry
// Access-Control-Allow-Origin; another origin gets no CORS header at all; ingest, the
// dashboard's routes and operations never do.
func TestCORS(t *testing.T) {
	const listed = "https://app.example.com"
	s := testserver.Start(t, "--cors-origin", "HTTPS://App.Example.com:443/", "--cors-origin", "http://localhost:3000")
	const account, bot = "acct-cors", "st-cors"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	read := readPath(bot)

	for _, path := range []string{read, read + "/stream", read + "/summary", read + "/export"} {
		t.Run("listed preflight "+path, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodOptions, path, preflight(listed, "POST", "auth,accountid,format,content-type"), "")
			h := resp.Header
			if resp.StatusCode != http.StatusNoContent || len(body) != 0 ||
				h.Get("Access-Control-Allow-Origin") != listed || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
				h.Get("Access-Control-Max-Age") == "" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Fatalf("%d %v %s", resp.StatusCode, h, body)
			}
			allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
			for _, want := range []string{"auth", "accountid", "authorization", "content-type", "format", "last-event-id"} {
				if !strings.Contains(allowed, want) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, want)
				}
			}
		})
		t.Run("other origin's preflight "+path, func(t *testing.T) {
			resp, _ := s.Do(t, http.MethodOptions, path, preflight("https://evil.example", "POST", "auth"), "")
			if resp.StatusCode != http.StatusNoContent || len(corsHeaders(resp)) != 0 {
				t.Fatalf("%d, CORS headers %v; want 204 with none", resp.StatusCode, corsHeaders(resp))
			}
		})
	}

	// The port of a listed origin counts: http://localhost:3000 is listed, :3001 is not.
	resp, _ := s.Do(t, http.MethodOptions, read, preflight("http://localhost:3000", "GET", ""), "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Fatalf("http://localhost:3000: %v", corsHeaders(resp))
	}
	resp, _ = s.Do(t, http.MethodOptions, read, preflight("http://localhost:3001", "GET", ""), "")
	if len(corsHeaders(resp)) != 0 {
		t.Fatalf("http://localhost:3001: %v", corsHeaders(resp))
	}

	// The actual request: the listed origin may read the answer, another origin is told nothing.
	h := testserver.Headers(tok, account)
	h["Origin"] = listed
	resp, body := s.Do(t, http.MethodPost, read, h, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != listed ||
		!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Retry-After") {
		t.Fatalf("read from %s: %d %v %s", listed, resp.StatusCode, corsHeaders(resp), body)
	}
	h["Origin"] = "https://evil.example"
	if resp, _ = s.Do(t, http.MethodPost, read, h, ""); resp.StatusCode != http.StatusOK || len(corsHeaders(resp)) != 0 {
		t.Fatalf("read from another origin: %d %v", resp.StatusCode, corsHeaders(resp))
	}

	// Never for ingest, the dashboard or operations, even for a listed origin.
	for _, path := range []string{ingestPath(bot), "/ui/api/session", "/ui/api/bots/" + bot + "/stream", "/healthz"} {
		resp, _ := s.Do(t, http.MethodOptions, path, preflight(listed, "POST", "auth"), "")
		if len(corsHeaders(resp)) != 0 || resp.StatusCode == http.StatusNoContent {
			t.Errorf("preflight of %s from a listed origin: %d %v; want no CORS", path, resp.StatusCode, corsHeaders(resp))
		}
	}
}

// TestNoCORSByDefault: without --cors-origin there is no CORS layer: a preflight is a method
// the route does not serve (405) and no answer carries a CORS header.
func TestNoCORSByDefault(t *testing.T) {
	s := testserver.Start(t)
	resp, body := s.Do(t, http.MethodOptions, readPath("st-x"), preflight("https://app.example.com", "POST", "auth"), "")
	if resp.StatusCode != http.StatusMethodNotAllowed || len(corsHeaders(resp)) != 0 {
		t.Fatalf("%d %v %s", resp.StatusCode, corsHeaders(resp), body)
	}
}
