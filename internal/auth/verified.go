package auth

import (
	"context"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxVerifiedTokens bounds the tokens remembered as verified; past it the memory starts afresh.
const maxVerifiedTokens = 10_000

// verifiedTokens remembers tokens whose signature has been checked. Kore's clients mint a token
// and reuse it for every call until it expires, so without this every request paid for a base64
// and JSON decode of the claims and an HMAC; with it, a token seen before costs a map lookup.
// What can change between two uses is still checked on every use: the app (revoked or gone,
// through the AppSource with its own freshness bound) and the time claims. Tokens of
// enforce-JTI apps are never remembered: each of those must be recorded as used, once.
type verifiedTokens struct {
	mu sync.RWMutex
	m  map[string]verifiedToken
}

// verifiedToken is what was learned from a token when its signature was checked.
type verifiedToken struct {
	clientID string
	secret   string    // the secret that signed it: a different secret now means full verification
	exp      time.Time // zero when the claim is absent
	nbf      time.Time
	iat      time.Time
}

// reuse returns the app of a token verified before, if it is still valid now. On any doubt it
// returns false and the caller verifies in full, which also gives the precise error.
func (v *Verifier) reuse(ctx context.Context, token string) (App, bool) {
	v.tokens.mu.RLock()
	t, ok := v.tokens.m[token]
	v.tokens.mu.RUnlock()
	if !ok {
		return App{}, false
	}
	app, err := v.apps.App(ctx, t.clientID)
	if err != nil || app.Revoked() || app.EnforceJTI || app.ClientSecret != t.secret {
		return App{}, false
	}
	// The same comparisons, with the same leeway, as the jwt library's validator.
	now := v.now()
	if (!t.exp.IsZero() && !now.Before(t.exp.Add(Leeway))) ||
		(!t.nbf.IsZero() && now.Before(t.nbf.Add(-Leeway))) ||
		(!t.iat.IsZero() && now.Before(t.iat.Add(-Leeway))) {
		return App{}, false
	}
	return app, true
}

// remember notes a token just verified in full for an app without enforce-JTI.
func (v *Verifier) remember(token string, app App, claims jwt.MapClaims) {
	t := verifiedToken{clientID: app.ClientID, secret: app.ClientSecret}
	for _, c := range []struct {
		get func() (*jwt.NumericDate, error)
		dst *time.Time
	}{{claims.GetExpirationTime, &t.exp}, {claims.GetNotBefore, &t.nbf}, {claims.GetIssuedAt, &t.iat}} {
		d, err := c.get()
		if err != nil {
			return // the validator accepted it, but do not guess: verify it in full next time
		}
		if d != nil {
			*c.dst = d.Time
		}
	}
	v.tokens.mu.Lock()
	if len(v.tokens.m) >= maxVerifiedTokens {
		clear(v.tokens.m)
	}
	v.tokens.m[token] = t
	v.tokens.mu.Unlock()
}
