package storetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/summary"
)

// summaryNow is the instant the summary tests ask at: fixed, so a failing seed replays exactly.
var summaryNow = time.Date(2026, 11, 30, 14, 3, 7, 412_000_000, time.UTC)

// testSummaryMatchesBruteForce ingests random session histories through Apply — started,
// detected intents and ended events or one completed event, then late intents, changed
// outcomes, duplicates and re-sent sessions, in random interleavings and group commits — and
// checks that summaries built from the store's aggregates equal the brute force computed from
// the sessions the store holds, for random windows, buckets, zones and filters.
func testSummaryMatchesBruteForce(t *testing.T, s store.Store) {
	const seeds, queries, sessions = 8, 10, 120
	span := 3 * 24 * time.Hour
	svc := &summary.Service{Source: s}
	hourly := 0
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 10))
		account, bot := "acc", fmt.Sprintf("bot-%d", seed) // one database, a bot per seed
		hs := analyticstest.RandomHistories(rng, sessions, summaryNow, span)
		perSession := ingestHistories(t, s, rng, account, bot, hs)
		stored := storedSessions(t, s, account, bot, perSession)
		checkNoEmptyRows(t, s, account, bot)
		for q := range queries {
			body := summaryBody(rng, q)
			got, err := svc.Summarize(context.Background(), account, bot, body, summaryNow)
			if err != nil {
				t.Fatalf("seed %d query %d: %v", seed, q, err)
			}
			req, err := body.Resolve(summaryNow)
			if err != nil {
				t.Fatal(err)
			}
			if req.HourAligned() {
				hourly++
			}
			want := analyticstest.BruteForce(req, stored, summaryNow)
			if err := analyticstest.Compare(&got, &want); err != nil {
				t.Fatalf("seed %d query %d (bucket %s, zone %s, channels %v, intent %q, %s – %s): %v",
					seed, q, req.Bucket, req.Zone, req.Channels, req.Intent, req.From, req.To, err)
			}
		}
	}
	// Both tables must answer a good share: the hourly roll-ups and the minute rows.
	if total := seeds * queries; hourly < total*2/5 || hourly > total*4/5 {
		t.Fatalf("%d of %d random requests were hour-aligned: the hourly or the minute path is barely tested", hourly, total)
	}
	t.Logf("%d of %d random requests read the hourly roll-ups", hourly, seeds*queries)
}

// summaryBody is a random summary request; every other one (odd q) asks 1h or 1d buckets in UTC
// or Europe/Berlin, as the dashboard's day and week views do, so that the stores' hourly
// roll-ups answer a good share of them (the others read the minute rows).
func summaryBody(rng *rand.Rand, q int) analytics.Body {
	b := analyticstest.RandomBody(rng, summaryNow, 3*24*time.Hour)
	if q%2 == 1 {
		bucket, zone := []string{"1h", "1d"}[rng.IntN(2)], []string{"UTC", "Europe/Berlin"}[rng.IntN(2)]
		b.Bucket, b.Timezone = &bucket, &zone
	}
	return b
}

// checkNoEmptyRows: a row whose sessions reached 0 is deleted, never kept (it would show no
// figure, but the next delta on its key would start from it) — in the minute table and in the
// hourly one, which must hold exactly the minute rows summed per UTC hour.
func checkNoEmptyRows(t *testing.T, s store.Store, account, bot string) {
	t.Helper()
	minutes, hours := checkRollUp(t, s, account, bot)
	if len(minutes) == 0 || len(hours) == 0 {
		t.Fatal("no aggregate rows at all")
	}
}

