package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CookieName is the dashboard's session cookie.
const CookieName = "intentrt_session"

// The cookie is stateless, so that any node of a cluster accepts it without a shared server
// key: it names the app and an expiry and carries an HMAC-SHA256 over them keyed by the app's
// own client secret. Every request looks the app up again (through the cached app source), so
// revoking the app or changing its secret ends its dashboard sessions too.
//
//	v1.<base64url clientId>.<expiry unix seconds>.<base64url mac>
const cookieVersion = "v1"

var errBadCookie = errors.New("bad session cookie")

// signCookie returns the cookie value for the app until exp.
func signCookie(clientID, account, secret string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	id := base64.RawURLEncoding.EncodeToString([]byte(clientID))
	return cookieVersion + "." + id + "." + e + "." + base64.RawURLEncoding.EncodeToString(cookieMAC(clientID, account, secret, e))
}

// cookieMAC binds the account too: an app moved to another account (it cannot be today) would
// not keep a session signed for the old one.
func cookieMAC(clientID, account, secret, exp string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("intentrt-dashboard\x00" + clientID + "\x00" + account + "\x00" + exp))
	return m.Sum(nil)
}

// overTLS reports whether the browser reached the page over HTTPS: this server's own TLS, or a
// TLS-terminating proxy in front that says so with X-Forwarded-Proto: https. The header is
// believed without any proxy being configured because it can only make the cookie stricter: a
// client that lies about it gets a Secure cookie its own browser will not send back over HTTP.
func overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// parsedCookie is a cookie whose shape is right but whose MAC is not checked yet: that needs
// the app's secret.
type parsedCookie struct {
	clientID string
	exp      string
	mac      []byte
}

func parseCookie(v string, now time.Time) (parsedCookie, error) {
	parts := strings.Split(v, ".")
	if len(parts) != 4 || parts[0] != cookieVersion {
		return parsedCookie{}, errBadCookie
	}
	id, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(id) == 0 {
		return parsedCookie{}, errBadCookie
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || now.Unix() >= exp {
		return parsedCookie{}, errBadCookie
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return parsedCookie{}, errBadCookie
	}
	return parsedCookie{clientID: string(id), exp: parts[2], mac: mac}, nil
}

// verify checks the MAC against the app's current secret and account.
func (p parsedCookie) verify(account, secret string) bool {
	return hmac.Equal(p.mac, cookieMAC(p.clientID, account, secret, p.exp))
}
