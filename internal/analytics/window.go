package analytics

import (
	"strconv"
	"time"
)

// Bucket is the width of one point of the series, on the wall clock of the request's zone.
type Bucket string

// The accepted bucket widths.
const (
	Bucket1m  Bucket = "1m"
	Bucket5m  Bucket = "5m"
	Bucket15m Bucket = "15m"
	Bucket1h  Bucket = "1h"
	Bucket1d  Bucket = "1d"
)

// Buckets lists the accepted widths in the order error messages show them.
var Buckets = []Bucket{Bucket1m, Bucket5m, Bucket15m, Bucket1h, Bucket1d}

// seconds is the wall-clock width of a sub-day bucket; 0 for 1d, whose edges are local midnights.
func (b Bucket) seconds() int64 {
	switch b {
	case Bucket1m:
		return 60
	case Bucket5m:
		return 300
	case Bucket15m:
		return 900
	case Bucket1h:
		return 3600
	}
	return 0
}

func (b Bucket) valid() bool {
	for _, v := range Buckets {
		if b == v {
			return true
		}
	}
	return false
}

// edger finds bucket edges in one zone. A raw edge is an instant where the zone's wall clock
// reaches a multiple of the bucket width, or where the zone's offset changes (sub-day buckets), or
// the first instant of a local date (1d). The edges a summary uses are raw edges rounded up to
// the UTC minute, because the aggregate rows it sums are UTC minutes; that only moves edges in
// zones whose offset is not a whole number of minutes (local mean time before ~1900), and there
// rounding up lands exactly on the wall-clock edge as AppendTime writes it (offset floored to the
// minute), so the series still reads 12:00, 13:00.
type edger struct {
	loc  *time.Location
	step int64 // seconds; 0 for days
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilMinute(t time.Time) time.Time {
	m := floorDiv(t.Unix(), 60) * 60
	if t.Unix() != m || t.Nanosecond() != 0 {
		m += 60
	}
	return time.Unix(m, 0).UTC()
}

func (e edger) offset(t time.Time) int64 {
	_, off := t.In(e.loc).Zone()
	return int64(off)
}

// nextChange is the first instant after t at which the zone's offset changes (zero if never).
// Changes of the abbreviation alone are skipped: they move no wall clock.
func (e edger) nextChange(t time.Time) time.Time {
	lt := t.In(e.loc)
	_, off := lt.Zone()
	for range 64 {
		_, end := lt.ZoneBounds()
		if end.IsZero() {
			return time.Time{}
		}
		lt = end
		if _, o := lt.Zone(); o != off {
			return end
		}
	}
	return time.Time{}
}

// lastChange is the latest instant at or before t at which the offset became the one in effect
// at t (zero if it never changed).
func (e edger) lastChange(t time.Time) time.Time {
	lt := t.In(e.loc)
	_, off := lt.Zone()
	for range 64 {
		start, _ := lt.ZoneBounds()
		if start.IsZero() {
			return time.Time{}
		}
		before := start.Add(-time.Nanosecond)
		if _, o := before.Zone(); o != off {
			return start
		}
		lt = before
	}
	return time.Time{}
}

// dayStart is the first instant of the local date y-m-d (normalised), which is not midnight
// when midnight was skipped by a change of offset.
func (e edger) dayStart(y int, m time.Month, d int) time.Time {
	n := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	y, m, d = n.Date()
	c := time.Date(y, m, d, 0, 0, 0, 0, e.loc)
	for range 4 { // midnight fell in a gap: the day starts when the new offset does
		cy, cm, cd := c.Date()
		if !dateBefore(cy, cm, cd, y, m, d) {
			break
		}
		nc := e.nextChange(c)
		if nc.IsZero() {
			break
		}
		c = nc.In(e.loc)
	}
	// Midnight repeated by a fall-back: the day starts at its first occurrence.
	if pc := e.lastChange(c); !pc.IsZero() {
		prevOff := e.offset(pc.Add(-time.Nanosecond))
		p := time.Unix(n.Unix()-prevOff, 0)
		if p.Before(pc) && p.Before(c) && e.offset(p) == prevOff {
			c = p
		}
	}
	return c
}

func dateBefore(y1 int, m1 time.Month, d1 int, y2 int, m2 time.Month, d2 int) bool {
	if y1 != y2 {
		return y1 < y2
	}
	if m1 != m2 {
		return m1 < m2
	}
	return d1 < d2
}

// start is the latest raw edge at or before t.
func (e edger) start(t time.Time) time.Time {
	if e.step == 0 {
		y, m, d := t.In(e.loc).Date()
		s := e.dayStart(y, m, d)
		for s.After(t) { // t lies in a stretch that repeats an earlier date
			d--
			s = e.dayStart(y, m, d)
		}
		for {
			n := e.dayStart(y, m, d+1)
			if n.After(t) {
				return s
			}
			s, d = n, d+1
		}
	}
	off := e.offset(t)
	wall := floorDiv(t.Unix()+off, e.step) * e.step
	c := time.Unix(wall-off, 0)
	if lc := e.lastChange(t); !lc.IsZero() && lc.After(c) {
		c = lc
	}
	return c
}

// next is the first raw edge after the raw edge t.
func (e edger) next(t time.Time) time.Time {
	if e.step == 0 {
		y, m, d := t.In(e.loc).Date()
		for i := 1; ; i++ {
			if n := e.dayStart(y, m, d+i); n.After(t) {
				return n
			}
		}
	}
	off := e.offset(t)
	wall := floorDiv(t.Unix()+off, e.step)*e.step + e.step
	c := time.Unix(wall-off, 0)
	if nc := e.nextChange(t); !nc.IsZero() && nc.Before(c) {
		c = nc
	}
	return c
}

// window returns the edges of the narrowest run of buckets that covers [from, to): len = buckets+1.
// ok is false when that run has more than max buckets.
func (e edger) window(from, to time.Time, max int) (edges []time.Time, ok bool) {
	raw := e.start(from)
	for ceilMinute(raw).After(from) {
		raw = e.start(raw.Add(-time.Nanosecond))
	}
	edges = append(edges, ceilMinute(raw))
	for edges[len(edges)-1].Before(to) {
		raw = e.next(raw)
		f := ceilMinute(raw)
		switch {
		case !f.After(from):
			edges[0] = f
		case f.Equal(edges[len(edges)-1]):
		default:
			if len(edges) > max {
				return nil, false
			}
			edges = append(edges, f)
		}
	}
	return edges, true
}

// back returns the edges of the n buckets just before edge (len = n+1, edge last).
func (e edger) back(edge time.Time, n int) []time.Time {
	edges := make([]time.Time, n+1)
	edges[n] = edge
	for i := n - 1; i >= 0; i-- {
		raw := e.start(edges[i+1].Add(-time.Nanosecond))
		for !ceilMinute(raw).Before(edges[i+1]) {
			raw = e.start(raw.Add(-time.Nanosecond))
		}
		edges[i] = ceilMinute(raw)
	}
	return edges
}

// AppendTime appends t as YYYY-MM-DDTHH:MM:SS.mmm±HH:MM in loc's offset at that instant. An
// offset with seconds (local mean time) is floored to whole minutes and the wall clock shown in
// that offset, so the string still names exactly the instant t.
func AppendTime(b []byte, t time.Time, loc *time.Location) []byte {
	_, o := t.In(loc).Zone()
	off := int(floorDiv(int64(o), 60) * 60)
	b = t.UTC().Add(time.Duration(off)*time.Second).AppendFormat(b, "2006-01-02T15:04:05.000")
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = appendTwo(b, off/3600)
	b = append(b, ':')
	return appendTwo(b, off%3600/60)
}

func appendTwo(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}
