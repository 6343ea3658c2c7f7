package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

func testAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	p, err := s.AccountPolicy(ctx, "nobody")
	if err != nil || p != (privacy.Policy{ANI: privacy.Keep, DNI: privacy.Keep, UserID: privacy.Keep}) {
		t.Fatalf("policy of an account without settings: %+v, %v; want keep everything", p, err)
	}
	if list, err := s.ListAccounts(ctx); err != nil || len(list) != 0 {
		t.Fatalf("accounts of a new database: %+v, %v", list, err)
	}
	at := time.Date(2026, 11, 30, 10, 0, 0, 123, time.UTC)
	want := privacy.Policy{ANI: privacy.Mask, DNI: privacy.Keep, UserID: privacy.Hash}
	if err := s.SetAccountPolicy(ctx, "a2", want, at); err != nil {
		t.Fatalf("set: %v", err)
	}
	if err := s.SetAccountPolicy(ctx, "a1", privacy.Policy{ANI: privacy.Drop}, at); err != nil {
		t.Fatalf("set: %v", err)
	}
	if got, err := s.AccountPolicy(ctx, "a2"); err != nil || got != want {
		t.Fatalf("policy %+v, %v; want %+v", got, err, want)
	}
	// Replacing it: an unset mode is stored as keep.
	later := at.Add(time.Hour)
	if err := s.SetAccountPolicy(ctx, "a2", privacy.Policy{DNI: privacy.Drop}, later); err != nil {
		t.Fatalf("replace: %v", err)
	}
	list, err := s.ListAccounts(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	wantList := []store.Account{
		{ID: "a1", Policy: privacy.Policy{ANI: privacy.Drop, DNI: privacy.Keep, UserID: privacy.Keep}, UpdatedAt: at},
		{ID: "a2", Policy: privacy.Policy{ANI: privacy.Keep, DNI: privacy.Drop, UserID: privacy.Keep}, UpdatedAt: later},
	}
	for i := range wantList {
		if list[i].ID != wantList[i].ID || list[i].Policy != wantList[i].Policy || !list[i].UpdatedAt.Equal(wantList[i].UpdatedAt) {
			t.Fatalf("account %d: %+v, want %+v", i, list[i], wantList[i])
		}
	}
}

func testPseudonymKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	k1, err := s.PseudonymKey(ctx)
	if err != nil || len(k1) != privacy.KeyLen {
		t.Fatalf("key: %d bytes, %v; want %d", len(k1), err, privacy.KeyLen)
	}
	if bytes.Equal(k1, make([]byte, len(k1))) {
		t.Fatal("the key is all zeros")
	}
	k2, err := s.PseudonymKey(ctx)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("the key changed between reads")
	}
}

// exportQ is an export query of bot a/b with no filter.
func exportQ() session.Query { return session.Query{Account: "a", Bot: "b"} }

func export(t *testing.T, s store.Store, q session.Query, after, upto int64, limit int) []session.State {
	t.Helper()
	out, err := s.Export(context.Background(), q, after, upto, limit)
	if err != nil {
		t.Fatalf("export %+v after %d upto %d: %v", q, after, upto, err)
	}
	return out
}

func testExport(t *testing.T, s store.Store) {
	// Five completed sessions of a/b, each its own cursor, one incomplete, and others' sessions.
	for i, c := range []struct{ sid, ch, st string }{
		{"s1", "rtm", "completed"}, {"s2", "korevg", "Dropoff"}, {"s3", "rtm", "error"}, {"s4", "rtm", "completed"}, {"s5", "korevg", "completed"},
	} {
		apply(t, s, batch(t, "a", "b", "["+completed(c.sid, c.ch, c.st, t0.Add(time.Duration(5-i)*time.Minute), "I"+c.sid)+"]"))
		apply(t, s, batch(t, "a", "other", "["+completed(c.sid, c.ch, c.st, t0, "x")+"]"),
			batch(t, "z", "b", "["+completed(c.sid, c.ch, c.st, t0, "x")+"]"))
	}
	apply(t, s, batch(t, "a", "b", `[{"type":"session.started","sessionId":"open","time":"2026-11-24T10:00:00Z","channel":"rtm"}]`))
	h := head(t, s)
	all := export(t, s, exportQ(), 0, h, 100)
	if got := sessionIDs(all); got != "s1,s2,s3,s4,s5" {
		t.Fatalf("export in cursor order: %s", got)
	}
	// Paging by the last cursor gives the same sessions, each once.
	var paged []session.State
	for after := int64(0); ; {
		page := export(t, s, exportQ(), after, h, 2)
		paged = append(paged, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].Seq
	}
	if sessionIDs(paged) != sessionIDs(all) {
		t.Fatalf("paged %s, whole %s", sessionIDs(paged), sessionIDs(all))
	}
	// upto bounds the range: sessions above it are not answered.
	if got := sessionIDs(export(t, s, exportQ(), all[0].Seq, all[2].Seq, 100)); got != "s2,s3" {
		t.Fatalf("after s1 upto s3: %s", got)
	}
	// The read API's filters hold.
	for _, tc := range []struct {
		q    session.Query
		want string
	}{
		{session.Query{Channels: []string{"rtm"}}, "s1,s3,s4"},
		{session.Query{Statuses: []session.Status{session.StatusCompleted}}, "s1,s4,s5"},
		{session.Query{Intents: []string{"Is2", "Is5"}}, "s2,s5"},
		{session.Query{From: t0.Add(2 * time.Minute), To: t0.Add(4 * time.Minute)}, "s3,s4"},
		{session.Query{Channels: []string{"korevg"}, Statuses: []session.Status{session.StatusCompleted}}, "s5"},
	} {
		q := tc.q
		q.Account, q.Bot = "a", "b"
		if got := sessionIDs(export(t, s, q, 0, h, 100)); got != tc.want {
			t.Errorf("filter %+v: %s, want %s", tc.q, got, tc.want)
		}
	}
	// A late intent moves a session past the old head: the next export (after that head)
	// answers it, and only it.
	apply(t, s, batch(t, "a", "b", `[{"type":"intent.detected","sessionId":"s2","time":"2026-11-24T10:03:30Z","intent":"late"}]`))
	next := export(t, s, exportQ(), h, head(t, s), 100)
	if sessionIDs(next) != "s2" || fmt.Sprint(next[0].IntentNames()) != "[Is2 late]" {
		t.Fatalf("after the old head: %s %v", sessionIDs(next), next)
	}
	if got := sessionIDs(export(t, s, exportQ(), 0, h, 100)); got != "s1,s3,s4,s5" {
		t.Fatalf("up to the old head, after the update: %s", got)
	}
}
