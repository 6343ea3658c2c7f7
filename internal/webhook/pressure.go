package webhook

import (
	"sync"
	"time"
)

// Pressure tells the delivery workers whether ingest is saturated. A delivery costs about as
// much CPU as ingesting a session (an HTTP request out, the response back), so five webhooks
// would take most of a small machine away from producers, who wait for their commit. While the
// committer is busy nearly all the time, deliveries are paced (Pace between messages per
// webhook) and catch up once ingest eases: they are durable, and ingest comes first. The
// pending and oldest-pending metrics show the lag.
type Pressure struct {
	mu   sync.Mutex
	last time.Time
	busy float64 // moving average of the committer's busy fraction
}

// Pace is the pause between two deliveries of one webhook while ingest is saturated.
const Pace = 10 * time.Millisecond

// ObserveCommit records one group commit that took took; call it after each commit.
func (p *Pressure) ObserveCommit(took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	sample := 1.0
	if since := now.Sub(p.last); since > took && !p.last.IsZero() {
		sample = float64(took) / float64(since)
	}
	p.last = now
	p.busy = 0.9*p.busy + 0.1*sample
}

// Saturated says whether the committer has lately been busy most of the time.
func (p *Pressure) Saturated() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.busy > 0.6 && time.Since(p.last) < 200*time.Millisecond
}