// checkRollUp reads all of a bot's minute rows and all its hourly rows, through AggregateRows
// (a request with an edge inside an hour reads the minute rows, one whose edges all start an
// hour the hourly ones), and checks that neither keeps a row without sessions and that the
// hourly rows are the minute rows summed per hour.
func checkRollUp(t *testing.T, s store.Store, account, bot string) (minutes, hours []analytics.Row) {
	t.Helper()
	lo := analytics.MinuteTime(analytics.HourOf(analytics.MinuteOf(summaryNow.Add(-30 * 24 * time.Hour))))
	hi := analytics.MinuteTime(analytics.HourOf(analytics.MinuteOf(summaryNow.Add(24 * time.Hour))))
	byHour := &analytics.Request{PrevFrom: lo, From: lo, To: hi, Edges: []time.Time{lo, hi}}
	byMinute := &analytics.Request{PrevFrom: lo, From: lo, To: hi, Edges: []time.Time{lo, lo.Add(time.Minute), hi}}
	if !byHour.HourAligned() || byMinute.HourAligned() {
		t.Fatal("HourAligned misjudges the roll-up check's requests")
	}
	read := func(req *analytics.Request) []analytics.Row {
		rows, err := s.AggregateRows(context.Background(), account, bot, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Sessions <= 0 {
				t.Fatalf("%s/%s: aggregate row %+v kept with %d sessions", account, bot, r.Key, r.Sessions)
			}
		}
		return rows
	}
	minutes, hours = read(byMinute), read(byHour)
	want, err := analytics.Hourly(minutes)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(hours)
	slices.SortFunc(got, func(a, b analytics.Row) int { return analytics.CompareKeys(&a.Key, &b.Key) })
	if len(got) != len(want) {
		t.Fatalf("%s/%s: %d hourly rows, want %d (the %d minute rows summed per hour)", account, bot, len(got), len(want), len(minutes))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Sessions != w.Sessions || g.NoIntent != w.NoIntent || g.HandledSum != w.HandledSum || !bytes.Equal(g.Hist, w.Hist) {
			t.Fatalf("%s/%s: hourly row %+v %+v, want the sum of its minutes %+v %+v", account, bot, g.Key, g.Values, w.Key, w.Values)
		}
	}
	return minutes, hours
}

// ingestHistories turns every commit of the histories into events and applies them in random
// group commits. It returns each session's events, so that the test can fold them itself.
func ingestHistories(t *testing.T, s store.Store, rng *rand.Rand, account, bot string, hs []analyticstest.History) map[string][]session.Event {
	t.Helper()
	return ingestHistoriesOf(t, s, rng, account, bot, hs, nil)
}

// ingestHistoriesOf is ingestHistories with the events of each session sent with the user id
// user gives it (none when user is nil).
func ingestHistoriesOf(t *testing.T, s store.Store, rng *rand.Rand, account, bot string, hs []analyticstest.History, user func(sid string) string) map[string][]session.Event {
	t.Helper()
	steps := analyticstest.Interleave(rng, hs)
	pos := make([]int, len(hs))
	perSession := map[string][]session.Event{}
	var pending []session.Batch
	flush := func() {
		if len(pending) > 0 {
			apply(t, s, pending...)
			pending = nil
		}
	}
	cur := session.Batch{Account: account, Bot: bot}
	for _, st := range steps {
		j := pos[st.Session]
		pos[st.Session]++
		if st.After == nil { // an erasure: the store has no erasure yet, the session stays
			continue
		}
		evs := stepEvents(rng, st.Before, st.After, j)
		sid := st.After.SessionID
		if user != nil {
			for i := range evs {
				evs[i].UserID = user(sid)
			}
		}
		perSession[sid] = append(perSession[sid], evs...)
		cur.Events = append(cur.Events, evs...)
		if rng.IntN(4) == 0 { // an ingest request ends here
			pending = append(pending, cur)
			cur = session.Batch{Account: account, Bot: bot}
			if rng.IntN(2) == 0 { // and a group commit
				flush()
			}
		}
	}
	if len(cur.Events) > 0 {
		pending = append(pending, cur)
	}
	flush()
	return perSession
}

// stepEvents are events that take a session from before to after (the j-th state of its
// history) as a producer would send them. Outcome changes after completion are a later
// session.ended, so the session's end moves by a few milliseconds (perhaps into another
// minute); the test folds the same events, so that is what it expects.
func stepEvents(rng *rand.Rand, before, after *session.State, j int) []session.Event {
	sid := after.SessionID
	var evs []session.Event
	switch {
	case j == 0:
		evs = append(evs, session.Event{Type: session.TypeStarted, SessionID: sid, Time: after.Start,
			Channel: after.Channel, ANI: "+15550100", DNI: "+18005550100", UserID: "u-" + sid})
	case before != nil && !before.Completed() && rng.IntN(2) == 0:
		evs = append(evs, session.Event{Type: session.TypeCompleted, SessionID: sid, StartTime: after.Start, EndTime: after.End,
			Channel: after.Channel, ANI: "+15550100", DNI: "+18005550100", UserID: "u-" + sid,
			Status: after.Status, DeflectedTo: after.DeflectedTo, TimeHandled: after.TimeHandled, Intents: after.IntentNames()})
	default:
		var had []string
		end := after.End
		if before != nil {
			had = before.IntentNames()
			if before.Completed() {
				end = before.End.Add(time.Duration(j) * time.Millisecond)
			}
		}
		for _, name := range after.IntentNames() {
			if !slices.Contains(had, name) {
				evs = append(evs, session.Event{Type: session.TypeIntent, SessionID: sid, Time: after.Start, Intent: name})
			}
		}
		if before == nil || !before.Completed() || outcomeChanged(before, after) {
			evs = append(evs, session.Event{Type: session.TypeEnded, SessionID: sid, Time: end,
				Status: after.Status, DeflectedTo: after.DeflectedTo, TimeHandled: after.TimeHandled})
		}
	}
	if len(evs) > 0 && rng.IntN(5) == 0 { // a retry: the same event again, a duplicate
		evs = append(evs, evs[rng.IntN(len(evs))])
	}
	if after.Completed() && rng.IntN(8) == 0 { // the producer re-sends the whole session under a new event id
		evs = append(evs, session.Event{Type: session.TypeCompleted, SessionID: sid, EventID: fmt.Sprintf("resend-%s-%d", sid, j),
			StartTime: after.Start, EndTime: after.End, Channel: after.Channel, ANI: "+15550100", DNI: "+18005550100",
			UserID: "u-" + sid, Status: after.Status, DeflectedTo: after.DeflectedTo, TimeHandled: after.TimeHandled,
			Intents: after.IntentNames()})
	}
	return evs
}

