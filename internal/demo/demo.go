// Package demo simulates the traffic of a contact center's bot: voice and digital sessions on
// several channels, with intents, a mix of outcomes and some deflections. It produces session
// events exactly as a real producer would send them, so the demo exercises the real ingest path.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/intentrt/intentrt/internal/session"
)

var (
	intents = []string{"Book a Flight", "Check Balance", "Book a Ticket", "Cancel Booking", "Report Lost Card",
		"Change Address", "Track Order", "Reset Password", "Speak to Agent", "Pay Bill"}
	voiceChannels = []string{"audiocodes", "korevg", "twiliovoice"}
	dialed        = []string{"+18005550100", "+18005550199", "+442079460000"}
)

// Simulator makes sessions for one bot.
type Simulator struct {
	Account, Bot string
	rnd          *rand.Rand
}

// New returns a simulator seeded by seed, so a run can be repeated.
func New(account, bot string, seed uint64) *Simulator {
	return &Simulator{Account: account, Bot: bot, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// plan is one simulated session before it is cut into events.
type plan struct {
	id, channel, ani, dni, user string
	start, end                  time.Time
	intents                     []string
	status                      session.Status
	deflectedTo                 *string
}

func (s *Simulator) pick(list []string) string { return list[s.rnd.IntN(len(list))] }

func (s *Simulator) newPlan(start time.Time, maxDur time.Duration) plan {
	p := plan{id: fmt.Sprintf("%x", uuid.New().ID()) + fmt.Sprintf("%016x", s.rnd.Uint64()), start: start}
	user := "u-" + uuid.NewString()
	p.user = user
	if s.rnd.IntN(100) < 40 {
		p.channel = "rtm"
		p.ani = user
		p.dni = "support@example.com"
	} else {
		p.channel = s.pick(voiceChannels)
		p.ani = fmt.Sprintf("+1%03d555%04d", 200+s.rnd.IntN(700), s.rnd.IntN(10000))
		p.dni = s.pick(dialed)
	}
	p.end = start.Add(time.Duration(5+s.rnd.Int64N(int64(maxDur/time.Second))) * time.Second)
	for n := s.rnd.IntN(4); n > 0; n-- {
		in := s.pick(intents)
		dup := false
		for _, have := range p.intents {
			dup = dup || have == in
		}
		if !dup {
			p.intents = append(p.intents, in)
		}
	}
	switch r := s.rnd.IntN(100); {
	case r < 58:
		p.status = session.StatusCompleted
	case r < 78:
		p.status = session.StatusDropoff
	case r < 94:
		p.status = session.StatusAgentTransfer
	default:
		p.status = session.StatusError
	}
	if p.channel != "rtm" && s.rnd.IntN(100) < 15 {
		d := "rtm"
		p.deflectedTo = &d
	}
	return p
}

// Backfill returns n completed sessions that ended within the hour before now, as
// session.completed events.
func (s *Simulator) Backfill(n int, now time.Time) []session.Event {
	out := make([]session.Event, 0, n)
	for i := 0; i < n; i++ {
		start := now.Add(-time.Hour + time.Duration(s.rnd.Int64N(int64(50*time.Minute))))
		p := s.newPlan(start, 9*time.Minute)
		out = append(out, session.Event{
			Type: session.TypeCompleted, SessionID: p.id, EventID: "demo-" + uuid.NewString(), Time: p.end,
			Channel: p.channel, ANI: p.ani, DNI: p.dni, UserID: p.user, StartTime: p.start, EndTime: p.end,
			Intents: p.intents, Status: p.status, DeflectedTo: p.deflectedTo,
		})
	}
	return out
}

// Run feeds live sessions to submit until ctx ends: roughly one new session every interval,
// each sent as separate start, intent and end events over a few seconds, as a bot runtime would.
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
			ev := func(p plan, typ session.Type) session.Event {
				return session.Event{Type: typ, SessionID: p.id, EventID: "demo-" + uuid.NewString(), Time: now}
			}
			// A real conversation lasts minutes; the demo cannot make a viewer wait that long, so
			// its sessions are reported as having started a while ago (as a producer that sends
			// the start late would), which gives realistic handling times.
			p := s.newPlan(now.Add(-time.Duration(20+s.rnd.IntN(600))*time.Second), 3*time.Second)
			e := ev(p, session.TypeStarted)
			e.Time = p.start
			e.Channel, e.ANI, e.DNI, e.UserID = p.channel, p.ani, p.dni, p.user
			events = append(events, e)
			inFlight = append(inFlight, &live{p: p})
			kept := inFlight[:0]
			for _, l := range inFlight {
				l.step++
				if l.step <= len(l.p.intents) {
					e := ev(l.p, session.TypeIntent)
					e.Intent = l.p.intents[l.step-1]
					events = append(events, e)
				}
				if l.step > len(l.p.intents) && l.step >= 2+s.rnd.IntN(3) {
					e := ev(l.p, session.TypeEnded)
					e.Status, e.DeflectedTo = l.p.status, l.p.deflectedTo
					events = append(events, e)
					continue
				}
				kept = append(kept, l)
			}
			inFlight = kept
			if err := submit(ctx, events); err != nil && ctx.Err() == nil {
				// The next tick retries with new sessions; a demo has no producer to report to.
				continue
			}
		}
	}
}
