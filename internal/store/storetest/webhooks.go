package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/webhook"
)

func newWebhook(t *testing.T, account, bot string, created time.Time) webhook.Webhook {
	t.Helper()
	w, err := webhook.New(account, bot, bot == "", "https://example.com/hook?k=1", []webhook.Event{webhook.EventSession, webhook.EventAlert}, created)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func testWebhooks(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Date(2026, 11, 24, 10, 0, 0, 123456789, time.UTC)
	w1 := newWebhook(t, "acct", "b1", created.Add(time.Second))
	w2 := newWebhook(t, "acct", "", created)
	w2.Progress.Cursor = 7
	for _, w := range []webhook.Webhook{w1, w2} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	if err := s.CreateWebhook(ctx, w1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v, want ErrConflict", err)
	}
	list, err := s.ListWebhooks(ctx)
	if err != nil || len(list) != 2 || list[0].ID != w2.ID || list[1].ID != w1.ID {
		t.Fatalf("list (oldest first): %+v %v", list, err)
	}
	got := list[1]
	if got.Secret != w1.Secret || got.URL != w1.URL || got.Bot != "b1" || got.AllBots || !slices.Equal(got.Events, w1.Events) ||
		!got.CreatedAt.Equal(w1.CreatedAt) || got.RevokedAt != nil || got.Progress != (webhook.Progress{}) {
		t.Fatalf("round trip\n got %+v\nwant %+v", got, w1)
	}
	if !list[0].AllBots || list[0].Bot != "" || list[0].Progress.Cursor != 7 {
		t.Fatalf("all-bots webhook: %+v", list[0])
	}
	testWebhookProgress(t, s, w1.ID, created)
}

// testWebhookProgress: progress saves under the current epoch only; replay starts a new one;
// a dead letter is recorded with its progress; a revoked webhook takes no more saves.
func testWebhookProgress(t *testing.T, s store.Store, id string, created time.Time) {
	ctx := context.Background()
	w1 := find(t, s, id)
	p := webhook.Progress{Cursor: 12, AlertCursor: 2, Attempts: 3, NextAttempt: created.Add(time.Minute), LastError: "HTTP 500",
		LastErrorAt: created, MarkAt: created, MarkHead: 15}
	if err := s.SaveWebhookProgress(ctx, w1.ID, p); err != nil {
		t.Fatalf("save: %v", err)
	}
	if got := find(t, s, w1.ID); got.Progress != p {
		t.Fatalf("progress\n got %+v\nwant %+v", got.Progress, p)
	}
	if err := s.ReplayWebhook(ctx, w1.ID, 3); err != nil {
		t.Fatalf("replay: %v", err)
	}
	after := find(t, s, w1.ID).Progress
	if after.Cursor != 3 || after.Epoch != 1 || after.Attempts != 0 || !after.MarkAt.IsZero() || after.LastError != "HTTP 500" {
		t.Fatalf("after replay: %+v", after)
	}
	if err := s.SaveWebhookProgress(ctx, w1.ID, p); !errors.Is(err, webhook.ErrStale) {
		t.Fatalf("save under an old epoch: %v, want ErrStale", err)
	}
	dl := webhook.DeadLetter{Stream: "sessions", After: 3, Through: 9, Count: 4, At: created, Error: "HTTP 503"}
	next := after
	next.Cursor, next.DeadLettered = 9, 4
	if err := s.DeadLetterWebhook(ctx, w1.ID, dl, p); !errors.Is(err, webhook.ErrStale) {
		t.Fatalf("dead letter under an old epoch: %v, want ErrStale", err)
	}
	if err := s.DeadLetterWebhook(ctx, w1.ID, dl, next); err != nil {
		t.Fatalf("dead letter: %v", err)
	}
	dls, err := s.DeadLetters(ctx, w1.ID)
	if err != nil || len(dls) != 1 || dls[0] != dl {
		t.Fatalf("dead letters %+v %v, want %+v", dls, err, dl)
	}
	if got := find(t, s, w1.ID).Progress; got.Cursor != 9 || got.DeadLettered != 4 {
		t.Fatalf("progress after dead letter: %+v", got)
	}
	testWebhookRevoke(t, s, id, next, created)
}

func testWebhookRevoke(t *testing.T, s store.Store, id string, next webhook.Progress, created time.Time) {
	ctx := context.Background()
	w1 := find(t, s, id)
	if err := s.RevokeWebhook(ctx, w1.ID, created.Add(time.Hour)); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if got := find(t, s, w1.ID); got.Active() || !got.RevokedAt.Equal(created.Add(time.Hour)) {
		t.Fatalf("revoked: %+v", got)
	}
	if err := s.SaveWebhookProgress(ctx, w1.ID, next); !errors.Is(err, webhook.ErrStale) {
		t.Fatalf("save after revoke: %v, want ErrStale", err)
	}
	if err := s.ReplayWebhook(ctx, w1.ID, 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("replay of a revoked webhook: %v, want ErrConflict", err)
	}
	for _, err := range []error{s.RevokeWebhook(ctx, "wh_none", created), s.ReplayWebhook(ctx, "wh_none", 0)} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown webhook: %v, want ErrNotFound", err)
		}
	}
}

