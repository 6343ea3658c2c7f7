package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/summary"
)

// foldAll folds each session's events as the store should have: what it holds, incomplete
// sessions included.
func foldAll(account, bot string, perSession map[string][]session.Event) map[string]session.State {
	out := map[string]session.State{}
	for sid, evs := range perSession {
		st := session.State{Key: session.Key{Account: account, Bot: bot, SessionID: sid}}
		var n int64
		st.Fold(evs, func() int64 { n++; return n })
		out[sid] = st
	}
	return out
}

// age is what retention judges a session by: its end, or its newest event while the end is
// unknown.
func age(st session.State, evs []session.Event) time.Time {
	if !st.End.IsZero() {
		return st.End
	}
	var newest time.Time
	for _, e := range evs {
		if e.Time.After(newest) {
			newest = e.Time
		}
	}
	return newest
}

// checkSummaries compares summaries of bot built from the store's aggregates with the brute
// force over want, the sessions the store should hold, and the completed sessions the store
// shows with those of want.
func checkSummaries(t *testing.T, s store.Store, rng *rand.Rand, account, bot string, want []session.State) {
	t.Helper()
	changes, err := s.ChangesSince(context.Background(), account, bot, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp []string
	for _, ch := range changes {
		got = append(got, ch.State.SessionID)
	}
	for _, st := range want {
		if st.Completed() {
			exp = append(exp, st.SessionID)
		}
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Fatalf("%s/%s holds completed sessions %v, want %v", account, bot, got, exp)
	}
	checkRollUp(t, s, account, bot)
	svc := &summary.Service{Source: s}
	for q := range 10 {
		body := summaryBody(rng, q)
		sum, err := svc.Summarize(context.Background(), account, bot, body, summaryNow)
		if err != nil {
			t.Fatal(err)
		}
		req, err := body.Resolve(summaryNow)
		if err != nil {
			t.Fatal(err)
		}
		bf := analyticstest.BruteForce(req, want, summaryNow)
		if err := analyticstest.Compare(&sum, &bf); err != nil {
			t.Fatalf("%s/%s query %d: summary after removal differs from brute force: %v", account, bot, q, err)
		}
	}
}

// testPurgeMatchesBruteForce purges, in small batches, the sessions of one account older than
// a horizon, and checks that exactly those went (with their aggregates: summaries equal the
// brute force over what is left), that another account is untouched, and that the seen keys of
// events before the horizon went while the newer ones still make a retry a duplicate.
func testPurgeMatchesBruteForce(t *testing.T, s store.Store) {
	ctx := context.Background()
	span := 3 * 24 * time.Hour
	horizon := summaryNow.Add(-span / 2)
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 11))
		// An account per seed: the seen-key check brings an old session back, which the next
		// seed's purge of the same account would take too.
		acc, bot := fmt.Sprintf("acc-%d", seed), "bot"
		perSession := ingestHistories(t, s, rng, acc, bot, analyticstest.RandomHistories(rng, 80, summaryNow, span))
		others := ingestHistories(t, s, rng, "other", fmt.Sprintf("bot-%d", seed), analyticstest.RandomHistories(rng, 20, summaryNow, span))
		folded := foldAll(acc, bot, perSession)
		var keep []session.State
		for sid, st := range folded {
			if !age(st, perSession[sid]).Before(horizon) {
				keep = append(keep, st)
			}
		}
		if len(keep) == len(folded) || len(keep) == 0 {
			t.Fatalf("seed %d: the horizon should split the sessions (%d of %d kept)", seed, len(keep), len(folded))
		}
		total := 0
		for {
			r, err := s.PurgeExpired(ctx, store.PurgeRule{Account: acc, Before: horizon}, 7)
			if err != nil {
				t.Fatal(err)
			}
			if r.Busy {
				t.Fatal("purge busy on a store no one else uses")
			}
			total += r.Sessions
			if r.Sessions < 7 && r.Keys < 7 {
				break
			}
		}
		if want := len(folded) - len(keep); total != want {
			t.Fatalf("seed %d: purged %d sessions, want %d", seed, total, want)
		}
		checkSummaries(t, s, rng, acc, bot, keep)
		checkSummaries(t, s, rng, "other", fmt.Sprintf("bot-%d", seed), mapValues(foldAll("other", fmt.Sprintf("bot-%d", seed), others)))
		checkSeenKeys(t, s, acc, bot, perSession, horizon)
	}
	// The default rule spares the accounts that have their own retention.
	r, err := s.PurgeExpired(ctx, store.PurgeRule{Except: []string{"other"}, Before: summaryNow.Add(time.Hour)}, 1000)
	if err != nil || r.Sessions == 0 {
		t.Fatalf("purge of every account but other: %+v, %v", r, err)
	}
	if ch, _ := s.ChangesSince(ctx, "other", "bot-0", 0, 10); len(ch) == 0 {
		t.Fatal("the purge of every other account took the excepted account's sessions")
	}
	if ch, _ := s.ChangesSince(ctx, "acc-0", "bot", 0, 10); len(ch) != 0 {
		t.Fatalf("sessions of acc-0 left after purging everything: %d", len(ch))
	}
}

func mapValues(m map[string]session.State) []session.State {
	out := make([]session.State, 0, len(m))
	for _, st := range m {
		out = append(out, st)
	}
	return out
}

