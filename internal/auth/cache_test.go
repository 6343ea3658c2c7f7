package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

// countingLookup is a lookup over a mutable set of apps that counts its calls.
type countingLookup struct {
	apps  map[string]App
	err   error
	calls int
}

func (l *countingLookup) lookup(_ context.Context, id string) (App, error) {
	l.calls++
	if l.err != nil {
		return App{}, l.err
	}
	a, ok := l.apps[id]
	if !ok {
		return App{}, ErrUnknownApp
	}
	return a, nil
}

func TestAppCache(t *testing.T) {
	clock := now
	newCache := func(l *countingLookup) *AppCache {
		c := NewAppCache(l.lookup, 2*time.Second)
		c.now = func() time.Time { return clock }
		return c
	}
	ctx := context.Background()

	t.Run("fresh entries are served without a lookup; stale ones are looked up again", func(t *testing.T) {
		clock = now
		l := &countingLookup{apps: map[string]App{"a": {ClientID: "a"}}}
		c := newCache(l)
		for range 3 {
			if app, err := c.App(ctx, "a"); err != nil || app.ClientID != "a" {
				t.Fatalf("%+v %v", app, err)
			}
		}
		if l.calls != 1 {
			t.Fatalf("%d lookups, want 1", l.calls)
		}
		// A revocation in storage shows once the entry is stale.
		at := now
		l.apps["a"] = App{ClientID: "a", RevokedAt: &at}
		clock = now.Add(1999 * time.Millisecond)
		if app, _ := c.App(ctx, "a"); app.Revoked() {
			t.Fatal("entry looked up again before its ttl")
		}
		clock = now.Add(2 * time.Second)
		if app, _ := c.App(ctx, "a"); !app.Revoked() {
			t.Fatal("revocation not seen after the ttl")
		}
		if l.calls != 2 {
			t.Fatalf("%d lookups, want 2", l.calls)
		}
	})
	t.Run("unknown apps are remembered for the ttl too", func(t *testing.T) {
		clock = now
		l := &countingLookup{apps: map[string]App{}}
		c := newCache(l)
		for range 3 {
			if _, err := c.App(ctx, "x"); !errors.Is(err, ErrUnknownApp) {
				t.Fatalf("error %v, want ErrUnknownApp", err)
			}
		}
		if l.calls != 1 {
			t.Fatalf("%d lookups, want 1", l.calls)
		}
		l.apps["x"] = App{ClientID: "x"}
		clock = now.Add(3 * time.Second)
		if app, err := c.App(ctx, "x"); err != nil || app.ClientID != "x" {
			t.Fatalf("new app not seen after the ttl: %+v %v", app, err)
		}
	})
	t.Run("storage failures are not remembered", func(t *testing.T) {
		clock = now
		down := errors.New("down")
		l := &countingLookup{err: down}
		c := newCache(l)
		if _, err := c.App(ctx, "a"); !errors.Is(err, down) {
			t.Fatalf("error %v", err)
		}
		l.err, l.apps = nil, map[string]App{"a": {ClientID: "a"}}
		if app, err := c.App(ctx, "a"); err != nil || app.ClientID != "a" {
			t.Fatalf("failure was cached: %+v %v", app, err)
		}
	})
	t.Run("memory is bounded", func(t *testing.T) {
		clock = now
		l := &countingLookup{apps: map[string]App{}}
		c := newCache(l)
		c.max = 10
		for i := range 100 {
			_, _ = c.App(ctx, string(rune('a'+i)))
		}
		if n := len(c.entries); n > 10 {
			t.Fatalf("%d entries, max 10", n)
		}
	})
}

func TestApp(t *testing.T) {
	t.Run("NewApp", func(t *testing.T) {
		a, err := NewApp("acct", []string{"b1", "b2"}, false, []Scope{ScopeAnalytics}, true, now)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewApp("acct", []string{"b1"}, false, []Scope{ScopeAnalytics}, false, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.ClientID) < 10 || a.ClientID[:3] != "cs-" || len(a.ClientSecret) < 40 || a.ClientID == b.ClientID || a.ClientSecret == b.ClientSecret {
			t.Fatalf("ids/secrets %q %q %q %q", a.ClientID, a.ClientSecret, b.ClientID, b.ClientSecret)
		}
		if !a.EnforceJTI || a.Account != "acct" || a.Revoked() {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("NewApp refuses", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			bots    []string
			allBots bool
			scopes  []Scope
		}{
			{"bots and all-bots", []string{"b"}, true, Scopes},
			{"neither bots nor all-bots", nil, false, Scopes},
			{"no scope", []string{"b"}, false, nil},
		} {
			if _, err := NewApp("acct", c.bots, c.allBots, c.scopes, false, now); err == nil {
				t.Errorf("%s: accepted", c.name)
			}
		}
	})
	t.Run("CanReach and HasScope", func(t *testing.T) {
		listed := App{Bots: []string{"b1"}, Scopes: []Scope{ScopeIngest}}
		all := App{AllBots: true, Scopes: []Scope{ScopeAnalytics}}
		checks := []struct {
			name      string
			got, want bool
		}{
			{"listed bot", listed.CanReach("b1"), true},
			{"unlisted bot", listed.CanReach("b2"), false},
			{"bot id is exact", listed.CanReach("B1"), false},
			{"all bots", all.CanReach("anything"), true},
			{"held scope", listed.HasScope(ScopeIngest), true},
			{"missing scope", listed.HasScope(ScopeAnalytics), false},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
			}
		}
	})
	t.Run("ParseScope is exact", func(t *testing.T) {
		for _, s := range []string{"SmartAssist Analytics", "Session Ingest"} {
			if sc, err := ParseScope(s); err != nil || string(sc) != s {
				t.Errorf("%q: %q %v", s, sc, err)
			}
		}
		for _, s := range []string{"smartassist analytics", "Analytics", "", "Session  Ingest"} {
			if _, err := ParseScope(s); err == nil {
				t.Errorf("%q accepted", s)
			}
		}
	})
}
