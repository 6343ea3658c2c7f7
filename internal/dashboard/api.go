package dashboard

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/httpapi"
	"github.com/intentrt/intentrt/internal/ratelimit"
	"github.com/intentrt/intentrt/internal/session"
)

// CSRFHeader must accompany every request that changes state. A cross-site form cannot set a
// header, and a cross-site script that sets one needs a CORS preflight this server never
// grants; with SameSite=Strict and the Origin check it is belt and braces.
const CSRFHeader = "X-Intentrt-Csrf"

// The dashboard lists more of the recent sessions than the API's 100, for its charts.
const (
	defaultRecent = 200
	maxRecent     = 500
)

type api struct {
	d *Dashboard
	h *httpapi.Handlers
}

// whoami is what the page learns about the signed-in app; never its secret.
type whoami struct {
	AccountID string   `json:"accountId"`
	ClientID  string   `json:"clientId"`
	Bots      []string `json:"bots"`
	AllBots   bool     `json:"allBots"`
}

func describe(app auth.App) whoami {
	bots := app.Bots
	if bots == nil {
		bots = []string{}
	}
	return whoami{AccountID: app.Account, ClientID: app.ClientID, Bots: bots, AllBots: app.AllBots}
}

type signInBody struct {
	AccountID    string `json:"accountId"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// wrongCredentials does not say which of the three was wrong.
const wrongCredentials = "the account id, client id or client secret is wrong"

func (a *api) signIn(w http.ResponseWriter, r *http.Request) {
	if !a.sameOrigin(w, r) {
		return
	}
	var b signInBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		a.h.WriteError(w, r, http.StatusBadRequest, "body must be a JSON object with accountId, clientId and clientSecret")
		return
	}
	if b.AccountID == "" || b.ClientID == "" || b.ClientSecret == "" {
		a.h.WriteError(w, r, http.StatusBadRequest, "account id, client id and client secret are all required")
		return
	}
	if !session.ValidID(b.AccountID) || !session.ValidID(b.ClientID) {
		a.h.WriteError(w, r, http.StatusUnauthorized, wrongCredentials)
		return
	}
	app, err := a.d.apps.App(r.Context(), b.ClientID)
	switch {
	case errors.Is(err, auth.ErrUnknownApp):
		a.h.WriteError(w, r, http.StatusUnauthorized, wrongCredentials)
		return
	case err != nil:
		a.h.WriteInternal(w, r, fmt.Errorf("sign in: look up app: %w", err))
		return
	}
	a.h.NoteCaller(r, httpapi.Caller{App: app, Account: b.AccountID})
	if app.Revoked() || app.Account != b.AccountID ||
		subtle.ConstantTimeCompare([]byte(app.ClientSecret), []byte(b.ClientSecret)) != 1 {
		a.h.WriteError(w, r, http.StatusUnauthorized, wrongCredentials)
		return
	}
	if !app.HasScope(auth.ScopeAnalytics) {
		a.h.WriteError(w, r, http.StatusForbidden, fmt.Sprintf("the app lacks the scope %q the dashboard needs", auth.ScopeAnalytics))
		return
	}
	exp := a.d.now().Add(a.d.ttl)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: signCookie(app.ClientID, app.Account, app.ClientSecret, exp),
		Path: "/", Expires: exp, MaxAge: int(a.d.ttl / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	httpapi.WriteJSON(w, http.StatusOK, describe(app))
}

func (a *api) signOut(w http.ResponseWriter, r *http.Request) {
	if !a.sameOrigin(w, r) {
		return
	}
	clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func (a *api) me(w http.ResponseWriter, r *http.Request) {
	app, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, describe(app))
}

// recentSessions is the page's starting point: the latest sessions, and the stream cursor
// read before them, so that resuming the stream from it misses nothing that they lack.
type recentSessions struct {
	Cursor   string         `json:"cursor"`
	Sessions []session.View `json:"sessions"`
}

func (a *api) sessions(w http.ResponseWriter, r *http.Request) {
	c, ok := a.caller(w, r)
	if !ok {
		return
	}
	if a.h.Limiter != nil {
		if ok, wait := a.h.Limiter.Allow(c.Account); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(wait)))
			a.h.WriteError(w, r, http.StatusTooManyRequests, "rate limit of the account exceeded; retry after the time in Retry-After")
			return
		}
	}
	limit := defaultRecent
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRecent {
			a.h.WriteError(w, r, http.StatusBadRequest, fmt.Sprintf("limit must be between 1 and %d", maxRecent))
			return
		}
		limit = n
	}
	if a.h.Changes == nil {
		a.h.WriteError(w, r, http.StatusServiceUnavailable, "the live stream is not available on this server")
		return
	}
	head, err := a.h.Changes.Head(r.Context())
	if err != nil {
		a.h.WriteInternal(w, r, fmt.Errorf("dashboard head: %w", err))
		return
	}
	states, err := a.h.Sessions.Latest(r.Context(), session.Query{Account: c.Account, Bot: c.Bot, Limit: limit})
	if err != nil {
		a.h.WriteInternal(w, r, fmt.Errorf("dashboard sessions: %w", err))
		return
	}
	out := recentSessions{Cursor: strconv.FormatInt(head, 10), Sessions: make([]session.View, len(states))}
	for i := range states {
		out.Sessions[i] = states[i].View()
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, out)
}

func (a *api) stream(w http.ResponseWriter, r *http.Request) {
	c, ok := a.caller(w, r)
	if !ok {
		return
	}
	a.h.ServeStream(w, r, c)
}

// signedIn checks the session cookie against the app as it is now; on failure it has answered
// 401 (and cleared a cookie that can never work again).
func (a *api) signedIn(w http.ResponseWriter, r *http.Request) (auth.App, bool) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		a.h.WriteError(w, r, http.StatusUnauthorized, "not signed in")
		return auth.App{}, false
	}
	p, err := parseCookie(ck.Value, a.d.now())
	if err != nil {
		clearCookie(w, r)
		a.h.WriteError(w, r, http.StatusUnauthorized, "the session has expired; sign in again")
		return auth.App{}, false
	}
	app, err := a.d.apps.App(r.Context(), p.clientID)
	switch {
	case errors.Is(err, auth.ErrUnknownApp):
	case err != nil:
		a.h.WriteInternal(w, r, fmt.Errorf("dashboard: look up app: %w", err))
		return auth.App{}, false
	case !app.Revoked() && p.verify(app.Account, app.ClientSecret):
		a.h.NoteCaller(r, httpapi.Caller{App: app, Account: app.Account})
		return app, true
	}
	clearCookie(w, r)
	a.h.WriteError(w, r, http.StatusUnauthorized, "the session is no longer valid; sign in again")
	return auth.App{}, false
}

// caller is signedIn plus the read API's checks on the bot of the path.
func (a *api) caller(w http.ResponseWriter, r *http.Request) (httpapi.Caller, bool) {
	app, ok := a.signedIn(w, r)
	if !ok {
		return httpapi.Caller{}, false
	}
	bot := r.PathValue("botId")
	switch {
	case !session.ValidID(bot):
		a.h.WriteError(w, r, http.StatusBadRequest, "botId must be 1-128 printable characters")
	case !app.HasScope(auth.ScopeAnalytics):
		a.h.WriteError(w, r, http.StatusForbidden, fmt.Sprintf("the app lacks the scope %q", auth.ScopeAnalytics))
	case !app.CanReach(bot):
		a.h.WriteError(w, r, http.StatusForbidden, "the app may not access bot "+bot)
	default:
		return httpapi.Caller{App: app, Account: app.Account, Bot: bot}, true
	}
	return httpapi.Caller{}, false
}

// sameOrigin is the CSRF check of the routes that change state: the custom header, and an
// Origin (browsers send it on every POST and DELETE) naming this very host.
func (a *api) sameOrigin(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get(CSRFHeader) == "" {
		a.h.WriteError(w, r, http.StatusForbidden, "missing header "+CSRFHeader)
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			a.h.WriteError(w, r, http.StatusForbidden, "cross-origin request refused")
			return false
		}
	}
	return true
}
