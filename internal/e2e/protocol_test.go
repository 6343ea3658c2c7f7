package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/testserver"
)

// rawExchange sends raw bytes on a fresh connection and parses the one answer.
func rawExchange(t *testing.T, s *testserver.Server, req string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", req[:min(len(req), 60)], err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// checkJSONError fails unless the answer is the contract's error body with status want.
func checkJSONError(t *testing.T, name string, resp *http.Response, body []byte, want int) {
	t.Helper()
	var e struct {
		Errors []struct {
			Msg  string `json:"msg"`
			Code int    `json:"code"`
		} `json:"errors"`
	}
	if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		json.Unmarshal(body, &e) != nil || len(e.Errors) != 1 || e.Errors[0].Code != want || e.Errors[0].Msg == "" {
		t.Errorf("%s: %d %q %s, want %d with the JSON error body", name, resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no X-Content-Type-Options: nosniff", name)
	}
}

// TestErrorsAreJSON: the answers net/http and its ServeMux would write themselves in plain
// text or HTML (malformed request, header too large, missing Host, unknown transfer coding,
// CONNECT, a path with ".." or ".") carry the contract's JSON
// error instead, and every answer says nosniff.
func TestErrorsAreJSON(t *testing.T) {
	s := testserver.Start(t)
	for _, tc := range []struct {
		name, req string
		want      int
	}{
		{"malformed header line", "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400},
		{"header too large", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n", 431},
		{"missing Host", "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
		{"unknown transfer coding", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n", 405},
		{"dot-dot path", "GET /api/../readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400},
		{"dot path", "GET /./healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400},
	} {
		resp, body := rawExchange(t, s, tc.req)
		checkJSONError(t, tc.name, resp, body, tc.want)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/openapi.yaml", "/", "/nowhere"} {
		resp, _ := s.Do(t, http.MethodGet, path, nil, "")
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d without nosniff", path, resp.StatusCode)
		}
	}
}

// TestDuplicateAccountHeader: two accountId headers are a 400, whichever comes first.
func TestDuplicateAccountHeader(t *testing.T) {
	s := testserver.Start(t)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-dup"})
	tok := app.Token(t)
	for _, order := range [][2]string{{"acct-dup", "other"}, {"other", "acct-dup"}, {"acct-dup", "acct-dup"}} {
		req := "POST " + readPath("st-dup") + " HTTP/1.1\r\nHost: x\r\nauth: " + tok +
			"\r\naccountId: " + order[0] + "\r\naccountId: " + order[1] + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
		resp, body := rawExchange(t, s, req)
		checkJSONError(t, "accountId "+order[0]+","+order[1], resp, body, 400)
		if !strings.Contains(string(body), "accountId") {
			t.Errorf("the error does not name the header: %s", body)
		}
	}
}
