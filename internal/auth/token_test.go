package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// appMap is an in-memory AppSource: the verifier's own contract is under test, not storage.
type appMap struct {
	apps map[string]App
	err  error
}

func (m appMap) App(_ context.Context, id string) (App, error) {
	if m.err != nil {
		return App{}, m.err
	}
	a, ok := m.apps[id]
	if !ok {
		return App{}, ErrUnknownApp
	}
	return a, nil
}

// jtiSet is an in-memory JTIRecorder that remembers what it was asked.
type jtiSet struct {
	mu      sync.Mutex
	used    map[string]time.Time
	err     error
	calls   int
	expires time.Time
}

func (j *jtiSet) UseJTI(_ context.Context, clientID, jti string, expires time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls++
	j.expires = expires
	if j.err != nil {
		return j.err
	}
	if j.used == nil {
		j.used = map[string]time.Time{}
	}
	k := clientID + "\x00" + jti
	if _, ok := j.used[k]; ok {
		return ErrJTIUsed
	}
	j.used[k] = expires
	return nil
}

var now = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

func testApps(t testing.TB) (normal, jtiApp, revoked App) {
	t.Helper()
	var err error
	if normal, err = NewApp("acct", []string{"bot"}, false, Scopes, false, now); err != nil {
		t.Fatal(err)
	}
	if jtiApp, err = NewApp("acct", []string{"bot"}, false, Scopes, true, now); err != nil {
		t.Fatal(err)
	}
	if revoked, err = NewApp("acct", nil, true, Scopes, false, now); err != nil {
		t.Fatal(err)
	}
	at := now.Add(-time.Minute)
	revoked.RevokedAt = &at
	return normal, jtiApp, revoked
}

