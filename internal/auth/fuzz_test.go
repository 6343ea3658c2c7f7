package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify holds the token parser to its promise: it never panics, and it accepts a token
// only if the token is signed, by HS256 or HS512, with the secret of the app its appId names —
// which this test checks with its own HMAC, not the library's.
func FuzzVerify(f *testing.F) {
	normal, jtiApp, revoked := testApps(f)
	apps := map[string]App{normal.ClientID: normal, jtiApp.ClientID: jtiApp, revoked.ClientID: revoked}
	v := NewVerifier(appMap{apps: apps}, &jtiSet{}, func() time.Time { return now })

	key := []byte(normal.ClientSecret)
	base := jwt.MapClaims{"appId": normal.ClientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	with := func(kv ...any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range base {
			c[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	for _, tok := range []string{
		sign(f, jwt.SigningMethodHS256, key, base),
		sign(f, jwt.SigningMethodHS512, key, base),
		sign(f, jwt.SigningMethodHS384, key, base),
		sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, base),
		sign(f, jwt.SigningMethodHS256, []byte("wrong"), base),
		sign(f, jwt.SigningMethodHS256, key, with("exp", now.Add(-time.Hour).Unix())),
		sign(f, jwt.SigningMethodHS256, key, with("nbf", now.Add(time.Hour).Unix())),
		sign(f, jwt.SigningMethodHS256, key, with("appId", 5)),
		sign(f, jwt.SigningMethodHS256, key, with("aud", []string{"x"}, "sub", "s")),
		sign(f, jwt.SigningMethodHS256, []byte(jtiApp.ClientSecret), with("appId", jtiApp.ClientID, "jti", "j")),
		sign(f, jwt.SigningMethodHS256, []byte(revoked.ClientSecret), with("appId", revoked.ClientID)),
		"", ".", "..", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", "eyJhbGciOiJub25lIn0.eyJhcHBJZCI6IngifQ.",
	} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, token string) {
		app, err := v.Verify(context.Background(), token)
		if err != nil {
			if app.ClientID != "" {
				t.Fatalf("an app returned with error %v", err)
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v is not ErrInvalidToken (the sources never fail here)", err)
			}
			return
		}
		want, ok := apps[app.ClientID]
		if !ok || want.ClientSecret != app.ClientSecret {
			t.Fatalf("accepted for an app that does not exist: %+v", app)
		}
		if app.Revoked() {
			t.Fatalf("accepted for a revoked app")
		}
		if err := independentCheck(token, app); err != nil {
			t.Fatalf("accepted %q: %v", token, err)
		}
	})
}

// independentCheck verifies what Verify must have verified, without the JWT library.
func independentCheck(token string, app App) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not three segments")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return err
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hb, &header); err != nil {
		return err
	}
	var h func() hash.Hash
	switch header.Alg {
	case "HS256":
		h = sha256.New
	case "HS512":
		h = sha512.New
	default:
		return errors.New("algorithm " + header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	m := hmac.New(h, []byte(app.ClientSecret))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(m.Sum(nil), sig) {
		return errors.New("not signed with the app's secret")
	}
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var claims struct {
		AppID any `json:"appId"`
	}
	if err := json.Unmarshal(cb, &claims); err != nil {
		return err
	}
	if claims.AppID != app.ClientID {
		return errors.New("appId names another app")
	}
	return nil
}
