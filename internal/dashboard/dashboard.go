// Package dashboard is the web page the binary serves at "/": an operator signs in with an
// app's credentials and watches a bot's completed sessions arrive, with filters and charts.
// The assets are embedded (no CDN, no build step); the page's data comes from a few JSON
// routes under a session cookie, and its live feed is the API's stream behind that cookie.
package dashboard

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
)

//go:embed assets
var assets embed.FS

// AppSource finds apps by client id (auth.ErrUnknownApp when there is none). The server passes
// the same cached source the token verifier uses, so a revoked app is refused here as quickly.
type AppSource interface {
	App(ctx context.Context, clientID string) (auth.App, error)
}

// Options configure the dashboard.
type Options struct {
	Apps AppSource
	// SignInApps is asked at sign-in, never a cache, so that a sign-in costs the same whether
	// or not its client id exists or was used lately (nil: Apps).
	SignInApps AppSource
	// PageRate is each account's budget of the page's requests a minute (DefaultPageRate when
	// 0; negative: unlimited). It is not the read API's limit: see budget.go.
	PageRate int
	// SessionTTL is how long a sign-in lasts (12 h by default).
	SessionTTL time.Duration
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Webhooks, when set, answers the page's webhook health line (nil: that route answers 503).
	Webhooks WebhookHealth
}

// Dashboard is the page and its sign-in settings; Bind gives its handlers.
type Dashboard struct {
	apps   AppSource
	signIn AppSource
	budget *pageBudget
	ttl    time.Duration
	now    func() time.Time
	static fs.FS
	hooks  WebhookHealth
}

// New returns the dashboard.
func New(o Options) *Dashboard {
	d := &Dashboard{apps: o.Apps, signIn: o.SignInApps, ttl: o.SessionTTL, now: o.Now, hooks: o.Webhooks}
	if d.signIn == nil {
		d.signIn = d.apps
	}
	if d.ttl <= 0 {
		d.ttl = 12 * time.Hour
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.budget = newPageBudget(o.PageRate)
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	d.static = sub
	return d
}

// Index serves the page.
func (a *Routes) Index(w http.ResponseWriter, r *http.Request) {
	page, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	setSecurityHeaders(w)
	_, _ = w.Write(page)
}

// setSecurityHeaders: everything the page loads comes from this origin, and no other site may
// frame it (clickjacking the sign-in form).
func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// Asset serves one embedded file: no directory listing, and the API's JSON 404 for the rest.
// no-cache (revalidate by Last-Modified) so that a new binary's assets are picked up at once.
func (a *Routes) Asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	st, err := fs.Stat(a.d.static, name)
	if err != nil || st.IsDir() || name == "index.html" {
		a.h.WriteError(w, r, http.StatusNotFound, "no such asset: "+name)
		return
	}
	setSecurityHeaders(w)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, a.d.static, name)
}
