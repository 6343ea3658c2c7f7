package storetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// rendered is the read API's answer for states as the sessions' own rendering gives it: what
// LatestJSON must return from the views stored with the rows.
func rendered(states []session.State) []byte {
	b := []byte{'['}
	for i := range states {
		if i > 0 {
			b = append(b, ',')
		}
		b = states[i].AppendViewJSON(b)
	}
	return append(b, ']')
}

// checkLatestJSON holds LatestJSON for q equal, byte for byte, to rendering the rows Latest
// decodes for the same q: the stored views are those of the rows as they are now. It appends to
// a buffer already holding bytes, which must stay.
func checkLatestJSON(t *testing.T, s store.Store, q session.Query, states []session.State) {
	t.Helper()
	got, err := s.LatestJSON(context.Background(), q, []byte("kept"))
	if err != nil {
		t.Fatalf("latest JSON %+v: %v", q, err)
	}
	want := append([]byte("kept"), rendered(states)...)
	if !bytes.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		from := max(i-80, 0)
		t.Fatalf("latest JSON %+v: the stored views differ from the rendering of the rows at byte %d of %d\n got …%s\nwant …%s",
			q, i, len(want), got[from:min(i+160, len(got))], want[from:min(i+160, len(want))])
	}
}

// checkViews reads every completed session of the bot, and some filtered shares of them, both
// ways (checkLatestJSON, through latest), after whatever the caller did to them.
func checkViews(t *testing.T, s store.Store, account, bot string) {
	t.Helper()
	all := session.Query{Account: account, Bot: bot, Limit: 1_000_000}
	states := latest(t, s, all)
	qs := []session.Query{{Account: account, Bot: bot}}
	if len(states) > 0 {
		mid := states[len(states)/2]
		qs = append(qs,
			session.Query{Account: account, Bot: bot, Limit: 7, Channels: []string{mid.Channel}},
			session.Query{Account: account, Bot: bot, Limit: 1_000_000, Statuses: []session.Status{mid.Status}, To: mid.End.Add(time.Second)})
		if names := mid.IntentNames(); len(names) > 0 {
			qs = append(qs, session.Query{Account: account, Bot: bot, Limit: 1_000_000, Intents: names[:1], From: mid.End})
		}
	}
	for _, q := range qs {
		latest(t, s, q)
	}
}

// testViewsMatchRendering runs sessions through the writes that change a row — completion in
// parts, late intents, changed outcomes, re-sent sessions, names that need JSON escapes, a
// policy change between writes, an erasure — and holds the stored views equal to the rendering
// of the rows after each.
func testViewsMatchRendering(t *testing.T, s store.Store) {
	ctx := context.Background()
	// JSON-escaped characters in every string the view holds; the session id is printable, as
	// ingest requires.
	odd, oddID := "q\"uo\\te \u2028 \u2029 \t\x01 ünï <&> ", `s-"quo\te <&> ünï`
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, "2026-11-24T"+s+"Z"); return tm }
	apply(t, s, session.Batch{Account: "a", Bot: "b", Events: []session.Event{
		{Type: session.TypeStarted, SessionID: oddID, Time: at("10:00:00.5"), Channel: "rtm", ANI: odd, DNI: "+1800", UserID: "u-odd"},
		{Type: session.TypeIntent, SessionID: oddID, Time: at("10:00:01"), Intent: "I " + odd},
		{Type: session.TypeStarted, SessionID: "open", Time: at("10:00:00"), Channel: "rtm", ANI: "x", DNI: "y", UserID: "u-open"},
	}}, batch(t, "a", "b", `[`+completed("plain", "korevg", "completed", t0.Add(time.Minute), "A")+`]`))
	checkViews(t, s, "a", "b") // one complete, two not
	if got := latest(t, s, session.Query{Account: "a", Bot: "b"}); len(got) != 1 {
		t.Fatalf("%d sessions visible, want 1", len(got))
	}
	// The odd one completes; a late intent and a changed outcome rewrite the plain one.
	apply(t, s, session.Batch{Account: "a", Bot: "b", Events: []session.Event{
		{Type: session.TypeEnded, SessionID: oddID, Time: at("12:00:00"), Status: session.StatusAgentTransfer, DeflectedTo: ptr("rtm"), TimeHandled: ptr[int64](3605)},
		{Type: session.TypeIntent, SessionID: "plain", Time: at("10:00:30"), Intent: "B"},
		{Type: session.TypeEnded, SessionID: "plain", Time: at("10:01:00.25"), Status: session.StatusDropoff},
	}})
	checkViews(t, s, "a", "b")
	// A policy change applies to what is ingested after it; stored views stay those of their rows.
	if err := s.SetAccountPolicy(ctx, "a", privacy.Policy{ANI: privacy.Mask, UserID: privacy.Hash}.Normal(), t0); err != nil {
		t.Fatal(err)
	}
	apply(t, s, batch(t, "a", "b", `[`+completed("plain", "korevg", "error", t0.Add(2*time.Minute), "A", "C")+`]`))
	checkViews(t, s, "a", "b")
	got := latest(t, s, session.Query{Account: "a", Bot: "b"})
	if len(got) != 2 || got[0].SessionID != oddID || got[1].Status != session.StatusError || len(got[1].Intents) != 3 {
		t.Fatalf("after the updates: %+v", got)
	}
	// The open session completes by its end; then its user is erased: the view goes with the row.
	apply(t, s, session.Batch{Account: "a", Bot: "b", Events: []session.Event{
		{Type: session.TypeEnded, SessionID: "open", Time: at("10:09:00"), Status: session.StatusCompleted}}})
	checkViews(t, s, "a", "b")
	eraseInSteps(t, s, store.Erasure{RequestID: "er-views", Account: "a", App: "app", UserIDs: []string{"u-open"}, UserCount: 1,
		Status: store.ErasurePending, RequestedAt: t0})
	checkViews(t, s, "a", "b")
	views, err := s.LatestJSON(ctx, session.Query{Account: "a", Bot: "b", Limit: 100}, nil)
	if err != nil || strings.Contains(string(views), "u-open") || !strings.Contains(string(views), "u-odd") {
		t.Fatalf("after erasing u-open: %s, %v", views, err)
	}
}

// testViewsAfterHistories holds the views equal to the rendering of the rows after random
// histories (late intents, changed outcomes, duplicates, re-sent sessions in random group
// commits), then after a purge of the older half and an erasure of some users.
func testViewsAfterHistories(t *testing.T, s store.Store) {
	ctx := context.Background()
	span := 3 * 24 * time.Hour
	rng := rand.New(rand.NewPCG(3, 13))
	userOf := func(sid string) string { return fmt.Sprintf("u-%d", len(sid)%3) }
	ingestHistoriesOf(t, s, rng, "acc", "bot", analyticstest.RandomHistories(rng, 150, summaryNow, span), userOf)
	checkViews(t, s, "acc", "bot")
	for {
		r, err := s.PurgeExpired(ctx, store.PurgeRule{Account: "acc", Before: summaryNow.Add(-span / 2)}, 50)
		if err != nil {
			t.Fatal(err)
		}
		if r.Sessions < 50 && r.Keys < 50 {
			break
		}
	}
	checkViews(t, s, "acc", "bot")
	eraseInSteps(t, s, store.Erasure{RequestID: "er-hist", Account: "acc", App: "app", UserIDs: []string{"u-1"}, UserCount: 1,
		Status: store.ErasurePending, RequestedAt: summaryNow})
	checkViews(t, s, "acc", "bot")
}
