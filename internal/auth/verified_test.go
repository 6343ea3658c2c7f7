package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestVerifiedTokenReuse checks that remembering verified tokens changes no answer: a token
// seen before is refused once it expires, once its app is revoked or its secret differs, and
// an enforce-JTI token is still accepted only once.
func TestVerifiedTokenReuse(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	app := App{ClientID: "cs-1", ClientSecret: "secret-1", Account: "a", AllBots: true, Scopes: Scopes}
	jtiApp := App{ClientID: "cs-2", ClientSecret: "secret-2", Account: "a", AllBots: true, Scopes: Scopes, EnforceJTI: true}
	src := appMap{apps: map[string]App{app.ClientID: app, jtiApp.ClientID: jtiApp}}
	now := t0
	v := NewVerifier(src, &jtiSet{}, func() time.Time { return now })
	tok, err := Mint(app.ClientID, app.ClientSecret, MintOptions{TTL: time.Hour, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	expectErr := func(what, want string) {
		t.Helper()
		_, err := v.Verify(ctx, tok)
		if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: got %v, want an invalid token error saying %q", what, err, want)
		}
	}

	for i := range 3 {
		if got, err := v.Verify(ctx, tok); err != nil || got.ClientID != app.ClientID {
			t.Fatalf("use %d: %v %v", i, got.ClientID, err)
		}
	}
	if len(v.tokens.m) != 1 {
		t.Fatalf("%d tokens remembered, want 1", len(v.tokens.m))
	}

	now = t0.Add(time.Hour + Leeway + time.Second)
	expectErr("after exp", "token expired")
	now = t0

	revoked := app
	at := t0
	revoked.RevokedAt = &at
	src.apps[app.ClientID] = revoked
	expectErr("revoked app", "app revoked")

	rekeyed := app
	rekeyed.ClientSecret = "another"
	src.apps[app.ClientID] = rekeyed
	expectErr("other secret", "signature invalid")

	delete(src.apps, app.ClientID)
	expectErr("unknown app", "unknown app")

	jtiTok, err := Mint(jtiApp.ClientID, jtiApp.ClientSecret, MintOptions{TTL: time.Hour, JTI: true, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, jtiTok); err != nil {
		t.Fatalf("first use of a jti token: %v", err)
	}
	if _, err := v.Verify(ctx, jtiTok); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "replay") {
		t.Fatalf("second use of a jti token: %v, want a replay refusal", err)
	}
	if _, ok := v.tokens.m[jtiTok]; ok {
		t.Fatal("an enforce-JTI token was remembered as reusable")
	}

	// A token not yet valid is never accepted from memory either.
	src.apps[app.ClientID] = app
	early, err := Mint(app.ClientID, app.ClientSecret, MintOptions{TTL: time.Hour, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, early); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(-time.Minute)
	tok = early
	expectErr("before iat", "issued in the future")
}

// BenchmarkPerfVerify is the cost of verifying the token a client reuses for every call.
func BenchmarkPerfVerify(b *testing.B) {
	app := App{ClientID: "cs-1", ClientSecret: "secret-1", Account: "a", AllBots: true, Scopes: Scopes}
	v := NewVerifier(NewAppCache(appMap{apps: map[string]App{app.ClientID: app}}.App, time.Second), &jtiSet{}, nil)
	tok, err := Mint(app.ClientID, app.ClientSecret, MintOptions{TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
