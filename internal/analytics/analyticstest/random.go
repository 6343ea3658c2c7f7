package analyticstest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
)

// Zones are the zones random requests use: UTC, DST zones, :30 and :45 offsets, Lord Howe's
// 30-minute DST, and zones that changed their offset in the past.
var Zones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
	"Australia/Adelaide", "Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham", "Asia/Tehran",
	"Pacific/Apia", "America/Sao_Paulo", "America/Havana"}

// Channels and Intents are the names random sessions draw from.
var (
	Channels = []string{"rtm", "audiocodes", "korevg", "twiliovoice"}
	Intents  = []string{"Book a Flight", "Cancel", "Check Status", "Refund", "Talk to Agent", "Weather"}
)

// History is the successive states of one session as a store commits them, oldest first. A nil
// entry is an erasure.
type History []*session.State

// Final is the session as it stands after its last commit (nil when erased).
func (h History) Final() *session.State { return h[len(h)-1] }

// RandomHistories makes n sessions ending within span before end, each with a history: first
// incomplete, then completed, then perhaps updated after completion (a late intent, another
// status, a deflection, a producer's timeHandled) and perhaps erased; some stay in progress.
func RandomHistories(rng *rand.Rand, n int, end time.Time, span time.Duration) []History {
	hs := make([]History, n)
	for i := range hs {
		s := &session.State{Key: session.Key{Account: "acc", Bot: "bot", SessionID: fmt.Sprintf("s%d", i)},
			Channel: Channels[rng.IntN(len(Channels))]}
		endT := end.Add(-time.Duration(rng.Int64N(int64(span)))).Truncate(time.Millisecond)
		startT := endT.Add(-randomHandled(rng))
		first := *s
		first.Start = startT
		h := History{&first}
		if rng.IntN(10) == 0 { // still in progress
			hs[i] = h
			continue
		}
		done := first.Clone()
		done.End = endT
		done.Status = session.Statuses[rng.IntN(len(session.Statuses))]
		randomize(rng, &done)
		h = append(h, &done)
		for rng.IntN(3) == 0 { // updated after completion
			next := h.Final().Clone()
			randomize(rng, &next)
			h = append(h, &next)
		}
		if rng.IntN(20) == 0 {
			h = append(h, nil)
		}
		hs[i] = h
	}
	return hs
}

func randomHandled(rng *rand.Rand) time.Duration {
	switch rng.IntN(4) {
	case 0:
		return time.Duration(rng.Int64N(60_000)) * time.Millisecond
	case 1:
		return time.Duration(rng.Int64N(3600)) * time.Second
	case 2:
		return time.Duration(rng.Int64N(200)) * time.Second
	}
	return time.Duration(rng.Int64N(30*86400)) * time.Second
}

// randomize changes what a late event may change: an intent, the status, the deflection, the
// producer's handling time.
func randomize(rng *rand.Rand, s *session.State) {
	switch rng.IntN(4) {
	case 0:
		name := Intents[rng.IntN(len(Intents))]
		if !slices.Contains(s.IntentNames(), name) {
			s.Intents = append(s.Intents, session.Intent{Name: name, At: s.Start})
		}
	case 1:
		s.Status = session.Statuses[rng.IntN(len(session.Statuses))]
	case 2:
		if rng.IntN(2) == 0 {
			s.DeflectedTo = nil
		} else {
			d := Channels[rng.IntN(len(Channels))]
			s.DeflectedTo = &d
		}
	case 3:
		if rng.IntN(3) == 0 {
			s.TimeHandled = nil
		} else {
			th := int64(rng.IntN(5000))
			s.TimeHandled = &th
		}
	}
}

// Table is an in-memory aggregate table: what a store keeps, applied the way a store must.
type Table map[analytics.Key]analytics.Values

