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
	a := newAssembler(req, rows, inProgress, asOf)
	for i := range rows {
		if err := a.add(i); err != nil {
			return a.s, err
		}
	}
	if err := a.finishSeries(); err != nil {
		return a.s, err
	}
	a.finishChannels()
	if req.Intent != "" {
		a.s.Intents[0].Figures = a.s.Totals
		return a.s, nil
	}
	return a.s, a.finishIntents()
}

// assembler holds what Summarize accumulates over the rows, one counter per part of the
// answer; its histograms share few allocations.
type assembler struct {
	req                *Request
	rows               []Row
	s                  Summary
	from, to, prevFrom int64
	edges              []int64 // bucket starts, in minutes
	totals, prev       counter

	channels, intents []counter
	chIdx, inIdx      map[string]int
	chNames, inNames  []string
	deflected         map[string]int64

	series  seriesBuilder
	sorted  bool     // rows come by minute, as a store reads them along its primary key: the series streams
	pending []uint64 // otherwise: bucket<<32 | row index, sorted afterwards
}

func newAssembler(req *Request, rows []Row, inProgress int64, asOf time.Time) *assembler {
	a := &assembler{req: req, rows: rows, s: NewSummary(req, inProgress, asOf),
		from: MinuteOf(req.From), to: MinuteOf(req.To), prevFrom: MinuteOf(req.PrevFrom),
		chIdx: map[string]int{}, inIdx: map[string]int{}, deflected: map[string]int64{}, sorted: true}
	a.edges = make([]int64, len(req.Edges))
	for i, e := range req.Edges {
		a.edges[i] = MinuteOf(e)
	}
	hist := make([]int64, 3*numBins) // totals, previous, scratch for the series
	a.totals = counter{hist: hist[:numBins:numBins]}
	a.prev = counter{hist: hist[numBins : 2*numBins : 2*numBins]}
	a.series = seriesBuilder{points: a.s.Series, scratch: hist[2*numBins:], cur: -1}
	for i := 1; i < len(rows) && a.sorted; i++ {
		a.sorted = rows[i-1].Minute <= rows[i].Minute
	}
	return a
}

// add counts row i where it belongs: the previous window, the intents list (a named row when
// no intent is asked for), or the window's own figures.
func (a *assembler) add(i int) error {
	r := &a.rows[i]
	if r.Minute < a.prevFrom || r.Minute >= a.to || !a.req.channelOK(r.Channel) {
		return nil
	}
	own := r.Intent == a.req.Intent
	switch {
	case r.Minute < a.from && own:
		return a.prev.add(r)
	case r.Minute < a.from:
		return nil
	case !own && a.req.Intent == "":
		return named(&a.intents, a.inIdx, &a.inNames, r.Intent, false).add(r)
	case !own:
		return nil
	}
	return a.addOwn(i, r)
}

// addOwn counts a row of the window into the totals, its channel, its deflection and its
// bucket of the series.
func (a *assembler) addOwn(i int, r *Row) error {
	if err := a.totals.add(r); err != nil {
		return err
	}
	if err := named(&a.channels, a.chIdx, &a.chNames, r.Channel, true).add(r); err != nil {
		return err
	}
	if r.DeflectedTo != "" {
		a.deflected[r.DeflectedTo] += r.Sessions
	}
	b := sort.Search(len(a.edges), func(k int) bool { return a.edges[k] > r.Minute }) - 1
	if !a.sorted {
		a.pending = append(a.pending, uint64(b)<<32|uint64(i))
		return nil
	}
	return a.series.add(b, r)
}

// named returns the counter of name in list, adding one the first time (with a histogram of
// its own when withHist: the intents get theirs only once ranked, see finishIntents).
func named(list *[]counter, idx map[string]int, names *[]string, name string, withHist bool) *counter {
	j, ok := idx[name]
	if !ok {
		j = len(*list)
		idx[name] = j
		*names = append(*names, name)
		c := counter{}
		if withHist {
			c.hist = make([]int64, numBins)
		}
		*list = append(*list, c)
	}
	return &(*list)[j]
}

// finishSeries finishes the totals, the previous window and the series (summing the rows
// that came out of minute order now).
func (a *assembler) finishSeries() error {
	a.s.Totals = a.totals.figures()
	a.s.Previous = a.prev.figures()
	slices.Sort(a.pending)
	for _, p := range a.pending {
		if err := a.series.add(int(p>>32), &a.rows[uint32(p)]); err != nil {
			return err
		}
	}
	a.series.flush()
	return nil
}

// finishChannels orders the channels and the deflection targets.
func (a *assembler) finishChannels() {
	for j, c := range a.channels {
		a.s.Channels = append(a.s.Channels, Named{a.chNames[j], c.figures()})
	}
	slices.SortFunc(a.s.Channels, byNamedSessions)
	for name, n := range a.deflected {
		a.s.DeflectedTo = append(a.s.DeflectedTo, Deflection{name, n})
	}
	slices.SortFunc(a.s.DeflectedTo, func(x, y Deflection) int {
		return cmp.Or(cmp.Compare(y.Sessions, x.Sessions), cmp.Compare(x.Channel, y.Channel))
	})
}

// finishIntents ranks the intents by counts first, then builds histograms only for the top
// ones, in a second pass over their rows.
func (a *assembler) finishIntents() error {
	rank := make([]int, len(a.intents))
	for j := range rank {
		rank[j] = j
	}
	slices.SortFunc(rank, func(x, y int) int {
		return cmp.Or(cmp.Compare(a.intents[y].f.Sessions, a.intents[x].f.Sessions), cmp.Compare(a.inNames[x], a.inNames[y]))
	})
	rank = rank[:min(len(rank), a.req.Top)]
	top := make([]counter, len(rank))
	slot := make(map[string]int, len(rank))
	topHist := make([]int64, len(rank)*numBins)
	for k, j := range rank {
		top[k].hist = topHist[k*numBins : (k+1)*numBins : (k+1)*numBins]
		slot[a.inNames[j]] = k
	}
	for i := range a.rows {
		r := &a.rows[i]
		if r.Intent == "" || r.Minute < a.from || r.Minute >= a.to || !a.req.channelOK(r.Channel) {
			continue
		}
		if k, ok := slot[r.Intent]; ok {
			if err := top[k].add(r); err != nil {
				return err
			}
		}
	}
	for k, j := range rank {
		a.s.Intents = append(a.s.Intents, Named{a.inNames[j], top[k].figures()})
	}
	return nil
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
