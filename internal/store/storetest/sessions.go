package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func testApplyAssembles(t *testing.T, s store.Store) {
	res, ch := apply(t, s, batch(t, "a1", "b1", `[
		{"type":"session.started","sessionId":"s1","time":"2026-11-24T10:00:00.123456789+02:00","channel":"korevg","ANI":"+1555","DNI":"+1800","userId":"u1"},
		{"type":"intent.detected","sessionId":"s1","time":"2026-11-24T08:00:05Z","intent":"Check Balance"},
		{"type":"intent.detected","sessionId":"s1","time":"2026-11-24T08:00:03Z","intent":"Book a Flight"},
		{"type":"session.ended","sessionId":"s1","time":"2026-11-24T08:02:10Z","status":"DROPOFF","deflectedTo":"RTM"}]`))
	if res[0] != (session.Result{Accepted: 4}) {
		t.Fatalf("result %+v", res[0])
	}
	if len(ch) != 1 || ch[0].Seq != 1 || ch[0].Kind != session.ChangeCompleted || ch[0].State.SessionID != "s1" {
		t.Fatalf("changes %+v", ch)
	}
	got := latest(t, s, session.Query{Account: "a1", Bot: "b1"})
	if len(got) != 1 {
		t.Fatalf("latest: %d sessions", len(got))
	}
	v := got[0].View()
	want := session.View{Intent: []string{"Book a Flight", "Check Balance"}, ANI: "+1555", DNI: "+1800", Channel: "korevg",
		StartTime: "2026-11-24T08:00:00.123+00:00", EndTime: "2026-11-24T08:02:10.000+00:00", Status: session.StatusDropoff,
		TimeHandled: "2m 9s", DeflectedTo: ptr("rtm"), UserID: "u1", SessionID: "s1"}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("view\n got %+v\nwant %+v", v, want)
	}
	if got[0].Seq != 1 || got[0].CompletedSeq != 1 || head(t, s) != 1 {
		t.Fatalf("seq %d completed %d head %d", got[0].Seq, got[0].CompletedSeq, head(t, s))
	}
	// Nanosecond times survive storage: the state equals the one Apply reported.
	if !got[0].Start.Equal(ch[0].State.Start) || got[0].Start.Nanosecond() != 123456789 {
		t.Fatalf("start %v, change said %v", got[0].Start, ch[0].State.Start)
	}
}

func ptr[T any](v T) *T { return &v }

func testOrderTolerant(t *testing.T, s store.Store) {
	// The end first: nothing is visible, no cursor is spent.
	_, ch := apply(t, s, batch(t, "a", "b", `[{"type":"session.ended","sessionId":"s","time":"2026-11-24T10:05:00Z","status":"completed"}]`))
	if len(ch) != 0 || head(t, s) != 0 || len(latest(t, s, session.Query{Account: "a", Bot: "b"})) != 0 {
		t.Fatalf("an incomplete session is visible: changes %+v", ch)
	}
	// Then the start, in another request: the session completes.
	_, ch = apply(t, s, batch(t, "a", "b", `[{"type":"session.started","sessionId":"s","time":"2026-11-24T10:00:00Z","channel":"rtm","ANI":"x","DNI":"y","userId":"u"}]`))
	if len(ch) != 1 || ch[0].Kind != session.ChangeCompleted || ch[0].Seq != 1 {
		t.Fatalf("completion changes %+v", ch)
	}
	// A late intent updates it with a new cursor; CompletedSeq stays.
	_, ch = apply(t, s, batch(t, "a", "b", `[{"type":"intent.detected","sessionId":"s","time":"2026-11-24T10:01:00Z","intent":"Late"}]`))
	if len(ch) != 1 || ch[0].Kind != session.ChangeUpdated || ch[0].Seq != 2 || ch[0].State.CompletedSeq != 1 {
		t.Fatalf("update changes %+v", ch)
	}
	// An event that changes nothing visible spends no cursor: a later start loses to the earlier.
	_, ch = apply(t, s, batch(t, "a", "b", `[{"type":"session.started","sessionId":"s","time":"2026-11-24T10:00:30Z","channel":"korevg","ANI":"z","DNI":"z","userId":"v"}]`))
	if len(ch) != 0 || head(t, s) != 2 {
		t.Fatalf("invisible change: changes %+v head %d", ch, head(t, s))
	}
	got := latest(t, s, session.Query{Account: "a", Bot: "b"})
	if len(got) != 1 || got[0].Channel != "rtm" || !reflect.DeepEqual(got[0].IntentNames(), []string{"Late"}) || got[0].Seq != 2 {
		t.Fatalf("latest %+v", got)
	}
}