func outcomeChanged(a, b *session.State) bool {
	return a.Status != b.Status || optStr(a.DeflectedTo) != optStr(b.DeflectedTo) || optNum(a.TimeHandled) != optNum(b.TimeHandled)
}

func optStr(p *string) string {
	if p == nil {
		return "\x00nil"
	}
	return *p
}

func optNum(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// storedSessions are the bot's sessions as the store holds them: the completed ones read back
// through the change feed (checked against folding the same events here), and the incomplete
// ones, which no read returns, from the fold.
func storedSessions(t *testing.T, s store.Store, account, bot string, perSession map[string][]session.Event) []session.State {
	t.Helper()
	folded := map[string]session.State{}
	for sid, evs := range perSession {
		st := session.State{Key: session.Key{Account: account, Bot: bot, SessionID: sid}}
		var n int64
		st.Fold(evs, func() int64 { n++; return n })
		folded[sid] = st
	}
	changes, err := s.ChangesSince(context.Background(), account, bot, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	var out []session.State
	seen := map[string]bool{}
	for _, ch := range changes {
		st := ch.State
		want, ok := folded[st.SessionID]
		if !ok || !reflect.DeepEqual(want.View(), st.View()) {
			t.Fatalf("stored session %s differs from the fold of its events:\nstored %+v\nfolded %+v", st.SessionID, st.View(), want.View())
		}
		seen[st.SessionID] = true
		out = append(out, st)
	}
	for sid, st := range folded {
		switch {
		case st.Completed() && !seen[sid]:
			t.Fatalf("session %s completed but not in the change feed", sid)
		case !st.Completed():
			out = append(out, st)
		}
	}
	return out
}

// SummaryAfterUpgrade checks that a database holding sessions from before the aggregates
// existed gets them counted when migrated, and their views rendered: downgrade must drop the
// backend's aggregates table and the sessions' view column and forget their migrations, as a
// database of the previous version would be.
func SummaryAfterUpgrade(t *testing.T, s store.Store, downgrade func(t *testing.T)) {
	rng := rand.New(rand.NewPCG(42, 10))
	span := 3 * 24 * time.Hour
	hs := analyticstest.RandomHistories(rng, 200, summaryNow, span)
	perSession := ingestHistories(t, s, rng, "acc", "bot", hs)
	// More sessions than a page of the views' rebuild, split over two bots: its pages cross
	// from one bot to the next.
	Load(t, s, "acc", "bulk-1", "v-", 1500, summaryNow.Add(-span), summaryNow)
	Load(t, s, "acc", "bulk-2", "v-", 700, summaryNow.Add(-span), summaryNow)
	downgrade(t)
	m, ok := s.(store.Migrator)
	if !ok {
		t.Fatal("the store has no migrations")
	}
	if err := m.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored := storedSessions(t, s, "acc", "bot", perSession)
	checkNoEmptyRows(t, s, "acc", "bot") // the rebuild filled the hourly roll-ups too
	for _, bot := range []string{"bot", "bulk-1", "bulk-2"} {
		checkViews(t, s, "acc", bot) // and the views of the sessions stored before them
	}
	svc := &summary.Service{Source: s}
	for q := range 6 {
		body := summaryBody(rng, q)
		got, err := svc.Summarize(context.Background(), "acc", "bot", body, summaryNow)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := body.Resolve(summaryNow)
		want := analyticstest.BruteForce(req, stored, summaryNow)
		if err := analyticstest.Compare(&got, &want); err != nil {
			t.Fatalf("query %d: %v", q, err)
		}
	}
}