func find(t *testing.T, s store.Store, id string) webhook.Webhook {
	t.Helper()
	list, err := s.ListWebhooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range list {
		if w.ID == id {
			return w
		}
	}
	t.Fatalf("webhook %s not listed", id)
	return webhook.Webhook{}
}

func testWebhookChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, batch(t, "a", "b", "["+completed("s1", "rtm", "completed", t0)+","+completed("s2", "rtm", "completed", t0)+"]"),
		batch(t, "a", "other", "["+completed("s3", "rtm", "completed", t0)+"]"),
		batch(t, "z", "b", "["+completed("s4", "rtm", "completed", t0)+"]"))
	// s1 changes again (cursor 5): a webhook past its first cursor sees an update.
	apply(t, s, batch(t, "a", "b", `[{"type":"intent.detected","sessionId":"s1","time":"2026-11-24T09:59:30Z","intent":"Late"}]`))
	seqs := func(chs []session.Change) []int64 {
		var out []int64
		for _, c := range chs {
			out = append(out, c.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		bot            string
		after, through int64
		limit          int
		want           []int64
	}{
		{"b", 0, 5, 100, []int64{2, 5}},
		{"", 0, 5, 100, []int64{2, 3, 5}}, // every bot of account a, not account z's s4
		{"", 0, 5, 2, []int64{2, 3}},
		{"", 2, 3, 100, []int64{3}},
		{"b", 5, 5, 100, nil},
	} {
		got, err := s.WebhookChanges(ctx, "a", tc.bot, tc.after, tc.through, tc.limit)
		if err != nil || !slices.Equal(seqs(got), tc.want) {
			t.Fatalf("bot %q (%d, %d] limit %d: %v %v, want %v", tc.bot, tc.after, tc.through, tc.limit, seqs(got), err, tc.want)
		}
		n, err := s.CountWebhookChanges(ctx, "a", tc.bot, tc.after, tc.through)
		if tc.limit == 100 && (err != nil || n != int64(len(tc.want))) {
			t.Fatalf("count bot %q (%d, %d]: %d %v", tc.bot, tc.after, tc.through, n, err)
		}
	}
	got, err := s.WebhookChanges(ctx, "a", "b", 1, 5, 100)
	if err != nil || len(got) != 2 || got[1].State.SessionID != "s1" || got[1].Kind != session.ChangeUpdated || got[0].Kind != session.ChangeCompleted {
		t.Fatalf("kinds after cursor 1: %+v %v", got, err)
	}
}

// testLeases runs on stores shared by several nodes: a lease is held by one node until it
// expires or is released.
func testLeases(t *testing.T, s store.Store) {
	l, ok := s.(store.Leaser)
	if !ok {
		t.Skip("not a shared store")
	}
	ctx := context.Background()
	names := []string{"webhook:a", "webhook:b"}
	held, err := l.AcquireLeases(ctx, "n1", names[:1], time.Minute)
	if err != nil || !slices.Equal(held, names[:1]) {
		t.Fatalf("n1 takes a: %v %v", held, err)
	}
	held, err = l.AcquireLeases(ctx, "n2", names, 300*time.Millisecond)
	if err != nil || !slices.Equal(held, names[1:]) {
		t.Fatalf("n2 gets only b: %v %v", held, err)
	}
	held, err = l.AcquireLeases(ctx, "n1", names, time.Minute)
	if err != nil || !slices.Equal(held, names[:1]) {
		t.Fatalf("n1 renews a, b is n2's: %v %v", held, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for { // n2's lease on b expires (by the store's clock): n1 takes it
		held, err = l.AcquireLeases(ctx, "n1", names, time.Minute)
		if err == nil && len(held) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n2's expired lease never moved: %v %v", held, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := l.ReleaseLeases(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	held, err = l.AcquireLeases(ctx, "n2", names, time.Minute)
	if err != nil || len(held) != 2 {
		t.Fatalf("after n1 released, n2 takes both: %v %v", held, err)
	}
}
