package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
)

// CSRFHeader must accompany every request that changes state. A cross-site form cannot set a
// header, and a cross-site script that sets one needs a CORS preflight this server never
// grants; with SameSite=Strict and the Origin check it is belt and braces.
const CSRFHeader = "X-Intentrt-Csrf"

// Host is what the dashboard borrows from the API server that mounts its routes, so that every
// route of the binary answers, logs and rate-limits alike.
type Host interface {
	// WriteJSON writes v as the response with the API's content type and encoding.
	WriteJSON(w http.ResponseWriter, status int, v any)
	// WriteError writes the API's error body; msg must be safe to show the client.
	WriteError(w http.ResponseWriter, r *http.Request, status int, msg string)
	// WriteInternal answers a dependency's failure (500 or 503); err goes to the log only.
	WriteInternal(w http.ResponseWriter, r *http.Request, err error)
	// NoteCaller records, for the request's log line, whom the request acts as.
	NoteCaller(r *http.Request, account, clientID string)
	// ServeStream serves the API's live stream of a bot to an already authorised app.
	ServeStream(w http.ResponseWriter, r *http.Request, app auth.App, bot string)
	// AuthThrottled answers 429 and returns true when the client's address has failed to
	// authenticate too often; AuthFailed counts one failure of it.
	AuthThrottled(w http.ResponseWriter, r *http.Request) bool
	AuthFailed(r *http.Request)
}

// SessionReader reads the latest completed sessions of a bot.
type SessionReader interface {
	Latest(ctx context.Context, q session.Query) ([]session.State, error)
}

// HeadReader reads the stream's current cursor.
type HeadReader interface {
	Head(ctx context.Context) (int64, error)
}

// Routes are the dashboard's handlers, bound to the server that mounts them. The server's
// route table lists each of them.
type Routes struct {
	d      *Dashboard
	h      Host
	latest SessionReader
	heads  HeadReader // nil: the server has no stream, and the page cannot start
	sum    Summarizer // nil: the figures route answers 503
}

// Bind returns the dashboard's handlers on top of host; latest and heads are the data the
// page starts from, sum the summary service the API's summary route uses too.
func (d *Dashboard) Bind(host Host, latest SessionReader, heads HeadReader, sum Summarizer) *Routes {
	return &Routes{d: d, h: host, latest: latest, heads: heads, sum: sum}
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

// SignIn checks an app's credentials and sets the session cookie.
func (a *Routes) SignIn(w http.ResponseWriter, r *http.Request) {
	if !a.sameOrigin(w, r) || a.h.AuthThrottled(w, r) {
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
		a.h.AuthFailed(r)
		a.h.WriteError(w, r, http.StatusUnauthorized, wrongCredentials)
		return
	}
	a.h.NoteCaller(r, b.AccountID, b.ClientID)
	app, err := a.d.signIn.App(r.Context(), b.ClientID)
	unknown := errors.Is(err, auth.ErrUnknownApp)
	if err != nil && !unknown {
		a.h.WriteInternal(w, r, fmt.Errorf("sign in: look up app: %w", err))
		return
	}
	if !secretMatches(app.ClientSecret, b.ClientSecret, unknown) || unknown || app.Revoked() || app.Account != b.AccountID {
		a.h.AuthFailed(r)
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
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overTLS(r),
	})
	a.h.WriteJSON(w, http.StatusOK, describe(app))
}

// dummySecret stands in for the secret of an unknown client id, so that a sign-in compares
// a secret whether or not the id exists.
var dummySecret = rand.Text()

// secretMatches compares the given secret with the app's (or the dummy one) in time that
// depends on neither: both are hashed to a fixed length first, and compared in constant time.
func secretMatches(want, given string, unknown bool) bool {
	if unknown {
		want = dummySecret
	}
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(given))
	return hmac.Equal(w[:], g[:])
}

// SignOut clears the session cookie.
func (a *Routes) SignOut(w http.ResponseWriter, r *http.Request) {
	if !a.sameOrigin(w, r) {
		return
	}
	clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overTLS(r)})
}

// Me describes the signed-in app.
func (a *Routes) Me(w http.ResponseWriter, r *http.Request) {
	app, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	a.h.WriteJSON(w, http.StatusOK, describe(app))
}

// Stream is the API's live stream behind the session cookie.
func (a *Routes) Stream(w http.ResponseWriter, r *http.Request) {
	app, bot, ok := a.caller(w, r)
	if !ok {
		return
	}
	a.h.ServeStream(w, r, app, bot)
}

// signedIn checks the session cookie against the app as it is now; on failure it has answered
// 401 (and cleared a cookie that can never work again).
func (a *Routes) signedIn(w http.ResponseWriter, r *http.Request) (auth.App, bool) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		a.h.WriteError(w, r, http.StatusUnauthorized, "not signed in")
		return auth.App{}, false
	}
	if a.h.AuthThrottled(w, r) {
		return auth.App{}, false
	}
	p, err := parseCookie(ck.Value, a.d.now())
	if err != nil {
		a.h.AuthFailed(r)
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
		a.h.NoteCaller(r, app.Account, app.ClientID)
		return app, true
	}
	a.h.AuthFailed(r)
	clearCookie(w, r)
	a.h.WriteError(w, r, http.StatusUnauthorized, "the session is no longer valid; sign in again")
	return auth.App{}, false
}

// caller is signedIn plus the read API's checks on the bot of the path.
func (a *Routes) caller(w http.ResponseWriter, r *http.Request) (app auth.App, bot string, ok bool) {
	app, ok = a.signedIn(w, r)
	if !ok {
		return auth.App{}, "", false
	}
	bot = r.PathValue("botId")
	switch {
	case !session.ValidID(bot):
		a.h.WriteError(w, r, http.StatusBadRequest, "botId must be 1-128 printable characters")
	case !app.HasScope(auth.ScopeAnalytics):
		a.h.WriteError(w, r, http.StatusForbidden, fmt.Sprintf("the app lacks the scope %q", auth.ScopeAnalytics))
	case !app.CanReach(bot):
		a.h.WriteError(w, r, http.StatusForbidden, "the app may not access bot "+bot)
	default:
		return app, bot, true
	}
	return auth.App{}, "", false
}

// sameOrigin is the CSRF check of the routes that change state: the custom header, and an
// Origin (browsers send it on every POST and DELETE) naming this very host.
func (a *Routes) sameOrigin(w http.ResponseWriter, r *http.Request) bool {
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
