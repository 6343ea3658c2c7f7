package analytics

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Limits and defaults of a summary request (docs/api.md §6).
const (
	MaxBuckets    = 1500
	DefaultTop    = 10
	MaxTop        = 100
	DefaultBucket = Bucket1h
	DefaultZone   = "UTC"
	DefaultSpan   = 24 * time.Hour
)

// Body is the summary request as the client sent it, after strict JSON decoding. A nil or empty
// field takes its default.
type Body struct {
	From     *string  `json:"from"`
	To       *string  `json:"to"`
	Bucket   *string  `json:"bucket"`
	Timezone *string  `json:"timezone"`
	Channels []string `json:"channels"`
	Intent   *string  `json:"intent"`
	Top      *int     `json:"top"`
}

// FieldError says which field of the body is wrong and why; the HTTP layer answers 400 with it.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Request is a validated summary request with its window resolved to bucket edges.
type Request struct {
	From, To time.Time // the window used, [From, To), on bucket edges, UTC
	Bucket   Bucket
	Zone     string
	Location *time.Location
	Channels []string // lowercase, sorted, distinct; empty means every channel
	Intent   string   // "" means every session
	Top      int

	// Edges are the bucket edges of the window: Edges[0] = From, Edges[len-1] = To.
	Edges []time.Time
	// PrevFrom starts the previous window [PrevFrom, From): as many buckets as the window.
	PrevFrom time.Time
}

// Resolve validates the body and resolves its window against now.
func (b *Body) Resolve(now time.Time) (*Request, error) {
	r := &Request{Bucket: DefaultBucket, Zone: DefaultZone, Top: DefaultTop}
	from, to, err := b.span(now)
	if err != nil {
		return nil, err
	}
	if err := b.resolveBuckets(r); err != nil {
		return nil, err
	}
	if err := b.resolveFilters(r); err != nil {
		return nil, err
	}
	e := edger{loc: r.Location, step: r.Bucket.seconds()}
	edges, ok := e.window(from, to, MaxBuckets)
	if !ok {
		return nil, &FieldError{"from", fmt.Sprintf("the window from %s to %s holds more than %d buckets of %s; narrow it or use a wider bucket",
			from.Format(time.RFC3339), to.Format(time.RFC3339), MaxBuckets, r.Bucket)}
	}
	r.Edges = edges
	r.From, r.To = edges[0], edges[len(edges)-1]
	r.PrevFrom = e.back(r.From, len(edges)-1)[0]
	return r, nil
}

// span reads from and to, before they are widened to bucket edges.
func (b *Body) span(now time.Time) (from, to time.Time, err error) {
	to = now
	if b.To != nil {
		if to, err = parseTime(*b.To); err != nil {
			return from, to, &FieldError{"to", err.Error()}
		}
	}
	from = to.Add(-DefaultSpan)
	if b.From != nil {
		if from, err = parseTime(*b.From); err != nil {
			return from, to, &FieldError{"from", err.Error()}
		}
	}
	if !from.Before(to) {
		return from, to, &FieldError{"from", "must be before to"}
	}
	return from, to, nil
}

// resolveBuckets reads the bucket width and the zone whose wall clock places their edges.
func (b *Body) resolveBuckets(r *Request) error {
	if b.Bucket != nil {
		r.Bucket = Bucket(*b.Bucket)
		if !r.Bucket.valid() {
			return &FieldError{"bucket", fmt.Sprintf("unknown bucket %q; accepted: 1m, 5m, 15m, 1h, 1d", *b.Bucket)}
		}
	}
	if b.Timezone != nil {
		r.Zone = *b.Timezone
	}
	// LoadLocation also accepts "" and "Local", which name the server's zone, not an IANA zone.
	loc, err := time.LoadLocation(r.Zone)
	if err != nil || r.Zone == "" || r.Zone == "Local" {
		return &FieldError{"timezone", fmt.Sprintf("unknown time zone %q; expected an IANA name like Europe/Berlin", r.Zone)}
	}
	r.Location = loc
	return nil
}

// resolveFilters reads channels, intent and top.
func (b *Body) resolveFilters(r *Request) error {
	for _, c := range b.Channels {
		if !session.ValidID(c) {
			return &FieldError{"channels", "each must be a channel id of 1-128 printable characters"}
		}
		r.Channels = append(r.Channels, strings.ToLower(c))
	}
	slices.Sort(r.Channels)
	r.Channels = slices.Compact(r.Channels)
	if b.Intent != nil {
		if strings.TrimSpace(*b.Intent) == "" || !session.ValidText(*b.Intent) {
			return &FieldError{"intent", "must be an intent name: not empty, at most 1024 bytes, without control characters"}
		}
		r.Intent = *b.Intent
	}
	if b.Top != nil {
		if *b.Top < 1 || *b.Top > MaxTop {
			return &FieldError{"top", fmt.Sprintf("must be between 1 and %d", MaxTop)}
		}
		r.Top = *b.Top
	}
	return nil
}

// parseTime accepts RFC 3339 within the years 1000-9999 (the range RFC 3339 can write), so a
// window and its previous window never leave what time.Time formats as four-digit years.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1000 || t.Year() > 9998 {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time, like 2026-11-30T14:00:00+01:00")
	}
	return t, nil
}

// Buckets is the number of buckets in the window.
func (r *Request) Buckets() int { return len(r.Edges) - 1 }

// MinuteRange is the span of aggregate minutes a store must read: [lo, hi) in Unix minutes,
// the previous window and the window together.
func (r *Request) MinuteRange() (lo, hi int64) {
	return MinuteOf(r.PrevFrom), MinuteOf(r.To)
}

// HourAligned reports whether every minute boundary the summary needs — the previous window's
// start and every bucket edge, From and To included — starts a UTC hour. Then each hourly
// roll-up row (Hourly) lies wholly inside one bucket, or wholly inside the previous window, so
// Summarize over the hourly rows equals Summarize over the minute rows, and a store may read the
// roughly sixty times fewer hourly rows. That holds for 1h and 1d buckets in every zone whose
// offsets in the window are whole hours.
func (r *Request) HourAligned() bool {
	if MinuteOf(r.PrevFrom)%60 != 0 || MinuteOf(r.To)%60 != 0 {
		return false
	}
	for _, e := range r.Edges {
		if MinuteOf(e)%60 != 0 {
			return false
		}
	}
	return true
}

// Wants reports whether a store must hand the row with key k to Summarize: its minute lies in
// MinuteRange, its channel passes the filter, and with an intent filter it is that intent's row.
// A store may filter in SQL on the same terms, or hand over more; Summarize skips the rest.
func (r *Request) Wants(k *Key) bool {
	lo, hi := r.MinuteRange()
	if k.Minute < lo || k.Minute >= hi {
		return false
	}
	if r.Intent != "" && k.Intent != r.Intent {
		return false
	}
	return r.channelOK(k.Channel)
}

func (r *Request) channelOK(c string) bool {
	if len(r.Channels) == 0 {
		return true
	}
	_, ok := slices.BinarySearch(r.Channels, c)
	return ok
}

// InProgressSince is the earliest start a session may have to count as in progress at now:
// started in the last 24 hours, start at or after this instant.
func InProgressSince(now time.Time) time.Time { return now.Add(-24 * time.Hour) }
