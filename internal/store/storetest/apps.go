package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/store"
)

func newApp(t *testing.T, account string, bots []string, created time.Time) auth.App {
	t.Helper()
	app, err := auth.NewApp(account, bots, len(bots) == 0, []auth.Scope{auth.ScopeAnalytics}, len(bots) == 0, created)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func testApps(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC)
	a1 := newApp(t, "acct", []string{"b1", "b2"}, created.Add(time.Second))
	a2 := newApp(t, "acct", nil, created)
	a2.Scopes = []auth.Scope{auth.ScopeAnalytics, auth.ScopeIngest}
	for _, a := range []auth.App{a1, a2} {
		if err := s.CreateApp(ctx, a); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	got, err := s.App(ctx, a1.ClientID)
	if err != nil || !sameApp(got, a1) {
		t.Fatalf("app\n got %+v (%v)\nwant %+v", got, err, a1)
	}
	got, err = s.App(ctx, a2.ClientID)
	if err != nil || !sameApp(got, a2) || !got.AllBots || !got.EnforceJTI {
		t.Fatalf("all-bots app\n got %+v (%v)\nwant %+v", got, err, a2)
	}
	dup := a1
	dup.ClientSecret = "other"
	if err := s.CreateApp(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate client id: %v, want ErrConflict", err)
	}
	if _, err := s.App(ctx, "cs-unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown app: %v, want ErrNotFound", err)
	}
	list, err := s.ListApps(ctx)
	if err != nil || len(list) != 2 || list[0].ClientID != a2.ClientID || list[1].ClientID != a1.ClientID {
		t.Fatalf("list (oldest first): %+v %v", list, err)
	}
	if list[1].ClientSecret != a1.ClientSecret {
		t.Fatal("the store must keep the secret: it verifies signatures with it")
	}
}

// sameApp compares apps, taking no bots and an empty list of bots as the same.
func sameApp(a, b auth.App) bool {
	if len(a.Bots) == 0 && len(b.Bots) == 0 {
		a.Bots, b.Bots = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func testRevokeApp(t *testing.T, s store.Store) {
	ctx := context.Background()
	app := newApp(t, "acct", []string{"b"}, time.Now())
	if err := s.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)
	if err := s.RevokeApp(ctx, app.ClientID, first); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if err := s.RevokeApp(ctx, app.ClientID, first.Add(time.Hour)); err != nil {
		t.Fatalf("revoke again: %v", err)
	}
	got, err := s.App(ctx, app.ClientID)
	if err != nil || !got.Revoked() || !got.RevokedAt.Equal(first) {
		t.Fatalf("revoked app %+v %v: revoking twice keeps the first time", got, err)
	}
	if err := s.RevokeApp(ctx, "cs-unknown", first); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v, want ErrNotFound", err)
	}
}

func testJTI(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	if err := s.UseJTI(ctx, "c1", "j1", now.Add(time.Hour)); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := s.UseJTI(ctx, "c1", "j1", now.Add(time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("replay: %v, want ErrConflict", err)
	}
	if err := s.UseJTI(ctx, "c2", "j1", now.Add(time.Hour)); err != nil {
		t.Fatalf("the same jti of another app: %v", err)
	}
	if err := s.UseJTI(ctx, "c1", "old", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.PurgeJTIs(ctx, now); err != nil {
		t.Fatalf("purge: %v", err)
	}
	// Purged: the expired id is forgotten, the live one is not.
	if err := s.UseJTI(ctx, "c1", "old", now.Add(time.Hour)); err != nil {
		t.Fatalf("after purge: %v", err)
	}
	if err := s.UseJTI(ctx, "c1", "j1", now.Add(time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("purge forgot a live jti: %v", err)
	}
}
