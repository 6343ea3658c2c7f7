package session

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"
)

// queryBody is the optional body of the read API: Kore sends none; the fields are extensions.
type queryBody struct {
	Limit    *int     `json:"limit"`
	Channels []string `json:"channels"`
	Statuses []string `json:"statuses"`
	Intents  []string `json:"intents"`
	From     *string  `json:"from"`
	To       *string  `json:"to"`
}

// ParseQuery reads the read API's optional filter body. Empty, null or {} mean Kore's
// behaviour: the latest DefaultLimit sessions. Account and Bot are left for the caller, who
// takes them from the authorised request. Errors are safe to show the client.
func ParseQuery(body []byte) (Query, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		// Returned before q exists: a polling client's empty body allocates nothing (q
		// escapes below, to the filters' parser).
		return Query{Limit: DefaultLimit}, nil
	}
	q := Query{Limit: DefaultLimit}
	b, err := decodeQueryBody(body)
	if err != nil {
		return q, err
	}
	if err := b.filters(&q); err != nil {
		return q, err
	}
	if err := b.window(&q); err != nil {
		return q, err
	}
	return q, nil
}

// decodeQueryBody decodes the body under the strict rules every client JSON body follows
// (DecodeObject): exact names, no duplicates, exact types, valid UTF-8.
func decodeQueryBody(body []byte) (queryBody, error) {
	var b queryBody
	if fe := DecodeObject(body, &b); fe != nil {
		if fe.Field == "" {
			return b, fmt.Errorf("body %s: send a single JSON object", fe.Msg)
		}
		return b, fmt.Errorf("body %s", fe)
	}
	return b, nil
}

// filters checks and copies limit, channels, statuses and intents into q.
func (b *queryBody) filters(q *Query) error {
	if b.Limit != nil {
		if *b.Limit < 1 || *b.Limit > MaxLimit {
			return fmt.Errorf("limit must be between 1 and %d", MaxLimit)
		}
		q.Limit = *b.Limit
	}
	for _, c := range b.Channels {
		if !ValidID(c) {
			return fmt.Errorf("channels: each must be a channel id of 1-128 printable characters")
		}
		q.Channels = append(q.Channels, strings.ToLower(c))
	}
	for _, s := range b.Statuses {
		st, ok := ParseStatus(s)
		if !ok {
			return fmt.Errorf("statuses: unknown status %q; accepted: %s", s, StatusList())
		}
		q.Statuses = append(q.Statuses, st)
	}
	for _, in := range b.Intents {
		if strings.TrimSpace(in) == "" || !ValidText(in) {
			return fmt.Errorf("intents: names must not be empty, at most 1024 bytes, without control characters")
		}
	}
	q.Intents = b.Intents
	return nil
}

// window checks from and to and clamps them to the instants storage can hold.
func (b *queryBody) window(q *Query) error {
	for _, f := range []struct {
		name string
		v    *string
		dst  *time.Time
	}{{"from", b.From, &q.From}, {"to", b.To, &q.To}} {
		if f.v == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, *f.v)
		if err != nil {
			return fmt.Errorf("%s must be an RFC 3339 time, like 2024-01-06T14:07:08Z", f.name)
		}
		*f.dst = t
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return fmt.Errorf("from must be before to")
	}
	q.From, q.To = clampStored(q.From), clampStored(q.To)
	return nil
}

// epoch and lastNano bound the instants storage can hold (session times are refused outside).
var (
	epoch    = time.Unix(0, 0).UTC()
	lastNano = time.Unix(0, math.MaxInt64).UTC()
)

// clampStored pulls a query bound into 1970-2262: storage compares unix nanoseconds, which wrap
// around outside 1678-2262, and every stored session lies within 1970-2262. Zero stays zero
// (no bound).
func clampStored(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.Before(epoch):
		return epoch
	case t.After(lastNano):
		return lastNano
	}
	return t
}

// IsDefault reports whether q is Kore's query: the latest DefaultLimit, no filter.
func (q Query) IsDefault() bool {
	return q.Limit == DefaultLimit && len(q.Channels) == 0 && len(q.Statuses) == 0 &&
		len(q.Intents) == 0 && q.From.IsZero() && q.To.IsZero()
}