func sign(t testing.TB, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	normal, jtiApp, revoked := testApps(t)
	jtis := &jtiSet{}
	v := NewVerifier(appMap{apps: map[string]App{normal.ClientID: normal, jtiApp.ClientID: jtiApp, revoked.ClientID: revoked}}, jtis, func() time.Time { return now })
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(normal.ClientSecret)
	claims := func(app App, kv ...any) jwt.MapClaims {
		c := jwt.MapClaims{"appId": app.ClientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	secs := func(d time.Duration) int64 { return now.Add(d).Unix() }
	cases := []struct {
		name  string
		token string
		want  string // "" accepted; otherwise a part of the refusal
	}{
		{"HS256", sign(t, jwt.SigningMethodHS256, key, claims(normal)), ""},
		{"HS512", sign(t, jwt.SigningMethodHS512, key, claims(normal)), ""},
		{"HS384", sign(t, jwt.SigningMethodHS384, key, claims(normal)), "algorithm"},
		{"ES256", sign(t, jwt.SigningMethodES256, ec, claims(normal)), "algorithm"},
		{"none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(normal)), "algorithm"},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("x"), claims(normal)), "signature"},
		{"empty", "", "malformed"},
		{"garbage", "a.b.c", "malformed"},
		{"unknown app", sign(t, jwt.SigningMethodHS256, key, claims(normal, "appId", "cs-unknown")), "unknown app"},
		{"revoked app", sign(t, jwt.SigningMethodHS256, []byte(revoked.ClientSecret), claims(revoked)), "revoked"},
		{"appId missing", sign(t, jwt.SigningMethodHS256, key, claims(normal, "appId", nil, "appid", normal.ClientID)), "appId"},
		{"appId empty", sign(t, jwt.SigningMethodHS256, key, claims(normal, "appId", "")), "appId"},
		{"appId with a NUL", sign(t, jwt.SigningMethodHS256, key, claims(normal, "appId", normal.ClientID+"\x00")), "unknown app"},
		{"appId of 129 characters", sign(t, jwt.SigningMethodHS256, key, claims(normal, "appId", strings.Repeat("c", 129))), "unknown app"},
		{"appId a number", sign(t, jwt.SigningMethodHS256, key, claims(normal, "appId", 7)), "appId"},
		{"expired 31 s ago", sign(t, jwt.SigningMethodHS256, key, claims(normal, "exp", secs(-31*time.Second))), "expired"},
		{"expired 29 s ago: leeway", sign(t, jwt.SigningMethodHS256, key, claims(normal, "exp", secs(-29*time.Second))), ""},
		{"nbf in 31 s", sign(t, jwt.SigningMethodHS256, key, claims(normal, "nbf", secs(31*time.Second))), "nbf"},
		{"nbf in 29 s: leeway", sign(t, jwt.SigningMethodHS256, key, claims(normal, "nbf", secs(29*time.Second))), ""},
		{"iat in 31 s", sign(t, jwt.SigningMethodHS256, key, claims(normal, "iat", secs(31*time.Second))), "iat"},
		{"iat in 29 s: leeway", sign(t, jwt.SigningMethodHS256, key, claims(normal, "iat", secs(29*time.Second))), ""},
		{"exp not a number", sign(t, jwt.SigningMethodHS256, key, claims(normal, "exp", "tomorrow")), "not accepted"},
		{"no exp", sign(t, jwt.SigningMethodHS256, key, claims(normal, "exp", nil)), ""},
		{"no claims but appId", sign(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"appId": normal.ClientID}), ""},
		{"JTI app: valid", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j-1")), ""},
		{"JTI app: no jti", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp)), "jti"},
		{"JTI app: jti not a string", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", 5)), "jti"},
		{"JTI app: jti with a NUL", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j\x00")), "jti"},
		{"JTI app: jti of 129 characters", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", strings.Repeat("j", 129))), "jti"},
		{"JTI app: no exp", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j-2", "exp", nil)), "exp"},
		{"JTI app: exp 2 h after iat", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j-3", "exp", secs(2*time.Hour))), "hour"},
		{"JTI app: exp 2 h after now, no iat", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j-4", "iat", nil, "exp", secs(2*time.Hour))), "hour"},
		{"JTI app: exp 1 h after iat", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j-5", "exp", secs(time.Hour))), ""},
		{"JTI app: replay", sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j-1")), "replay"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, err := v.Verify(context.Background(), c.token)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if app.ClientID == "" || app.ClientSecret == "" {
					t.Fatalf("accepted without an app: %+v", app)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v, want ErrInvalidToken", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
			if app.ClientID != "" {
				t.Fatalf("an app returned with a refusal: %+v", app)
			}
		})
	}
	t.Run("the jti is kept until exp plus leeway", func(t *testing.T) {
		exp := now.Add(30 * time.Minute)
		if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), claims(jtiApp, "jti", "j-keep", "exp", exp.Unix()))); err != nil {
			t.Fatal(err)
		}
		if !jtis.expires.Equal(exp.Add(Leeway)) {
			t.Fatalf("recorded until %v, want %v", jtis.expires, exp.Add(Leeway))
		}
	})
	t.Run("a normal app's jti is not recorded", func(t *testing.T) {
		before := jtis.calls
		for range 2 {
			if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, key, claims(normal, "jti", "same"))); err != nil {
				t.Fatal(err)
			}
		}
		if jtis.calls != before {
			t.Fatalf("JTI store asked %d times for a normal app", jtis.calls-before)
		}
	})
}

// TestVerifyStorageFailure: a failing app source or JTI store is not the client's fault, so it
// must not be reported as an invalid token (401) but passed on (503/500).
func TestVerifyStorageFailure(t *testing.T) {
	normal, jtiApp, _ := testApps(t)
	down := errors.New("storage down")
	cases := []struct {
		name  string
		v     *Verifier
		token string
	}{
		{"app source", NewVerifier(appMap{err: down}, &jtiSet{}, func() time.Time { return now }),
			sign(t, jwt.SigningMethodHS256, []byte(normal.ClientSecret), jwt.MapClaims{"appId": normal.ClientID})},
		{"JTI store", NewVerifier(appMap{apps: map[string]App{jtiApp.ClientID: jtiApp}}, &jtiSet{err: down}, func() time.Time { return now }),
			sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), jwt.MapClaims{"appId": jtiApp.ClientID, "jti": "j", "exp": now.Add(time.Minute).Unix()})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.v.Verify(context.Background(), c.token)
			if !errors.Is(err, down) || errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v, want the storage error and not ErrInvalidToken", err)
			}
		})
	}
}