// checkSeenKeys re-applies one event from before the horizon and one from after, each on its
// own: the newer one is still a duplicate; the old one's key went with the purge, so Apply takes
// it again (the committer refuses such an event by its time first, so no producer sees this).
func checkSeenKeys(t *testing.T, s store.Store, account, bot string, perSession map[string][]session.Event, horizon time.Time) {
	t.Helper()
	var oldEv, newEv *session.Event
	for _, evs := range perSession {
		for i := range evs {
			if evs[i].Time.Before(horizon) && oldEv == nil {
				oldEv = &evs[i]
			}
			if !evs[i].Time.Before(horizon) && newEv == nil {
				newEv = &evs[i]
			}
		}
	}
	if oldEv == nil || newEv == nil {
		t.Fatal("no events on both sides of the horizon")
	}
	res, _ := apply(t, s, session.Batch{Account: account, Bot: bot, Events: []session.Event{*newEv}})
	if res[0].Duplicates != 1 {
		t.Fatalf("a retry of an event after the horizon: %+v, want a duplicate", res[0])
	}
	res, _ = apply(t, s, session.Batch{Account: account, Bot: bot, Events: []session.Event{*oldEv}})
	if res[0].Accepted != 1 {
		t.Fatalf("an event before the horizon after the purge: %+v, want its key gone", res[0])
	}
}

// testEraseMatchesBruteForce erases two users from an account with two bots, in small steps,
// and checks that exactly their sessions went from every bot (summaries equal the brute force
// over the others), that another account's user of the same id stays, that the request counts
// and forgets the ids, and that the keys of their events stay known (a retry is a duplicate,
// never brought back).
func testEraseMatchesBruteForce(t *testing.T, s store.Store) {
	span := 3 * 24 * time.Hour
	rng := rand.New(rand.NewPCG(7, 12))
	users := []string{"u-0", "u-1", "u-2", "u-3"}
	userOf := func(sid string) string {
		var h int
		for _, c := range sid {
			h += int(c)
		}
		return users[h%len(users)]
	}
	erased := map[string]bool{"u-1": true, "u-3": true}
	bots := []string{"b1", "b2"}
	perBot := map[string]map[string][]session.Event{}
	for _, bot := range bots {
		perBot[bot] = ingestHistoriesOf(t, s, rng, "acc", bot, analyticstest.RandomHistories(rng, 60, summaryNow, span), userOf)
	}
	others := ingestHistoriesOf(t, s, rng, "other", "b1", analyticstest.RandomHistories(rng, 20, summaryNow, span), userOf)

	removed, steps := eraseInSteps(t, s, store.Erasure{RequestID: "er-test", Account: "acc", App: "app",
		UserIDs: []string{"u-1", "u-3"}, UserCount: 2, Status: store.ErasurePending, RequestedAt: summaryNow})
	want := 0
	for _, bot := range bots {
		var keep []session.State
		for sid, st := range foldAll("acc", bot, perBot[bot]) {
			if erased[userOf(sid)] {
				want++
			} else {
				keep = append(keep, st)
			}
		}
		checkSummaries(t, s, rng, "acc", bot, keep)
	}
	if removed != want || steps < 2 {
		t.Fatalf("erased %d sessions in %d steps, want %d in several", removed, steps, want)
	}
	checkSummaries(t, s, rng, "other", "b1", mapValues(foldAll("other", "b1", others)))
	// Their keys stay: a producer's retry of an erased user's event is a duplicate.
	for sid, evs := range perBot["b1"] {
		if erased[userOf(sid)] {
			res, _ := apply(t, s, session.Batch{Account: "acc", Bot: "b1", Events: evs[:1]})
			if res[0].Duplicates != 1 {
				t.Fatalf("retry of an erased user's event: %+v, want a duplicate", res[0])
			}
			break
		}
	}
}

// eraseInSteps records e and runs it to the end, 5 sessions a step, checking the request's
// state after each; it returns the sessions removed and the steps taken.
func eraseInSteps(t *testing.T, s store.Store, e store.Erasure) (removed, steps int) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateErasure(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateErasure(ctx, e); err == nil {
		t.Fatal("a second request with the same id was stored")
	}
	if open, err := s.OpenErasures(ctx); err != nil || len(open) != 1 || open[0].RequestID != e.RequestID {
		t.Fatalf("open erasures: %+v, %v", open, err)
	}
	if _, err := s.Erasure(ctx, "other", e.RequestID); err != store.ErrNotFound {
		t.Fatalf("another account's request: %v, want ErrNotFound", err)
	}
	doneAt := summaryNow.Add(time.Minute)
	for {
		r, done, err := s.EraseStep(ctx, e.RequestID, 5, doneAt)
		if err != nil {
			t.Fatal(err)
		}
		steps++
		removed += r.Sessions
		if done {
			break
		}
		if got, _ := s.Erasure(ctx, e.Account, e.RequestID); got.Status != store.ErasureRunning || got.SessionsErased != int64(removed) {
			t.Fatalf("after a step: %+v, want running with %d erased", got, removed)
		}
	}
	checkDone(t, s, e, removed, doneAt)
	return removed, steps
}

// checkDone: the request is done with removed sessions counted and its ids forgotten, further
// steps do nothing, and it is no longer open.
func checkDone(t *testing.T, s store.Store, e store.Erasure, removed int, doneAt time.Time) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Erasure(ctx, e.Account, e.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.ErasureDone || got.SessionsErased != int64(removed) || len(got.UserIDs) != 0 ||
		got.UserCount != e.UserCount || !got.CompletedAt.Equal(doneAt) {
		t.Fatalf("done request: %+v (removed %d)", got, removed)
	}
	if _, done, err := s.EraseStep(ctx, e.RequestID, 5, summaryNow); err != nil || !done {
		t.Fatalf("a step of a done request: %v %v", done, err)
	}
	if open, _ := s.OpenErasures(ctx); len(open) != 0 {
		t.Fatalf("open erasures after done: %+v", open)
	}
}
