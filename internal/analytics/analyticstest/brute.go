// Package analyticstest holds what tests of the summary share, here and in the store
// conformance suite: a brute-force summary computed straight from sessions, random sessions and
// requests, an in-memory aggregate table that applies deltas the way a store must, and a
// comparison that allows the histogram's tolerance on percentiles.
package analyticstest

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
)

// BruteForce is the summary of req over the sessions as they are now, computed directly:
// exact nearest-rank percentiles, no aggregates. inProgress follows docs/analytics.md: start
// known, end unknown, start at or after analytics.InProgressSince(asOf), channel filter applied.
func BruteForce(req *analytics.Request, sessions []session.State, asOf time.Time) analytics.Summary {
	sum := analytics.NewSummary(req, inProgress(req, sessions, asOf), asOf)
	cur, prev := windows(req, sessions)
	sum.Totals = figures(cur)
	sum.Previous = figures(prev)
	for i := range sum.Series {
		var in []*session.State
		for _, s := range cur {
			if !s.End.Before(req.Edges[i]) && s.End.Before(req.Edges[i+1]) {
				in = append(in, s)
			}
		}
		sum.Series[i].Figures = figures(in)
	}
	breakdown(req, &sum, cur)
	return sum
}

// inProgress counts the sessions with a start and no end since analytics.InProgressSince.
func inProgress(req *analytics.Request, sessions []session.State, asOf time.Time) int64 {
	var n int64
	for i := range sessions {
		s := &sessions[i]
		if !s.Start.IsZero() && s.End.IsZero() && !s.Start.Before(analytics.InProgressSince(asOf)) && channelOK(req, s.Channel) {
			n++
		}
	}
	return n
}

// windows picks the completed sessions the filters keep, in the window and in the previous one.
func windows(req *analytics.Request, sessions []session.State) (cur, prev []*session.State) {
	for i := range sessions {
		s := &sessions[i]
		if !s.Completed() || !channelOK(req, s.Channel) || (req.Intent != "" && !slices.Contains(s.IntentNames(), req.Intent)) {
			continue
		}
		switch end := analytics.MinuteTime(analytics.MinuteOf(s.End)); {
		case !end.Before(req.PrevFrom) && end.Before(req.From):
			prev = append(prev, s)
		case !end.Before(req.From) && end.Before(req.To):
			cur = append(cur, s)
		}
	}
	return cur, prev
}

// breakdown fills the channels, deflection targets and intents of the window's sessions.
func breakdown(req *analytics.Request, sum *analytics.Summary, cur []*session.State) {
	byChannel := map[string][]*session.State{}
	byIntent := map[string][]*session.State{}
	deflected := map[string]int64{}
	for _, s := range cur {
		byChannel[s.Channel] = append(byChannel[s.Channel], s)
		for _, n := range s.IntentNames() {
			byIntent[n] = append(byIntent[n], s)
		}
		if s.DeflectedTo != nil {
			deflected[*s.DeflectedTo]++
		}
	}
	for name, ss := range byChannel {
		sum.Channels = append(sum.Channels, analytics.Named{Name: name, Figures: figures(ss)})
	}
	slices.SortFunc(sum.Channels, byRank)
	for name, n := range deflected {
		sum.DeflectedTo = append(sum.DeflectedTo, analytics.Deflection{Channel: name, Sessions: n})
	}
	slices.SortFunc(sum.DeflectedTo, func(a, b analytics.Deflection) int {
		return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), cmp.Compare(a.Channel, b.Channel))
	})
	if req.Intent != "" {
		sum.Intents[0].Figures = sum.Totals
		return
	}
	for name, ss := range byIntent {
		sum.Intents = append(sum.Intents, analytics.Named{Name: name, Figures: figures(ss)})
	}
	slices.SortFunc(sum.Intents, byRank)
	sum.Intents = sum.Intents[:min(len(sum.Intents), req.Top)]
}

func channelOK(req *analytics.Request, c string) bool {
	return len(req.Channels) == 0 || slices.Contains(req.Channels, c)
}

func byRank(a, b analytics.Named) int {
	return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), cmp.Compare(a.Name, b.Name))
}

