package analytics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBinValueWithinTolerance checks every second up to past 30 days, and samples beyond: the
// value a bin reports is within max(1 s, 2 %) of every value it holds.
func TestBinValueWithinTolerance(t *testing.T) {
	check := func(sec int64) {
		got := BinValue(Bin(sec))
		if math.Abs(got-float64(sec)) > math.Max(1, 0.02*float64(sec)) {
			t.Fatalf("%d s: bin %d reports %g", sec, Bin(sec), got)
		}
	}
	for sec := int64(0); sec <= 31*86400; sec++ {
		check(sec)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		check(rng.Int64N(histCap))
	}
	check(histCap - 1)
	if Bin(-5) != 0 || Bin(math.MaxInt64) != numBins-1 {
		t.Fatal("out-of-range values must clamp to the first and last bins")
	}
	t.Logf("%d bins", numBins)
}

func TestHistAddSubEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dense := make([]int64, numBins)
	var h Hist
	for range 2000 {
		sec := rng.Int64N(5000)
		d := NewHist(sec)
		var err error
		if rng.IntN(3) == 0 && dense[Bin(sec)] > 0 {
			h, err = h.Sub(d)
			dense[Bin(sec)]--
		} else {
			h, err = h.Add(d)
			dense[Bin(sec)]++
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	got := make([]int64, numBins)
	if err := h.addTo(got, 1); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, dense) {
		t.Fatal("histogram differs from the dense reference")
	}
	neg, _ := h.Neg()
	if z, err := h.Add(neg); err != nil || z != nil {
		t.Fatalf("h + -h = %v, %v; want nil", z, err)
	}
	for _, bad := range []Hist{{2}, {1, 0, 2}, {1, 1}, {1, 1, 0}, {1, 0xff, 0xff, 0xff, 0xff, 0x7f, 2}} {
		if _, err := bad.Add(nil); err == nil {
			t.Fatalf("%v: accepted", bad)
		}
	}
	// The one-bin fast path of addTo agrees with the general decoder, negative counts included.
	for _, n := range []int64{1, -1, 3, -3, 63, -64} {
		one := appendBin(Hist{histVersion}, -1, 17, n)
		fast, slow := make([]int64, numBins), make([]int64, numBins)
		if err := one.addTo(fast, 1); err != nil {
			t.Fatal(err)
		}
		_ = one.Each(func(bin int, c int64) { slow[bin] += c })
		if !slices.Equal(fast, slow) || fast[17] != n {
			t.Fatalf("count %d: fast path %d, decoder %d", n, fast[17], slow[17])
		}
	}
	if len(NewHist(17)) != 3 {
		t.Fatalf("one session's histogram takes %d bytes, want 3", len(NewHist(17)))
	}
}

func TestPercentileNearestRank(t *testing.T) {
	d := make([]int64, numBins)
	for _, s := range []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} {
		d[Bin(s)]++
	}
	if p50, p90 := percentile(d, 10, 50), percentile(d, 10, 90); p50 != 5 || p90 != 9 {
		t.Fatalf("p50 %g p90 %g, want 5 and 9", p50, p90)
	}
	if percentile(d, 0, 50) != 0 {
		t.Fatal("no sessions: want 0")
	}
}