// TestVerifyNeverAsksStorageAboutInvalidIDs: ids that no app can have (a NUL, 129 characters)
// are refused as invalid tokens before storage is asked; PostgreSQL would fail on a NUL, which
// would turn a client's bad token into a 503.
func TestVerifyNeverAsksStorageAboutInvalidIDs(t *testing.T) {
	_, jtiApp, _ := testApps(t)
	refuses := errors.New("storage cannot hold this")
	cases := []struct {
		name  string
		v     *Verifier
		token string
	}{
		{"appId with a NUL", NewVerifier(appMap{err: refuses}, &jtiSet{}, func() time.Time { return now }),
			sign(t, jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"appId": "cs-\x00"})},
		{"appId of 129 characters", NewVerifier(appMap{err: refuses}, &jtiSet{}, func() time.Time { return now }),
			sign(t, jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"appId": strings.Repeat("c", 129)})},
		{"jti with a NUL", NewVerifier(appMap{apps: map[string]App{jtiApp.ClientID: jtiApp}}, &jtiSet{err: refuses}, func() time.Time { return now }),
			sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), jwt.MapClaims{"appId": jtiApp.ClientID, "jti": "j\x00", "exp": now.Add(time.Minute).Unix()})},
		{"jti of 129 characters", NewVerifier(appMap{apps: map[string]App{jtiApp.ClientID: jtiApp}}, &jtiSet{err: refuses}, func() time.Time { return now }),
			sign(t, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), jwt.MapClaims{"appId": jtiApp.ClientID, "jti": strings.Repeat("j", 129), "exp": now.Add(time.Minute).Unix()})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.v.Verify(context.Background(), c.token); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v, want ErrInvalidToken without asking storage", err)
			}
		})
	}
}

func TestMint(t *testing.T) {
	normal, _, _ := testApps(t)
	v := NewVerifier(appMap{apps: map[string]App{normal.ClientID: normal}}, &jtiSet{}, func() time.Time { return now })
	parse := func(t *testing.T, tok string) (jwt.MapClaims, string) {
		t.Helper()
		c := jwt.MapClaims{}
		tk, _, err := jwt.NewParser().ParseUnverified(tok, c)
		if err != nil {
			t.Fatal(err)
		}
		return c, tk.Method.Alg()
	}
	t.Run("defaults: HS256 with appId and iat, no exp", func(t *testing.T) {
		tok, err := Mint(normal.ClientID, normal.ClientSecret, MintOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		c, alg := parse(t, tok)
		if alg != "HS256" || c["appId"] != normal.ClientID || c["iat"] != float64(now.Unix()) || c["exp"] != nil || c["jti"] != nil {
			t.Fatalf("alg %s claims %v", alg, c)
		}
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("HS512 with ttl, jti and sub", func(t *testing.T) {
		tok, err := Mint(normal.ClientID, normal.ClientSecret, MintOptions{Alg: "HS512", TTL: time.Hour, JTI: true, Subject: "me", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		c, alg := parse(t, tok)
		if alg != "HS512" || c["exp"] != float64(now.Add(time.Hour).Unix()) || c["jti"] == nil || c["sub"] != "me" {
			t.Fatalf("alg %s claims %v", alg, c)
		}
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("negative ttl is already expired", func(t *testing.T) {
		tok, err := Mint(normal.ClientID, normal.ClientSecret, MintOptions{TTL: -time.Hour, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("expired token accepted: %v", err)
		}
	})
	t.Run("other algorithms refused", func(t *testing.T) {
		for _, alg := range []string{"HS384", "none", "RS256"} {
			if _, err := Mint(normal.ClientID, normal.ClientSecret, MintOptions{Alg: alg}); err == nil {
				t.Errorf("Mint with %s succeeded", alg)
			}
		}
	})
}
