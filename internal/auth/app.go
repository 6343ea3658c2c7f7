// Package auth holds API clients ("apps"), their scopes and the bots they may reach, and the
// verification and minting of the JWTs they sign with their client secret.
package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Scope is a permission an app holds.
type Scope string

// The scopes of the API. The names are Kore's, spaces included.
const (
	ScopeAnalytics Scope = "SmartAssist Analytics"
	ScopeIngest    Scope = "Session Ingest"
	// ScopeErasure lets an app request the erasure of users' data (docs/api.md §7).
	ScopeErasure Scope = "Data Erasure"
)

// Scopes lists every known scope.
var Scopes = []Scope{ScopeAnalytics, ScopeIngest, ScopeErasure}

// ParseScope accepts a known scope name exactly as written.
func ParseScope(s string) (Scope, error) {
	for _, sc := range Scopes {
		if string(sc) == s {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown scope %q: accepted %q, %q, %q", s, ScopeAnalytics, ScopeIngest, ScopeErasure)
}

// App is an API client of an account.
type App struct {
	ClientID     string
	ClientSecret string // needed to verify HMAC signatures; never logged or listed
	Account      string
	Bots         []string // the bots it may reach, unless AllBots
	AllBots      bool
	Scopes       []Scope
	EnforceJTI   bool
	CreatedAt    time.Time
	RevokedAt    *time.Time
}

// Revoked reports whether the app has been revoked.
func (a *App) Revoked() bool { return a.RevokedAt != nil }

// HasScope reports whether the app holds sc.
func (a *App) HasScope(sc Scope) bool { return slices.Contains(a.Scopes, sc) }

// CanReach reports whether the app may act on bot.
func (a *App) CanReach(bot string) bool { return a.AllBots || slices.Contains(a.Bots, bot) }

// NewApp creates an app with a fresh client id and secret.
func NewApp(account string, bots []string, allBots bool, scopes []Scope, enforceJTI bool, now time.Time) (App, error) {
	if allBots == (len(bots) > 0) {
		return App{}, errors.New("give either bots or all-bots")
	}
	if len(scopes) == 0 {
		return App{}, errors.New("give at least one scope")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return App{}, fmt.Errorf("generate secret: %w", err)
	}
	return App{
		ClientID:     "cs-" + uuid.NewString(),
		ClientSecret: base64.RawURLEncoding.EncodeToString(secret),
		Account:      account,
		Bots:         slices.Clone(bots),
		AllBots:      allBots,
		Scopes:       slices.Clone(scopes),
		EnforceJTI:   enforceJTI,
		CreatedAt:    now.UTC(),
	}, nil
}