func testIdempotent(t *testing.T, s store.Store) {
	js := `[{"type":"session.started","sessionId":"s","time":"2026-11-24T10:00:00Z","channel":"rtm","ANI":"x","DNI":"y","userId":"u"},
		{"type":"session.started","sessionId":"s","time":"2026-11-24T12:00:00+02:00","channel":"rtm","ANI":"x","DNI":"y","userId":"u"},
		{"type":"session.ended","sessionId":"s","time":"2026-11-24T10:01:00Z","status":"completed","eventId":"e-1"}]`
	res, ch := apply(t, s, batch(t, "a", "b", js))
	// The second start is the first one written with another offset: the same event.
	if res[0] != (session.Result{Accepted: 2, Duplicates: 1}) || len(ch) != 1 {
		t.Fatalf("first: %+v %+v", res[0], ch)
	}
	res, ch = apply(t, s, batch(t, "a", "b", js))
	if res[0] != (session.Result{Duplicates: 3}) || len(ch) != 0 {
		t.Fatalf("retry: %+v %+v", res[0], ch)
	}
	// The same eventId with other content is still the event seen before.
	res, ch = apply(t, s, batch(t, "a", "b", `[{"type":"session.ended","sessionId":"s","time":"2026-11-24T11:00:00Z","status":"error","eventId":"e-1"}]`))
	if res[0] != (session.Result{Duplicates: 1}) || len(ch) != 0 {
		t.Fatalf("same eventId: %+v %+v", res[0], ch)
	}
	// Two batches of one group commit carrying the same event: the first wins.
	b := batch(t, "a", "b", `[{"type":"intent.detected","sessionId":"s","time":"2026-11-24T10:00:10Z","intent":"I"}]`)
	res, ch = apply(t, s, b, b)
	if res[0] != (session.Result{Accepted: 1}) || res[1] != (session.Result{Duplicates: 1}) || len(ch) != 1 {
		t.Fatalf("within one commit: %+v %+v", res, ch)
	}
	if h := head(t, s); h != 2 {
		t.Fatalf("head %d, want 2", h)
	}
}

func testIsolation(t *testing.T, s store.Store) {
	js := func(ch string) string { return "[" + completed("same", ch, "completed", t0) + "]" }
	res, ch := apply(t, s, batch(t, "a1", "bot", js("rtm")), batch(t, "a2", "bot", js("korevg")), batch(t, "a1", "bot2", js("audiocodes")))
	for i, r := range res {
		if r != (session.Result{Accepted: 1}) {
			t.Fatalf("batch %d: %+v (the same event under another bot is another event)", i, r)
		}
	}
	if len(ch) != 3 {
		t.Fatalf("%d changes, want 3", len(ch))
	}
	for _, c := range []struct{ account, bot, channel string }{{"a1", "bot", "rtm"}, {"a2", "bot", "korevg"}, {"a1", "bot2", "audiocodes"}} {
		got := latest(t, s, session.Query{Account: c.account, Bot: c.bot})
		if len(got) != 1 || got[0].Channel != c.channel || got[0].Account != c.account || got[0].Bot != c.bot {
			t.Fatalf("%s/%s: %+v", c.account, c.bot, got)
		}
	}
	if got := latest(t, s, session.Query{Account: "a2", Bot: "bot2"}); len(got) != 0 {
		t.Fatalf("a2/bot2 sees %+v", got)
	}
}

func testCursorOrder(t *testing.T, s store.Store) {
	var bs []session.Batch
	for i := range 5 {
		bs = append(bs, batch(t, "a", fmt.Sprintf("b%d", i%2), "["+completed(fmt.Sprintf("s%d", i), "rtm", "completed", t0.Add(time.Duration(i)*time.Second))+"]"))
	}
	_, ch := apply(t, s, bs...)
	if len(ch) != 5 {
		t.Fatalf("%d changes", len(ch))
	}
	for i, c := range ch {
		if c.Seq != int64(i+1) {
			t.Fatalf("change %d has cursor %d: cursors must be contiguous and in order", i, c.Seq)
		}
	}
	_, ch = apply(t, s, batch(t, "a", "b0", "["+completed("s5", "rtm", "completed", t0)+"]"))
	if len(ch) != 1 || ch[0].Seq != 6 || head(t, s) != 6 {
		t.Fatalf("next commit: %+v head %d", ch, head(t, s))
	}
	all, err := s.ChangesSince(context.Background(), "", "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range all {
		if c.Seq != int64(i+1) || c.Kind != session.ChangeCompleted || c.State.Seq != c.Seq {
			t.Fatalf("feed %d: %+v", i, c)
		}
	}
	if len(all) != 6 {
		t.Fatalf("feed has %d changes", len(all))
	}
}

