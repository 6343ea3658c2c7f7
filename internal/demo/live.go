package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Run feeds live sessions to submit until ctx ends: every interval, new sessions at PerMinute's
// rate, each sent as separate start, intent and end events over a few ticks, as a bot runtime
// would. The ended event's time is when it is sent, so live sessions end "now".
func (s *Simulator) Run(ctx context.Context, interval time.Duration, submit func(ctx context.Context, events []session.Event) error) {
	type live struct {
		p    plan
		step int
	}
	var inFlight []*live
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			now = now.UTC()
			var events []session.Event
			ev := func(p plan, typ session.Type, step int) session.Event {
				return session.Event{Type: typ, SessionID: p.id, EventID: fmt.Sprintf("demo-%s-%d", p.id, step), Time: now}
			}
			rate := PerMinute(now) * interval.Seconds() / 60
			if s.Pace > 0 {
				rate *= s.Pace
			}
			for range draw(s.rnd, rate) {
				s.live++
				id := fmt.Sprintf("lv%08x%06x", uint32(s.seed), s.live)
				spike := Spiking(now) && s.rnd.Float64() < spikeExtra(now)/PerMinute(now)
				p := newPlan(s.rnd, id, now, time.Minute, spike)
				// A real conversation lasts minutes; the demo cannot make a viewer wait that
				// long, so its sessions are reported as having started a while ago (as a
				// producer that sends the start late would), which gives realistic handling times.
				p.start = now.Add(-time.Duration(20+s.rnd.IntN(600)) * time.Second)
				e := ev(p, session.TypeStarted, 0)
				e.Time = p.start
				e.Channel, e.ANI, e.DNI, e.UserID = p.channel, p.ani, p.dni, p.user
				events = append(events, e)
				inFlight = append(inFlight, &live{p: p})
			}
			kept := inFlight[:0]
			for _, l := range inFlight {
				l.step++
				if l.step <= len(l.p.intents) {
					e := ev(l.p, session.TypeIntent, l.step)
					e.Intent = l.p.intents[l.step-1]
					events = append(events, e)
				}
				if l.step > len(l.p.intents) && l.step >= 2+s.rnd.IntN(3) {
					e := ev(l.p, session.TypeEnded, l.step+1)
					e.Status, e.DeflectedTo = l.p.status, l.p.deflectedTo
					events = append(events, e)
					continue
				}
				kept = append(kept, l)
			}
			inFlight = kept
			if len(events) == 0 {
				continue
			}
			// On failure the next tick goes on with new sessions; a demo has no producer to
			// report to.
			_ = submit(ctx, events)
		}
	}
}