func figures(ss []*session.State) analytics.Figures {
	var f analytics.Figures
	var sum int64
	secs := make([]int64, 0, len(ss))
	for _, s := range ss {
		f.Sessions++
		switch s.Status {
		case session.StatusCompleted:
			f.Completed++
		case session.StatusDropoff:
			f.Dropoff++
		case session.StatusAgentTransfer:
			f.AgentTransfer++
		case session.StatusError:
			f.Error++
		}
		if s.DeflectedTo != nil {
			f.Deflected++
		}
		if len(s.Intents) == 0 {
			f.NoIntent++
		}
		sec := max(s.HandledSeconds(), 0)
		sum += sec
		secs = append(secs, sec)
	}
	if f.Sessions == 0 {
		return f
	}
	slices.Sort(secs)
	f.HandledAvg = analytics.Avg(sum, f.Sessions)
	f.HandledP50 = float64(Percentile(secs, 50))
	f.HandledP90 = float64(Percentile(secs, 90))
	return f
}

// Percentile is the exact nearest-rank p-th percentile of sorted values: the ⌈p·n/100⌉-th smallest.
func Percentile(sorted []int64, p int64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := max((p*int64(len(sorted))+99)/100, 1)
	return sorted[rank-1]
}

// Within reports whether a histogram percentile got is within the contract's tolerance of the
// exact one: 1 s or 2 %, whichever is larger.
func Within(got, exact float64) bool {
	return math.Abs(got-exact) <= math.Max(1, 0.02*exact)+1e-9
}

// Compare returns an error describing the first difference between a summary from aggregates
// (got) and the brute force (want): everything must be equal except p50/p90, which must be
// Within tolerance.
func Compare(got, want *analytics.Summary) error {
	switch {
	case !got.From.Equal(want.From) || !got.To.Equal(want.To) || got.Bucket != want.Bucket || got.Zone != want.Zone:
		return fmt.Errorf("window: got %s–%s %s %s, want %s–%s %s %s", got.From, got.To, got.Bucket, got.Zone, want.From, want.To, want.Bucket, want.Zone)
	case got.InProgress != want.InProgress:
		return fmt.Errorf("inProgress: got %d, want %d", got.InProgress, want.InProgress)
	}
	if err := compareFigures("totals", &got.Totals, &want.Totals); err != nil {
		return err
	}
	if err := compareFigures("previous", &got.Previous, &want.Previous); err != nil {
		return err
	}
	if err := compareNamed("intents", got.Intents, want.Intents); err != nil {
		return err
	}
	if err := compareNamed("channels", got.Channels, want.Channels); err != nil {
		return err
	}
	if !slices.Equal(got.DeflectedTo, want.DeflectedTo) {
		return fmt.Errorf("deflectedTo: got %v, want %v", got.DeflectedTo, want.DeflectedTo)
	}
	if len(got.Series) != len(want.Series) {
		return fmt.Errorf("series: got %d buckets, want %d", len(got.Series), len(want.Series))
	}
	for i := range got.Series {
		g, w := &got.Series[i], &want.Series[i]
		if !g.Start.Equal(w.Start) {
			return fmt.Errorf("series[%d]: start %s, want %s", i, g.Start, w.Start)
		}
		if err := compareFigures(fmt.Sprintf("series[%d]", i), &g.Figures, &w.Figures); err != nil {
			return err
		}
	}
	return nil
}

func compareNamed(what string, got, want []analytics.Named) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: got %d, want %d (%v vs %v)", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i].Name != want[i].Name {
			return fmt.Errorf("%s[%d]: got %q, want %q", what, i, got[i].Name, want[i].Name)
		}
		if err := compareFigures(what+"["+got[i].Name+"]", &got[i].Figures, &want[i].Figures); err != nil {
			return err
		}
	}
	return nil
}

func compareFigures(what string, got, want *analytics.Figures) error {
	g, w := *got, *want
	okP := Within(g.HandledP50, w.HandledP50) && Within(g.HandledP90, w.HandledP90)
	g.HandledP50, g.HandledP90, w.HandledP50, w.HandledP90 = 0, 0, 0, 0
	if g != w || !okP {
		return fmt.Errorf("%s: got %+v, want %+v", what, *got, *want)
	}
	return nil
}