// testConcurrentApply commits from many goroutines at once, as several nodes do: every cursor is
// handed out once, with no gap, and the feed returns every session.
func testConcurrentApply(t *testing.T, s store.Store) {
	const writers, each = 6, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				evs, err := session.DecodeJSON([]byte("["+completed(fmt.Sprintf("w%d-%d", w, i), "rtm", "completed", t0)+"]"), 0)
				if err == nil {
					_, _, err = s.Apply(context.Background(), []session.Batch{{Account: "a", Bot: "b", Events: evs}})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent apply: %v", err)
	}
	if h := head(t, s); h != writers*each {
		t.Fatalf("head %d, want %d", h, writers*each)
	}
	all, err := s.ChangesSince(context.Background(), "a", "b", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, c := range all {
		if c.Seq != int64(i+1) || seen[c.State.SessionID] {
			t.Fatalf("feed %d: cursor %d session %s", i, c.Seq, c.State.SessionID)
		}
		seen[c.State.SessionID] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("feed has %d sessions", len(seen))
	}
}

func testApplyCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := s.Apply(ctx, []session.Batch{batch(t, "a", "b", "["+completed("s", "rtm", "completed", t0)+"]")})
	if err == nil {
		t.Fatal("apply with a cancelled context succeeded")
	}
	if h := head(t, s); h != 0 {
		t.Fatalf("head %d after a failed apply", h)
	}
	// Nothing of it was recorded: the same event is new afterwards.
	res, _ := apply(t, s, batch(t, "a", "b", "["+completed("s", "rtm", "completed", t0)+"]"))
	if res[0] != (session.Result{Accepted: 1}) {
		t.Fatalf("after the failed apply: %+v", res[0])
	}
}

func testLatestOrder(t *testing.T, s store.Store) {
	var evs []string
	for i := range 30 {
		// s00..s29, ends spread so that s28 and s29 tie at the newest instant.
		end := t0.Add(time.Duration(min(i, 28)) * time.Minute)
		evs = append(evs, completed(fmt.Sprintf("s%02d", i), "rtm", "completed", end))
	}
	apply(t, s, batch(t, "a", "b", "["+join(evs)+"]"))
	got := latest(t, s, session.Query{Account: "a", Bot: "b"})
	if len(got) != session.DefaultLimit {
		t.Fatalf("default limit: %d sessions", len(got))
	}
	if got[0].SessionID != "s29" || got[1].SessionID != "s28" || got[2].SessionID != "s27" || got[24].SessionID != "s05" {
		t.Fatalf("order: %s", sessionIDs(got))
	}
	if got := latest(t, s, session.Query{Account: "a", Bot: "b", Limit: 3}); sessionIDs(got) != "s29,s28,s27" {
		t.Fatalf("limit 3: %s", sessionIDs(got))
	}
	if got := latest(t, s, session.Query{Account: "a", Bot: "b", Limit: 100}); len(got) != 30 {
		t.Fatalf("limit 100: %d", len(got))
	}
	if got := latest(t, s, session.Query{Account: "a", Bot: "nobody"}); got == nil || len(got) != 0 {
		t.Fatalf("no sessions must be an empty, non-nil slice: %#v", got)
	}
}

func join(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ","
		}
		out += p
	}
	return out
}

func testLatestFilters(t *testing.T, s store.Store) {
	apply(t, s, batch(t, "a", "b", "["+join([]string{
		completed("s1", "rtm", "completed", t0.Add(1*time.Hour), "Check Balance"),
		completed("s2", "korevg", "Dropoff", t0.Add(2*time.Hour), "Book a Flight", "Check Balance"),
		completed("s3", "audiocodes", "agentTransfer", t0.Add(3*time.Hour)),
		completed("s4", "rtm", "error", t0.Add(4*time.Hour), "Book a Flight"),
	})+`,{"type":"session.started","sessionId":"open","time":"2026-11-24T09:00:00Z","channel":"rtm","ANI":"x","DNI":"y","userId":"u"}]`))
	q := func(mod func(*session.Query)) session.Query {
		qq := session.Query{Account: "a", Bot: "b", Limit: 100}
		mod(&qq)
		return qq
	}
	cases := []struct {
		name string
		q    session.Query
		want string
	}{
		{"none (incomplete sessions never show)", q(func(*session.Query) {}), "s4,s3,s2,s1"},
		{"channels", q(func(q *session.Query) { q.Channels = []string{"rtm", "audiocodes"} }), "s4,s3,s1"},
		{"statuses", q(func(q *session.Query) { q.Statuses = []session.Status{session.StatusDropoff, session.StatusError} }), "s4,s2"},
		{"intents", q(func(q *session.Query) { q.Intents = []string{"Book a Flight"} }), "s4,s2"},
		{"intents any of", q(func(q *session.Query) { q.Intents = []string{"Check Balance", "Book a Flight"} }), "s4,s2,s1"},
		{"from inclusive", q(func(q *session.Query) { q.From = t0.Add(2 * time.Hour) }), "s4,s3,s2"},
		{"to exclusive", q(func(q *session.Query) { q.To = t0.Add(2 * time.Hour) }), "s1"},
		{"fields combine with AND", q(func(q *session.Query) {
			q.Channels = []string{"rtm", "korevg"}
			q.Intents = []string{"Check Balance"}
			q.From = t0.Add(90 * time.Minute)
		}), "s2"},
		{"no match", q(func(q *session.Query) { q.Intents = []string{"Nothing"} }), ""},
	}
	for _, c := range cases {
		if got := sessionIDs(latest(t, s, c.q)); got != c.want {
			t.Errorf("%s: got %q want %q", c.name, got, c.want)
		}
	}
}

