package bench

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The generator reads answers of every framing net/http sends (Content-Length, chunked, a
// closed connection), counts statuses, and reuses connections it may keep.
func TestGeneratorFramings(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("auth") != "tok" || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", "5")
			_, _ = w.Write([]byte("hello"))
		case "/chunked":
			for range 3 {
				_, _ = w.Write([]byte(strings.Repeat("x", 3000)))
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = w.Write([]byte("bye"))
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	h := http.Header{"auth": {"tok"}}
	for path, wantOK := range map[string]bool{"/length": true, "/chunked": true, "/close": true, "/teapot": false} {
		conns.Store(0)
		ep := staticTarget(http.MethodPost, srv.URL+path, h, nil)
		o := driveUntil(ep.host, ep.tr, 2, 10*time.Second, 50)
		if o.requests != 50 || len(o.errs) != 0 {
			t.Fatalf("%s: %d requests, errors %v", path, o.requests, o.errs)
		}
		if got := o.ok == 50; got != wantOK {
			t.Fatalf("%s: %d of 50 ok, codes %v", path, o.ok, o.codes)
		}
		if n := conns.Load(); (path == "/close") != (n > 2) {
			t.Errorf("%s: %d connections for 50 requests on 2", path, n)
		}
	}
}
