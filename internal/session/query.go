package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
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
	q := Query{Limit: DefaultLimit}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return q, nil
	}
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

// decodeQueryBody decodes a single JSON object with only the known fields, naming what is
// wrong the way a client writing JSON thinks of it.
func decodeQueryBody(body []byte) (queryBody, error) {
	var b queryBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return b, fmt.Errorf("body field %q has the wrong type: expected %s", te.Field, queryKind(te.Type))
		case errors.As(err, &te):
			return b, fmt.Errorf("body must be a JSON object, not a JSON %s", te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json has no error type for an unknown field, only this text.
			return b, fmt.Errorf("body field %s is not known; accepted: limit, channels, statuses, intents, from, to",
				strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return b, fmt.Errorf("body must be a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return b, fmt.Errorf("body must hold a single JSON object")
	}
	return b, nil
}

// queryKind is jsonKind, except that the body's one number (limit) is called an integer.
func queryKind(t reflect.Type) string {
	if t.Kind() == reflect.Int {
		return "an integer"
	}
	return jsonKind(t)
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