// Apply adds a delta: rows missing are inserted, present ones added to, and a row whose
// sessions reach 0 is deleted.
func (t Table) Apply(delta []analytics.Row) error {
	for _, d := range delta {
		v := t[d.Key]
		if err := v.Add(d.Values); err != nil {
			return err
		}
		if v.Sessions == 0 {
			if !v.IsZero() {
				return fmt.Errorf("row %+v: no sessions left but %+v", d.Key, v)
			}
			delete(t, d.Key)
			continue
		}
		t[d.Key] = v
	}
	return nil
}

// Rows lists the table's rows in key order.
func (t Table) Rows() []analytics.Row {
	rows := make([]analytics.Row, 0, len(t))
	for k, v := range t {
		rows = append(rows, analytics.Row{Key: k, Values: v})
	}
	slices.SortFunc(rows, func(a, b analytics.Row) int { return analytics.CompareKeys(&a.Key, &b.Key) })
	return rows
}

// RandomBody is a random valid request body around now: any bucket and zone of Zones, a window
// of at most MaxBuckets buckets within span before now (or the defaults), and random filters.
func RandomBody(rng *rand.Rand, now time.Time, span time.Duration) analytics.Body {
	var b analytics.Body
	bucket := analytics.Buckets[rng.IntN(len(analytics.Buckets))]
	bs := string(bucket)
	b.Bucket = &bs
	zone := Zones[rng.IntN(len(Zones))]
	b.Timezone = &zone
	width := map[analytics.Bucket]time.Duration{analytics.Bucket1m: time.Minute, analytics.Bucket5m: 5 * time.Minute,
		analytics.Bucket15m: 15 * time.Minute, analytics.Bucket1h: time.Hour, analytics.Bucket1d: 24 * time.Hour}[bucket]
	maxLen := min(span, width*(analytics.MaxBuckets-30))
	if rng.IntN(4) > 0 {
		to := now.Add(-time.Duration(rng.Int64N(int64(span / 2)))).Add(time.Duration(rng.Int64N(int64(time.Minute))))
		from := to.Add(-time.Duration(1 + rng.Int64N(int64(maxLen))))
		fs, ts := from.Format(time.RFC3339Nano), to.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339Nano)
		b.From, b.To = &fs, &ts
	}
	if rng.IntN(3) == 0 {
		for _, c := range Channels {
			if rng.IntN(2) == 0 {
				b.Channels = append(b.Channels, c)
			}
		}
		if len(b.Channels) == 0 {
			b.Channels = []string{"RTM"}
		}
	}
	if rng.IntN(4) == 0 {
		in := Intents[rng.IntN(len(Intents))]
		b.Intent = &in
	}
	if rng.IntN(2) == 0 {
		top := 1 + rng.IntN(len(Intents)+1)
		b.Top = &top
	}
	return b
}

// Step is one commit of a session: its state before (nil if new) and after (nil if erased).
type Step struct {
	Session       int // index into the histories
	Before, After *session.State
}

// Interleave orders the commits of all histories randomly, each history's own in order, as
// concurrent producers would deliver them.
func Interleave(rng *rand.Rand, hs []History) []Step {
	var steps []Step
	pos := make([]int, len(hs))
	var open []int
	for i := range hs {
		open = append(open, i)
	}
	for len(open) > 0 {
		k := rng.IntN(len(open))
		i := open[k]
		var before *session.State
		if pos[i] > 0 {
			before = hs[i][pos[i]-1]
		}
		steps = append(steps, Step{Session: i, Before: before, After: hs[i][pos[i]]})
		if pos[i]++; pos[i] == len(hs[i]) {
			open[k] = open[len(open)-1]
			open = open[:len(open)-1]
		}
	}
	return steps
}

// Finals are the sessions as they stand after every history, erased ones left out.
func Finals(hs []History) []session.State {
	var out []session.State
	for _, h := range hs {
		if s := h.Final(); s != nil {
			out = append(out, *s)
		}
	}
	return out
}
