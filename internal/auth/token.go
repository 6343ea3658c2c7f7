package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/intentrt/intentrt/internal/session"
)

// ErrInvalidToken is wrapped by every reason a token is refused (HTTP 401). The wrapping text
// is safe to show the client: it never includes the token or a secret.
var ErrInvalidToken = errors.New("invalid token")

// ErrUnknownApp is what an AppSource returns for a client id it does not know.
var ErrUnknownApp = errors.New("unknown app")

// Leeway is the clock skew allowed on exp, nbf and iat between the token's signer and us.
const Leeway = 30 * time.Second

// MaxJTILifetime is the longest an enforce-JTI token may live: its jti must be remembered that long.
const MaxJTILifetime = time.Hour

// AppSource finds apps by client id; ErrUnknownApp when there is none.
type AppSource interface {
	App(ctx context.Context, clientID string) (App, error)
}

// JTIRecorder remembers used token ids; it returns ErrJTIUsed for one it has seen.
type JTIRecorder interface {
	UseJTI(ctx context.Context, clientID, jti string, expires time.Time) error
}

// ErrJTIUsed is returned by a JTIRecorder for a replayed token id.
var ErrJTIUsed = errors.New("jti already used")

// Verifier checks tokens: signature, algorithm, time claims and, for enforce-JTI apps, one use.
type Verifier struct {
	apps   AppSource
	jtis   JTIRecorder
	now    func() time.Time
	tokens verifiedTokens
}

// NewVerifier returns a Verifier over the given app source and JTI store. now may be nil.
func NewVerifier(apps AppSource, jtis JTIRecorder, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{apps: apps, jtis: jtis, now: now, tokens: verifiedTokens{m: map[string]verifiedToken{}}}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

// Verify returns the app that signed token. Errors wrapping ErrInvalidToken mean 401; any other
// error is a failure of the app source or JTI store.
func (v *Verifier) Verify(ctx context.Context, token string) (App, error) {
	if app, ok := v.reuse(ctx, token); ok {
		return app, nil
	}
	var (
		app               App
		keyErr, sourceErr error
	)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		id, ok := claims["appId"].(string)
		if !ok || id == "" {
			keyErr = invalid("claim appId is missing")
			return nil, keyErr
		}
		// No client id holds a control character or runs past 128 characters; asking storage
		// about one would only turn a bad token into a storage error (PostgreSQL refuses NUL).
		if !session.ValidID(id) {
			keyErr = invalid("unknown app")
			return nil, keyErr
		}
		a, err := v.apps.App(ctx, id)
		switch {
		case errors.Is(err, ErrUnknownApp):
			keyErr = invalid("unknown app")
			return nil, keyErr
		case err != nil:
			sourceErr = err
			return nil, err
		case a.Revoked():
			keyErr = invalid("app revoked")
			return nil, keyErr
		}
		app = a
		return []byte(a.ClientSecret), nil
	},
		jwt.WithValidMethods([]string{"HS256", "HS512"}),
		jwt.WithLeeway(Leeway),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(v.now),
	)
	if sourceErr != nil {
		return App{}, sourceErr
	}
	if keyErr != nil && errors.Is(err, jwt.ErrTokenUnverifiable) {
		return App{}, keyErr
	}
	if err != nil {
		return App{}, tokenError(err)
	}
	if app.EnforceJTI {
		if err := v.useJTI(ctx, app, claims); err != nil {
			return App{}, err
		}
		return app, nil
	}
	v.remember(token, app, claims)
	return app, nil
}

// tokenError gives the reason a token failed in words a client can act on.
func tokenError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalid("malformed token")
	case errors.Is(err, jwt.ErrTokenExpired):
		return invalid("token expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalid("token not valid yet (nbf)")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return invalid("token issued in the future (iat)")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalid("signature invalid or algorithm not accepted (HS256 and HS512 are)")
	default:
		return invalid("token not accepted")
	}
}

func (v *Verifier) useJTI(ctx context.Context, app App, claims jwt.MapClaims) error {
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return invalid("this app requires a jti claim")
	}
	if !session.ValidID(jti) {
		return invalid("jti must be 1-128 printable characters")
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return invalid("this app requires an exp claim")
	}
	from := v.now()
	if iat, err := claims.GetIssuedAt(); err == nil && iat != nil {
		from = iat.Time
	}
	if exp.Sub(from) > MaxJTILifetime+Leeway {
		return invalid("exp may be at most one hour after iat for this app")
	}
	err = v.jtis.UseJTI(ctx, app.ClientID, jti, exp.Add(Leeway))
	if errors.Is(err, ErrJTIUsed) {
		return invalid("jti already used (replay)")
	}
	return err
}

// MintOptions shape a token minted for an app.
type MintOptions struct {
	Alg     string        // HS256 (default) or HS512
	TTL     time.Duration // 0: no exp claim; negative: already expired
	JTI     bool          // add a random jti
	Subject string
	Now     time.Time // zero: time.Now()
}

// Mint signs a token for the app, as a client would.
func Mint(clientID, secret string, o MintOptions) (string, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	claims := jwt.MapClaims{"appId": clientID, "iat": now.Unix()}
	// A negative TTL gives an already expired token; dropping exp instead would turn a
	// request for a dead token into one that never expires.
	if o.TTL != 0 {
		claims["exp"] = now.Add(o.TTL).Unix()
	}
	if o.JTI {
		claims["jti"] = uuid.NewString()
	}
	if o.Subject != "" {
		claims["sub"] = o.Subject
	}
	var method jwt.SigningMethod
	switch o.Alg {
	case "", "HS256":
		method = jwt.SigningMethodHS256
	case "HS512":
		method = jwt.SigningMethodHS512
	default:
		return "", fmt.Errorf("algorithm %q: use HS256 or HS512", o.Alg)
	}
	return jwt.NewWithClaims(method, claims).SignedString([]byte(secret))
}
