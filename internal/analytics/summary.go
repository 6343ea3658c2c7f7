package analytics

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Figures are the counts of a set of sessions and their handling time. Rates are derived from
// the counts when the figures are written.
type Figures struct {
	Sessions      int64
	Completed     int64
	Dropoff       int64
	AgentTransfer int64
	Error         int64
	Deflected     int64
	NoIntent      int64
	HandledAvg    float64 // seconds, rounded to 0.01
	HandledP50    float64 // seconds, within max(1 s, 2 %) of the nearest-rank percentile
	HandledP90    float64
}

// Rate is n ÷ Sessions, 0 when there are no sessions.
func (f *Figures) Rate(n int64) float64 {
	if f.Sessions == 0 {
		return 0
	}
	return float64(n) / float64(f.Sessions)
}

// Named are the figures of one intent or channel.
type Named struct {
	Name string
	Figures
}

// Point is one bucket of the series.
type Point struct {
	Start time.Time
	Figures
}

// Deflection counts the sessions deflected to one channel.
type Deflection struct {
	Channel  string
	Sessions int64
}

// Summary is the answer of docs/api.md §6.
type Summary struct {
	From, To    time.Time
	Bucket      Bucket
	Zone        string
	Location    *time.Location
	Totals      Figures
	Previous    Figures
	Intents     []Named // top intents by sessions desc, ties by name asc
	Channels    []Named // by sessions desc, ties by name asc
	DeflectedTo []Deflection
	Series      []Point
	InProgress  int64
	AsOf        time.Time
}

// NewSummary is a summary of req with empty figures: its window, its series of empty buckets
// and, with an intent filter, that intent alone in Intents.
func NewSummary(req *Request, inProgress int64, asOf time.Time) Summary {
	s := Summary{From: req.From, To: req.To, Bucket: req.Bucket, Zone: req.Zone, Location: req.Location,
		InProgress: inProgress, AsOf: asOf, Intents: []Named{}, Channels: []Named{}, DeflectedTo: []Deflection{},
		Series: make([]Point, req.Buckets())}
	for i := range s.Series {
		s.Series[i].Start = req.Edges[i]
	}
	if req.Intent != "" {
		s.Intents = append(s.Intents, Named{Name: req.Intent})
	}
	return s
}

// counter accumulates the counts of Figures and a dense histogram.
type counter struct {
	f    Figures
	sum  int64
	hist []int64
}

func (c *counter) add(r *Row) error {
	c.f.Sessions += r.Sessions
	switch r.Status {
	case session.StatusCompleted:
		c.f.Completed += r.Sessions
	case session.StatusDropoff:
		c.f.Dropoff += r.Sessions
	case session.StatusAgentTransfer:
		c.f.AgentTransfer += r.Sessions
	case session.StatusError:
		c.f.Error += r.Sessions
	}
	if r.DeflectedTo != "" {
		c.f.Deflected += r.Sessions
	}
	c.f.NoIntent += r.NoIntent
	c.sum += r.HandledSum
	if c.hist != nil {
		return r.Hist.addTo(c.hist, 1)
	}
	return nil
}

// figures finishes the figures: average and percentiles.
func (c *counter) figures() Figures {
	f := c.f
	if f.Sessions > 0 {
		f.HandledAvg = Avg(c.sum, f.Sessions)
		if c.hist != nil {
			f.HandledP50 = percentile(c.hist, f.Sessions, 50)
			f.HandledP90 = percentile(c.hist, f.Sessions, 90)
		}
	}
	return f
}

// Avg is the average handling time as a summary shows it: sum ÷ n rounded to 0.01 s.
func Avg(sum, n int64) float64 {
	return math.Round(float64(sum)/float64(n)*100) / 100
}