func testChangesSince(t *testing.T, s store.Store) {
	apply(t, s, batch(t, "a", "b", "["+completed("s1", "rtm", "completed", t0)+","+completed("s2", "rtm", "completed", t0)+"]"),
		batch(t, "a", "other", "["+completed("s3", "rtm", "completed", t0)+"]"))
	// s1 changes again: the feed shows it once, at its newest cursor.
	apply(t, s, batch(t, "a", "b", `[{"type":"intent.detected","sessionId":"s1","time":"2026-11-24T09:59:30Z","intent":"Late"}]`))
	ctx := context.Background()
	got, err := s.ChangesSince(ctx, "a", "b", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].State.SessionID != "s2" || got[0].Seq != 2 || got[1].State.SessionID != "s1" || got[1].Seq != 4 {
		t.Fatalf("bot feed: %+v", got)
	}
	// From cursor 0 both are new to the reader; from cursor 2 on, s1 is an update of one it saw.
	if got[1].Kind != session.ChangeCompleted {
		t.Fatalf("s1 since 0 is %s", got[1].Kind)
	}
	got, err = s.ChangesSince(ctx, "a", "b", 2, 100)
	if err != nil || len(got) != 1 || got[0].Kind != session.ChangeUpdated || got[0].State.SessionID != "s1" {
		t.Fatalf("since 2: %+v %v", got, err)
	}
	got, err = s.ChangesSince(ctx, "", "", 0, 2)
	if err != nil || len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 3 {
		t.Fatalf("global feed, limit 2: %+v %v", got, err)
	}
	got, err = s.ChangesSince(ctx, "a", "b", 4, 100)
	if err != nil || len(got) != 0 {
		t.Fatalf("since head: %+v %v", got, err)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	apply(t, s, batch(t, "a", "b", `[
		{"type":"session.completed","sessionId":"full","channel":"twiliovoice","ANI":"+1 (555) 0100","DNI":"ünïcødé","userId":"u'1\"",
		 "startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T12:00:00Z","intents":["A","B","A"],"status":"completed",
		 "deflectedTo":"rtm","timeHandled":3605},
		{"type":"session.completed","sessionId":"bare","channel":"rtm","ANI":"","DNI":"","userId":"u",
		 "startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T10:00:00Z","intents":[],"status":"error","deflectedTo":null}]`))
	got := latest(t, s, session.Query{Account: "a", Bot: "b"})
	if len(got) != 2 {
		t.Fatalf("%d sessions", len(got))
	}
	full, bare := got[0], got[1]
	if full.SessionID != "full" {
		full, bare = bare, full
	}
	if full.TimeHandled == nil || *full.TimeHandled != 3605 || full.DeflectedTo == nil || *full.DeflectedTo != "rtm" ||
		full.DNI != "ünïcødé" || full.UserID != `u'1"` || !reflect.DeepEqual(full.IntentNames(), []string{"A", "B"}) {
		t.Fatalf("full: %+v", full)
	}
	if v := full.View(); v.TimeHandled != "1h 0m 5s" {
		t.Fatalf("timeHandled %s", v.TimeHandled)
	}
	if bare.TimeHandled != nil || bare.DeflectedTo != nil || bare.Intents == nil && len(bare.IntentNames()) != 0 || bare.View().TimeHandled != "0s" {
		t.Fatalf("bare: %+v", bare)
	}
	if v := bare.View(); v.Intent == nil || len(v.Intent) != 0 {
		t.Fatalf("bare intents %#v", v.Intent)
	}
}
