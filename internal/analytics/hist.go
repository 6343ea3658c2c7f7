package analytics

import (
	"encoding/binary"
	"errors"
	"sort"
)

// The handling-time histogram. Bin i holds the whole seconds [binLow[i], binLow[i+1]): one bin
// per second below exactBelow, then bins of width floor(low/25), so that the bin's midpoint is
// within 2 % of any value in it (see BinValue). The bins reach histCap seconds (544 years, past
// anything a session can hold: timeHandled ≤ 100 years, end − start ≤ 292 years); a value
// beyond it is counted in the last bin, and a percentile that lands there reports that bin's
// middle. See docs/analytics.md.
const (
	exactBelow = 50
	histCap    = 1 << 34
)

var binLow = func() []int64 {
	var lows []int64
	for lo := int64(0); lo < histCap; lo += max(1, lo/25) {
		lows = append(lows, lo)
	}
	return lows
}()

// numBins is the number of bins of the histogram: the length of every dense histogram.
var numBins = len(binLow)

// Bin is the histogram bin of sec whole seconds (negative counts as 0).
func Bin(sec int64) int {
	switch {
	case sec < exactBelow:
		return int(max(sec, 0))
	case sec >= histCap:
		return len(binLow) - 1
	}
	return sort.Search(len(binLow), func(i int) bool { return binLow[i] > sec }) - 1
}

// BinValue is what a percentile that falls in bin i reports: the middle of its whole seconds,
// rounded down to a whole second, so that percentiles read like the handling times they
// summarise. A bin of width w (≤ low/25) is then off by at most ⌈(w−1)/2⌉ ≤ w/2 ≤ 0.02·low.
func BinValue(i int) float64 {
	hi := int64(histCap)
	if i+1 < len(binLow) {
		hi = binLow[i+1]
	}
	return float64(binLow[i] + (hi-1-binLow[i])/2)
}

// Hist is a sparse histogram in its stored form: empty when every count is 0, otherwise a
// version byte (1) then, per non-zero bin in ascending order, the bin's distance from the
// previous one (the first from -1) as a uvarint and its count as a zigzag varint. Counts may be
// negative in a delta. A store persists it as bytes and never needs to look inside.
type Hist []byte

const histVersion = 1

// ErrBadHist is returned for bytes that are not a Hist this version wrote.
var ErrBadHist = errors.New("analytics: malformed histogram")

// NewHist is the histogram of one session handled for sec seconds.
func NewHist(sec int64) Hist {
	return appendBin(Hist{histVersion}, -1, Bin(sec), 1)
}

func appendBin(h Hist, prev, bin int, n int64) Hist {
	h = binary.AppendUvarint(h, uint64(bin-prev))
	return binary.AppendVarint(h, n)
}

// histReader walks the bins of a Hist without allocating.
type histReader struct {
	h   Hist
	pos int
	bin int
}

func newHistReader(h Hist) (histReader, error) {
	if len(h) == 0 {
		return histReader{bin: -1}, nil
	}
	if h[0] != histVersion {
		return histReader{}, ErrBadHist
	}
	return histReader{h: h, pos: 1, bin: -1}, nil
}

// next returns the next non-zero bin; ok is false at the end.
func (r *histReader) next() (bin int, n int64, ok bool, err error) {
	if r.pos >= len(r.h) {
		return 0, 0, false, nil
	}
	d, k := binary.Uvarint(r.h[r.pos:])
	if k <= 0 || d == 0 || d > uint64(len(binLow)) {
		return 0, 0, false, ErrBadHist
	}
	r.pos += k
	n, k = binary.Varint(r.h[r.pos:])
	if k <= 0 || n == 0 || r.bin+int(d) >= len(binLow) {
		return 0, 0, false, ErrBadHist
	}
	r.pos += k
	r.bin += int(d)
	return r.bin, n, true, nil
}

// Each calls f for every non-zero bin in ascending order.
func (h Hist) Each(f func(bin int, n int64)) error {
	r, err := newHistReader(h)
	if err != nil {
		return err
	}
	for {
		bin, n, ok, err := r.next()
		if err != nil || !ok {
			return err
		}
		f(bin, n)
	}
}

// addTo adds the counts of h, times sign, to the dense histogram d (len numBins).
func (h Hist) addTo(d []int64, sign int64) error {
	// Most rows hold a few sessions in one bin: one byte of bin, one of count.
	if len(h) == 3 && h[0] == histVersion && h[1] > 0 && h[1] < 0x80 && h[2] < 0x80 && h[2] != 0 {
		n := int64(h[2] >> 1)
		if h[2]&1 != 0 {
			n = ^n
		}
		d[h[1]-1] += sign * n
		return nil
	}
	r, err := newHistReader(h)
	if err != nil {
		return err
	}
	for {
		bin, n, ok, err := r.next()
		if err != nil || !ok {
			return err
		}
		d[bin] += sign * n
	}
}

// Add returns the histogram h + d; bins whose counts cancel are dropped, and nil is returned
// when every count is 0.
func (h Hist) Add(d Hist) (Hist, error) { return merge(h, d, 1) }

// Sub returns the histogram h − d.
func (h Hist) Sub(d Hist) (Hist, error) { return merge(h, d, -1) }

// Neg returns the histogram −h.
func (h Hist) Neg() (Hist, error) { return merge(nil, h, -1) }

func merge(a, b Hist, sign int64) (Hist, error) {
	ra, err := newHistReader(a)
	if err != nil {
		return nil, err
	}
	rb, err := newHistReader(b)
	if err != nil {
		return nil, err
	}
	ba, na, oka, err := ra.next()
	if err != nil {
		return nil, err
	}
	bb, nb, okb, err := rb.next()
	if err != nil {
		return nil, err
	}
	out := make(Hist, 1, len(a)+len(b)+1)
	out[0] = histVersion
	prev := -1
	for oka || okb {
		var bin int
		var n int64
		switch {
		case oka && (!okb || ba < bb):
			bin, n = ba, na
			ba, na, oka, err = ra.next()
		case okb && (!oka || bb < ba):
			bin, n = bb, sign*nb
			bb, nb, okb, err = rb.next()
		default:
			bin, n = ba, na+sign*nb
			if ba, na, oka, err = ra.next(); err == nil {
				bb, nb, okb, err = rb.next()
			}
		}
		if err != nil {
			return nil, err
		}
		if n != 0 {
			out = appendBin(out, prev, bin, n)
			prev = bin
		}
	}
	if len(out) == 1 {
		return nil, nil
	}
	return out, nil
}

// percentile is the nearest-rank p-th percentile (p in 1..100) of the n values counted in the
// dense histogram d, as its bin's value: the bin holding the ⌈p·n/100⌉-th smallest value.
func percentile(d []int64, n int64, p int64) float64 {
	if n <= 0 {
		return 0
	}
	rank := max((p*n+99)/100, 1)
	var cum int64
	for i, c := range d {
		cum += c
		if cum >= rank {
			return BinValue(i)
		}
	}
	return BinValue(len(d) - 1)
}
