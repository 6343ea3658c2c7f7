package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/store"
)

func testAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	above, below := 0.25, 5.0
	r1, err := alert.NewRule("acct", "b1", "dropoffRate", 15*time.Minute, &above, nil, 10, created)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := alert.NewRule("acct", "b2", "intentSessions:Book a Flight", time.Hour, nil, &below, 0, created.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []alert.Rule{r1, r2} {
		if err := s.CreateAlertRule(ctx, r); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	if err := s.CreateAlertRule(ctx, r1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate: %v, want ErrConflict", err)
	}
	rules, err := s.ListAlertRules(ctx)
	if err != nil || len(rules) != 2 || rules[0] != r1 || rules[1] != r2 {
		t.Fatalf("list\n got %+v (%v)\nwant %+v %+v", rules, err, r1, r2)
	}
	if h, err := s.AlertHead(ctx); err != nil || h != 0 {
		t.Fatalf("empty alert feed head %d %v", h, err)
	}
	testAlertFeed(t, s, r1, r2, created)
}

// testAlertFeed: transitions are recorded with their events, plain evaluations without; the
// feed reads by account and bot; a deleted rule takes no more records.
func testAlertFeed(t *testing.T, s store.Store, r1, r2 alert.Rule, created time.Time) {
	ctx := context.Background()
	// A transition is stored with its event; a plain evaluation without one.
	st := alert.State{Firing: true, Since: created.Add(time.Minute), Value: 0.4, Sessions: 30, EvaluatedAt: created.Add(time.Minute)}
	ev := &alert.Event{Account: "acct", Bot: "b1", RuleID: r1.ID, At: created.Add(time.Minute), Body: []byte(`{"state":"firing"}`)}
	if err := s.RecordAlert(ctx, r1.ID, st, ev); err != nil {
		t.Fatalf("record: %v", err)
	}
	st2 := alert.State{Value: 3, Sessions: 3, EvaluatedAt: created.Add(2 * time.Minute)}
	if err := s.RecordAlert(ctx, r2.ID, st2, nil); err != nil {
		t.Fatalf("record without event: %v", err)
	}
	ev2 := &alert.Event{Account: "acct", Bot: "b2", RuleID: r2.ID, At: created.Add(3 * time.Minute), Body: []byte(`{"state":"firing"}`)}
	if err := s.RecordAlert(ctx, r2.ID, alert.State{Firing: true}, ev2); err != nil {
		t.Fatal(err)
	}
	rules, _ := s.ListAlertRules(ctx)
	if rules[0].State != st || rules[1].State.Firing != true {
		t.Fatalf("states %+v / %+v, want %+v", rules[0].State, rules[1].State, st)
	}
	testAlertFeedReads(t, s, r1, r2, ev)
	if err := s.DeleteAlertRule(ctx, r1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlertRule(ctx, r1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := s.RecordAlert(ctx, r1.ID, st, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("record on a deleted rule: %v", err)
	}
}

func testAlertFeedReads(t *testing.T, s store.Store, r1, r2 alert.Rule, ev *alert.Event) {
	ctx := context.Background()
	evs, err := s.AlertEventsSince(ctx, "acct", "", 0, 10)
	if err != nil || len(evs) != 2 || evs[0].RuleID != r1.ID || string(evs[0].Body) != `{"state":"firing"}` || !evs[0].At.Equal(ev.At) || evs[1].Seq <= evs[0].Seq {
		t.Fatalf("account feed %+v %v", evs, err)
	}
	one, err := s.AlertEventsSince(ctx, "acct", "b2", 0, 10)
	if err != nil || len(one) != 1 || one[0].RuleID != r2.ID {
		t.Fatalf("bot feed %+v %v", one, err)
	}
	if after, _ := s.AlertEventsSince(ctx, "acct", "", evs[0].Seq, 10); len(after) != 1 || after[0].Seq != evs[1].Seq {
		t.Fatalf("feed above %d: %+v", evs[0].Seq, after)
	}
	if other, _ := s.AlertEventsSince(ctx, "other", "", 0, 10); len(other) != 0 {
		t.Fatalf("another account's feed: %+v", other)
	}
	if h, err := s.AlertHead(ctx); err != nil || h != evs[1].Seq {
		t.Fatalf("head %d %v, want %d", h, err, evs[1].Seq)
	}
}
