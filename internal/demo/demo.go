// Package demo simulates the traffic of a contact center's bot: voice and digital sessions on
// several channels, with intents, a mix of outcomes and some deflections, following a daily curve
// with an intent that spikes now and then (curve.go). It produces session events exactly as a
// real producer would send them, so the demo exercises the real ingest path.
package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

var (
	intents = []string{"Book a Flight", "Check Balance", "Book a Ticket", "Cancel Booking", SpikeIntent,
		"Change Address", "Track Order", "Reset Password", "Speak to Agent", "Pay Bill"}
	voiceChannels = []string{"audiocodes", "korevg", "twiliovoice"}
	dialed        = []string{"+18005550100", "+18005550199", "+442079460000"}
)

// Simulator makes sessions for one bot.
type Simulator struct {
	Account, Bot string
	// Pace multiplies the live rate (1 when 0): tests run the day faster.
	Pace float64
	seed uint64
	rnd  *rand.Rand
	live uint64 // live sessions made so far, for their ids
}

// New returns a simulator seeded by seed, so a run can be repeated.
func New(account, bot string, seed uint64) *Simulator {
	return &Simulator{Account: account, Bot: bot, seed: seed, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// plan is one simulated session before it is cut into events.
type plan struct {
	id, channel, ani, dni, user string
	start, end                  time.Time
	intents                     []string
	status                      session.Status
	deflectedTo                 *string
}

func pick(rnd *rand.Rand, list []string) string { return list[rnd.IntN(len(list))] }

// newPlan draws a session ending at end that lasted 5 s to maxDur, with the spike's intent
// first when spike is set.
func newPlan(rnd *rand.Rand, id string, end time.Time, maxDur time.Duration, spike bool) plan {
	p := plan{id: id, end: end, user: fmt.Sprintf("u-%08x-%04x", rnd.Uint32(), rnd.IntN(1<<16))}
	if rnd.IntN(100) < 40 {
		p.channel, p.ani, p.dni = "rtm", p.user, "support@example.com"
	} else {
		p.channel = pick(rnd, voiceChannels)
		p.ani = fmt.Sprintf("+1%03d555%04d", 200+rnd.IntN(700), rnd.IntN(10000))
		p.dni = pick(rnd, dialed)
	}
	p.start = end.Add(-time.Duration(5+rnd.Int64N(int64(maxDur/time.Second))) * time.Second)
	if spike {
		p.intents = append(p.intents, SpikeIntent)
	}
	for n := rnd.IntN(4); n > 0; n-- {
		in := pick(rnd, intents)
		dup := false
		for _, have := range p.intents {
			dup = dup || have == in
		}
		if !dup {
			p.intents = append(p.intents, in)
		}
	}
	switch r := rnd.IntN(100); {
	case r < 58:
		p.status = session.StatusCompleted
	case r < 78:
		p.status = session.StatusDropoff
	case r < 94:
		p.status = session.StatusAgentTransfer
	default:
		p.status = session.StatusError
	}
	if spike && p.status == session.StatusCompleted && rnd.IntN(2) == 0 {
		p.status = session.StatusAgentTransfer // a spike's callers want a person more often
	}
	if p.channel != "rtm" && rnd.IntN(100) < 15 {
		d := "rtm"
		p.deflectedTo = &d
	}
	return p
}

// draw returns how many of rate's sessions a period has: the integer part, plus one more with
// the probability of the fraction — the right mean without a distribution library.
func draw(rnd *rand.Rand, rate float64) int {
	n := int(rate)
	if rnd.Float64() < rate-float64(n) {
		n++
	}
	return n
}

// Backfill returns the completed sessions that ended in the whole minutes from from up to now,
// following PerMinute, as session.completed events. A minute's sessions depend on the minute and
// the simulator's seed alone — ids included — so backfilling a minute twice yields the same
// events, which ingest skips as duplicates.
func (s *Simulator) Backfill(from, now time.Time) []session.Event {
	var out []session.Event
	for m := from.Truncate(time.Minute); m.Before(now); m = m.Add(time.Minute) {
		unix := uint64(m.Unix() / 60)
		rnd := rand.New(rand.NewPCG(s.seed, unix))
		spike := Spiking(m)
		n := draw(rnd, PerMinute(m))
		for i := range n {
			end := m.Add(time.Duration(rnd.Int64N(int64(time.Minute))))
			id := fmt.Sprintf("bf%09x%03x", unix, i)
			p := newPlan(rnd, id, end, 9*time.Minute, spike && rnd.Float64() < spikeExtra(m)/PerMinute(m))
			if !end.Before(now) || end.Before(from) {
				continue
			}
			out = append(out, session.Event{
				Type: session.TypeCompleted, SessionID: p.id, EventID: "demo-" + p.id, Time: p.end,
				Channel: p.channel, ANI: p.ani, DNI: p.dni, UserID: p.user, StartTime: p.start, EndTime: p.end,
				Intents: p.intents, Status: p.status, DeflectedTo: p.deflectedTo,
			})
		}
	}
	return out
}
