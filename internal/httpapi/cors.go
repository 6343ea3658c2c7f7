package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// corsPatterns are the routes a browser app on another origin may call (--cors-origin): the
// read API and every route beneath it — the stream, the summary, the export — whether they are
// in the route table yet or not. Ingest, the dashboard's /ui routes and operations are not:
// producers are servers, and the dashboard's cookie must never be usable from elsewhere.
var corsPatterns = []string{
	"/api/public/bot/{botId}/intentrealtimedata",
	"/api/public/bot/{botId}/intentrealtimedata/{rest...}",
}

// What an allowed origin's preflight is told. The headers are those the read, summary and stream
// routes read; the exposed ones those a browser app needs to see (the 429's wait, the request id
// to report, an export's file name and cursor).
const (
	corsAllowMethods  = "GET, POST"
	corsAllowHeaders  = "auth, accountId, Authorization, Content-Type, Format, Last-Event-ID, X-Request-Id"
	corsExposeHeaders = "Retry-After, X-Request-Id, Content-Disposition, Export-Cursor"
	corsMaxAge        = "3600" // seconds a browser may reuse a preflight's answer (Chromium caps it at 7200)
)

// cors answers browsers on behalf of the allowed origins. A nil *cors allows none and adds nothing.
type cors struct {
	any     bool            // "*": every origin
	origins map[string]bool // normalised, as NormalizeOrigin returns them
	routes  *http.ServeMux  // matches corsPatterns only; its handlers are never called
}

// newCORS returns the CORS layer for the origins given (already normalised), or nil for none.
func newCORS(origins []string) *cors {
	if len(origins) == 0 {
		return nil
	}
	c := &cors{origins: map[string]bool{}, routes: http.NewServeMux()}
	for _, o := range origins {
		c.any = c.any || o == "*"
		c.origins[o] = true
	}
	for _, p := range corsPatterns {
		c.routes.Handle(p, http.NotFoundHandler())
	}
	return c
}

// wrap adds the CORS headers to next's answers on the CORS routes for allowed origins, and
// answers their preflights itself (204). Another origin's preflight gets a 204 with no allow
// headers, which the browser takes as a refusal; its requests get no CORS header at all.
func (c *cors) wrap(next http.Handler) http.Handler {
	if c == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := c.routes.Handler(r); pattern == "" {
			next.ServeHTTP(w, r)
			return
		}
		// The answer depends on Origin: a shared cache must not hand one origin's to another.
		w.Header().Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		allowed := origin != "" && (c.any || c.origins[strings.ToLower(origin)])
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", corsAllowMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// NormalizeOrigin checks that o is an origin as a browser sends it in the Origin header —
// http or https, a host, an optional port, nothing after (a trailing "/" is forgiven) — or "*",
// and returns it in the browser's form: lower case, without the scheme's default port.
func NormalizeOrigin(o string) (string, error) {
	if o == "*" {
		return o, nil
	}
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil {
		return "", errors.New("not a URL; use scheme://host[:port], e.g. https://app.example.com")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", errors.New("use http:// or https:// followed by the host, e.g. https://app.example.com")
	}
	if u.Hostname() == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("an origin is scheme://host[:port] with no path, query or user, e.g. https://app.example.com")
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") { // IPv6
		host = "[" + host + "]"
	}
	port, err := originPort(scheme, u.Port())
	if err != nil {
		return "", err
	}
	return scheme + "://" + host + port, nil
}

// originPort returns ":port", or "" for none or the scheme's default, which browsers omit.
func originPort(scheme, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", errors.New("the port must be a number from 1 to 65535")
	}
	if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
		return "", nil
	}
	return ":" + p, nil
}
