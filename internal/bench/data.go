package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// The shapes of generated traffic: the channels, intents and statuses of the demo, so that rows
// have realistic sizes (a response of 25 sessions is about 7 KB).
var (
	channels = []string{"audiocodes", "korevg", "twiliovoice", "rtm"}
	intents  = []string{"Book a Flight", "Check Balance", "Change Address", "Report Lost Card", "Speak to Agent", "Cancel Booking"}
	statuses = []session.Status{session.StatusCompleted, session.StatusCompleted, session.StatusDropoff, session.StatusAgentTransfer, session.StatusError}
	deflect  = "rtm"
)

// completed returns the session.completed event of generated session n of a run: the same n
// always gives the same event, so the HTTP and the direct runs can store the same rows.
func completed(prefix string, n int, end time.Time) session.Event {
	h := uint64(n)*0x9E3779B97F4A7C15 + 1 // cheap, well-spread pseudo-randomness from n
	start := end.Add(-time.Duration(20+h%1800) * time.Second).Truncate(time.Millisecond)
	end = end.Truncate(time.Millisecond)
	e := session.Event{
		Type:      session.TypeCompleted,
		SessionID: prefix + strconv.Itoa(n),
		EventID:   "e-" + prefix + strconv.Itoa(n),
		Time:      end.UTC(),
		Channel:   channels[h%uint64(len(channels))],
		ANI:       "+1260555" + strconv.Itoa(1000+int((h>>8)%9000)),
		DNI:       "+18005550100",
		UserID:    "u-" + strconv.FormatUint(h>>16, 16),
		Status:    statuses[(h>>4)%uint64(len(statuses))],
		StartTime: start.UTC(),
		EndTime:   end.UTC(),
		Intents:   []string{intents[(h>>12)%uint64(len(intents))]},
	}
	if h%3 == 0 {
		e.Intents = append(e.Intents, intents[(h>>20)%uint64(len(intents))])
		if e.Intents[0] == e.Intents[1] {
			e.Intents = e.Intents[:1]
		}
	}
	if h%7 == 0 {
		e.DeflectedTo = &deflect
	}
	return e
}

// appendEvent writes e as a producer would send it. Hand-written rather than json.Marshal so that
// the load generator spends as little of the shared CPU as possible building bodies.
func appendEvent(b []byte, e *session.Event) []byte {
	b = append(b, `{"type":"session.completed","eventId":`...)
	b = strconv.AppendQuote(b, e.EventID)
	b = append(b, `,"sessionId":`...)
	b = strconv.AppendQuote(b, e.SessionID)
	b = append(b, `,"channel":`...)
	b = strconv.AppendQuote(b, e.Channel)
	b = append(b, `,"ANI":`...)
	b = strconv.AppendQuote(b, e.ANI)
	b = append(b, `,"DNI":`...)
	b = strconv.AppendQuote(b, e.DNI)
	b = append(b, `,"userId":`...)
	b = strconv.AppendQuote(b, e.UserID)
	b = append(b, `,"startTime":"`...)
	b = e.StartTime.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","endTime":"`...)
	b = e.EndTime.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","status":`...)
	b = strconv.AppendQuote(b, string(e.Status))
	b = append(b, `,"deflectedTo":`...)
	if e.DeflectedTo != nil {
		b = strconv.AppendQuote(b, *e.DeflectedTo)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"intents":[`...)
	for i, in := range e.Intents {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, in)
	}
	return append(b, "]}"...)
}

// body renders events as a JSON array, the ingest API's body.
func body(events []session.Event) []byte {
	b := make([]byte, 0, 400*len(events))
	b = append(b, '[')
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEvent(b, &events[i])
	}
	return append(b, ']')
}

// populate stores sessions straight through the store in big transactions (the fast way to
// build a large history; the HTTP path is measured separately). The target bot gets every
// tenth session, the others are spread over bots-1 other bots. Sessions end in the past hours,
// the newest at end.
func populate(ctx context.Context, db Store, account, target string, bots, sessions int, end time.Time, progress func(done int)) error {
	const perTx = 20_000
	others := max(bots-1, 1)
	for done := 0; done < sessions; {
		n := min(perTx, sessions-done)
		byBot := map[string]*session.Batch{}
		var order []string
		for i := done; i < done+n; i++ {
			bot := target
			if i%10 != 0 {
				bot = otherBot(i % others)
			}
			b := byBot[bot]
			if b == nil {
				b = &session.Batch{Account: account, Bot: bot}
				byBot[bot] = b
				order = append(order, bot)
			}
			// Spread ends one second apart, oldest first, the last one at end.
			b.Events = append(b.Events, completed("p-", i, end.Add(-time.Duration(sessions-i)*time.Second)))
		}
		batches := make([]session.Batch, len(order))
		for i, bot := range order {
			batches[i] = *byBot[bot]
		}
		if err := applyPopulating(ctx, db, batches); err != nil {
			return fmt.Errorf("populate: %w", err)
		}
		done += n
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

// populateTimeout bounds one populating transaction. It is set here because a store bounds an
// operation without a deadline of its own by its serving limit (PostgreSQL: 10 s), which a
// 20 000-session transaction can exceed on a busy machine without anything being wrong.
const populateTimeout = 5 * time.Minute

func applyPopulating(ctx context.Context, db Store, batches []session.Batch) error {
	ctx, cancel := context.WithTimeout(ctx, populateTimeout)
	defer cancel()
	_, _, err := db.Apply(ctx, batches)
	return err
}

// otherBot names the i-th bot that is not the target.
func otherBot(i int) string { return "st-bench-" + strconv.Itoa(i) }