// Summarize assembles the summary of req from aggregate rows covering at least
// req.MinuteRange(); rows the request does not want are skipped, so a store may hand over
// more than it must. inProgress is counted by the store (see InProgressSince).
func Summarize(req *Request, rows []Row, inProgress int64, asOf time.Time) (Summary, error) {
	s := NewSummary(req, inProgress, asOf)
	from, to, prevFrom := MinuteOf(req.From), MinuteOf(req.To), MinuteOf(req.PrevFrom)
	edges := make([]int64, len(req.Edges))
	for i, e := range req.Edges {
		edges[i] = MinuteOf(e)
	}
	hist := make([]int64, 3*numBins) // totals, previous, scratch for the series
	totals := counter{hist: hist[:numBins:numBins]}
	prev := counter{hist: hist[numBins : 2*numBins : 2*numBins]}
	scratch := hist[2*numBins:]

	var channels, intents []counter
	chIdx, inIdx := map[string]int{}, map[string]int{}
	var chNames, inNames []string
	deflected := map[string]int64{}
	series := seriesBuilder{points: s.Series, scratch: scratch, cur: -1}
	sorted := true // by minute, as a store reads rows along its primary key: the series streams
	for i := 1; i < len(rows) && sorted; i++ {
		sorted = rows[i-1].Minute <= rows[i].Minute
	}
	var pending []uint64 // otherwise: bucket<<32 | row index, sorted afterwards

	for i := range rows {
		r := &rows[i]
		if r.Minute < prevFrom || r.Minute >= to || !req.channelOK(r.Channel) {
			continue
		}
		own := r.Intent == req.Intent
		if r.Minute < from {
			if own {
				if err := prev.add(r); err != nil {
					return s, err
				}
			}
			continue
		}
		if !own {
			if req.Intent == "" { // a named row, for the intents list
				j, ok := inIdx[r.Intent]
				if !ok {
					j = len(intents)
					inIdx[r.Intent] = j
					inNames = append(inNames, r.Intent)
					intents = append(intents, counter{})
				}
				if err := intents[j].add(r); err != nil {
					return s, err
				}
			}
			continue
		}
		if err := totals.add(r); err != nil {
			return s, err
		}
		j, ok := chIdx[r.Channel]
		if !ok {
			j = len(channels)
			chIdx[r.Channel] = j
			chNames = append(chNames, r.Channel)
			channels = append(channels, counter{hist: make([]int64, numBins)})
		}
		if err := channels[j].add(r); err != nil {
			return s, err
		}
		if r.DeflectedTo != "" {
			deflected[r.DeflectedTo] += r.Sessions
		}
		b := sort.Search(len(edges), func(k int) bool { return edges[k] > r.Minute }) - 1
		if !sorted {
			pending = append(pending, uint64(b)<<32|uint64(i))
		} else if err := series.add(b, r); err != nil {
			return s, err
		}
	}
	s.Totals = totals.figures()
	s.Previous = prev.figures()
	slices.Sort(pending)
	for _, p := range pending {
		if err := series.add(int(p>>32), &rows[uint32(p)]); err != nil {
			return s, err
		}
	}
	series.flush()

	for j, c := range channels {
		s.Channels = append(s.Channels, Named{chNames[j], c.figures()})
	}
	slices.SortFunc(s.Channels, byNamedSessions)
	for name, n := range deflected {
		s.DeflectedTo = append(s.DeflectedTo, Deflection{name, n})
	}
	slices.SortFunc(s.DeflectedTo, func(a, b Deflection) int {
		return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), cmp.Compare(a.Channel, b.Channel))
	})

	if req.Intent != "" {
		s.Intents[0].Figures = s.Totals
		return s, nil
	}
	// Intents: rank by counts first, then build histograms only for the top ones.
	rank := make([]int, len(intents))
	for j := range rank {
		rank[j] = j
	}
	slices.SortFunc(rank, func(a, b int) int {
		return cmp.Or(cmp.Compare(intents[b].f.Sessions, intents[a].f.Sessions), cmp.Compare(inNames[a], inNames[b]))
	})
	rank = rank[:min(len(rank), req.Top)]
	top := make([]counter, len(rank))
	slot := make(map[string]int, len(rank))
	topHist := make([]int64, len(rank)*numBins)
	for k, j := range rank {
		top[k].hist = topHist[k*numBins : (k+1)*numBins : (k+1)*numBins]
		slot[inNames[j]] = k
	}
	for i := range rows {
		r := &rows[i]
		if r.Intent == "" || r.Minute < from || r.Minute >= to || !req.channelOK(r.Channel) {
			continue
		}
		if k, ok := slot[r.Intent]; ok {
			if err := top[k].add(r); err != nil {
				return s, err
			}
		}
	}
	for k, j := range rank {
		s.Intents = append(s.Intents, Named{inNames[j], top[k].figures()})
	}
	return s, nil
}

// seriesBuilder sums the rows of each bucket into one scratch histogram at a time; rows must
// come bucket by bucket.
type seriesBuilder struct {
	points  []Point
	scratch []int64
	cur     int // the bucket being summed; -1 before the first
	c       counter
}

func (sb *seriesBuilder) add(bucket int, r *Row) error {
	if bucket != sb.cur {
		sb.flush()
		sb.cur = bucket
		clear(sb.scratch)
		sb.c = counter{hist: sb.scratch}
	}
	return sb.c.add(r)
}

func (sb *seriesBuilder) flush() {
	if sb.cur >= 0 {
		sb.points[sb.cur].Figures = sb.c.figures()
	}
}

func byNamedSessions(a, b Named) int {
	return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), cmp.Compare(a.Name, b.Name))
}
