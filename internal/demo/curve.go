package demo

import (
	"math"
	"time"
)

// PeakPerMinute is how many sessions end a minute at the busiest time of the demo's day.
const PeakPerMinute = 24

// SpikeIntent is the intent that spikes now and then, as a real one does when something goes
// wrong (a card scheme outage: everyone calls to report a lost card).
const SpikeIntent = "Report Lost Card"

// PerMinute is the demo's rate of sessions a minute at t: a contact center's day in UTC — quiet
// at night, a morning peak near 10:30, a second after lunch near 15:00, a smaller evening one —
// plus the spikes. Backfill and live traffic share it, so the history and the present agree.
func PerMinute(t time.Time) float64 {
	h := float64(t.UTC().Hour()) + float64(t.UTC().Minute())/60
	bump := func(at, width, height float64) float64 {
		d := h - at
		return height * math.Exp(-d*d/(2*width*width))
	}
	day := 0.08 + bump(10.5, 1.8, 0.92) + bump(15, 1.6, 0.85) + bump(19.5, 1.2, 0.35)
	rate := PeakPerMinute * math.Min(1, day)
	if Spiking(t) {
		rate += spikeExtra(t)
	}
	return rate
}

// Spiking reports whether SpikeIntent is spiking at t: for 24 minutes in every 3 hours, from
// 01:12, 04:12, 07:12 … UTC.
func Spiking(t time.Time) bool {
	m := (t.UTC().Hour()*60 + t.UTC().Minute()) % 180
	return m >= 72 && m < 96
}

// spikeExtra is the spike's extra sessions a minute: rising and falling over its 24 minutes.
func spikeExtra(t time.Time) float64 {
	m := float64((t.UTC().Hour()*60+t.UTC().Minute())%180 - 72)
	return 0.4 * PeakPerMinute * math.Sin(math.Pi*(m+0.5)/24)
}
