package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/ratelimit"
	"github.com/intentrt/intentrt/internal/session"
)

// maxReadBody bounds the read API's optional filter body.
const maxReadBody = 64 << 10

// readBody is the optional body of the read API: Kore sends none; the fields are extensions.
type readBody struct {
	Limit    *int     `json:"limit"`
	Channels []string `json:"channels"`
	Statuses []string `json:"statuses"`
	Intents  []string `json:"intents"`
	From     *string  `json:"from"`
	To       *string  `json:"to"`
}

func (h *Handlers) handleRead(w http.ResponseWriter, r *http.Request) {
	c, ok := h.Authorize(w, r, auth.ScopeAnalytics)
	if !ok {
		return
	}
	if h.Limiter != nil {
		if ok, wait := h.Limiter.Allow(c.Account); !ok {
			h.Metrics.RateLimited.Inc()
			w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(wait)))
			h.WriteError(w, r, http.StatusTooManyRequests, "rate limit of the account exceeded; retry after the time in Retry-After")
			return
		}
	}
	q, err := parseReadBody(r)
	if err != nil {
		status := http.StatusBadRequest
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		h.WriteError(w, r, status, err.Error())
		return
	}
	q.Account, q.Bot = c.Account, c.Bot
	cacheable := h.ReadCache != nil && isDefaultQuery(q)
	var gen uint64
	if cacheable {
		var body []byte
		if body, gen = h.ReadCache.get(c.Account, c.Bot); body != nil {
			writeAnswer(w, body)
			return
		}
	}
	states, err := h.Sessions.Latest(r.Context(), q)
	if err != nil {
		h.WriteInternal(w, r, fmt.Errorf("read sessions: %w", err))
		return
	}
	body := writeSessions(w, states)
	if cacheable {
		h.ReadCache.put(c.Account, c.Bot, gen, body)
	}
}

// isDefaultQuery reports whether q is Kore's query: the latest 25, no filter.
func isDefaultQuery(q session.Query) bool {
	return q.Limit == session.DefaultLimit && len(q.Channels) == 0 && len(q.Statuses) == 0 &&
		len(q.Intents) == 0 && q.From.IsZero() && q.To.IsZero()
}

func writeAnswer(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client may be gone; nothing to do about it
}

// writeSessions writes the read API's 200: the same bytes as WriteJSON of the sessions' views
// (a bare array and a newline), encoded directly rather than through reflection. It returns
// the bytes, which the read cache keeps.
func writeSessions(w http.ResponseWriter, states []session.State) []byte {
	b := make([]byte, 0, 320*len(states)+3)
	b = append(b, '[')
	for i := range states {
		if i > 0 {
			b = append(b, ',')
		}
		b = states[i].AppendViewJSON(b)
	}
	b = append(b, "]\n"...)
	writeAnswer(w, b)
	return b
}

// parseReadBody reads the optional filters. None, empty, null or {} mean Kore's behaviour.
func parseReadBody(r *http.Request) (session.Query, error) {
	q := session.Query{Limit: session.DefaultLimit}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxReadBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return q, fmt.Errorf("body too large: at most %d bytes: %w", maxReadBody, mbe)
		}
		return q, fmt.Errorf("could not read body")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return q, nil
	}
	var b readBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return q, fmt.Errorf("body field %q has the wrong type: expected %s", te.Field, jsonKind(te.Type))
		case errors.As(err, &te):
			return q, fmt.Errorf("body must be a JSON object, not a JSON %s", te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return q, fmt.Errorf("body field %s is not known; accepted: limit, channels, statuses, intents, from, to",
				strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return q, fmt.Errorf("body must be a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return q, fmt.Errorf("body must hold a single JSON object")
	}
	if b.Limit != nil {
		if *b.Limit < 1 || *b.Limit > session.MaxLimit {
			return q, fmt.Errorf("limit must be between 1 and %d", session.MaxLimit)
		}
		q.Limit = *b.Limit
	}
	for _, c := range b.Channels {
		if !session.ValidID(c) {
			return q, fmt.Errorf("channels: each must be a channel id of 1-128 printable characters")
		}
		q.Channels = append(q.Channels, strings.ToLower(c))
	}
	for _, s := range b.Statuses {
		st, ok := session.ParseStatus(s)
		if !ok {
			return q, fmt.Errorf("statuses: unknown status %q; accepted: %s", s, session.StatusList())
		}
		q.Statuses = append(q.Statuses, st)
	}
	for _, in := range b.Intents {
		if strings.TrimSpace(in) == "" || !session.ValidText(in) {
			return q, fmt.Errorf("intents: names must not be empty, at most 1024 bytes, without control characters")
		}
	}
	q.Intents = b.Intents
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
			return q, fmt.Errorf("%s must be an RFC 3339 time, like 2024-01-06T14:07:08Z", f.name)
		}
		*f.dst = t
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, fmt.Errorf("from must be before to")
	}
	// Storage compares unix nanoseconds, which wrap around outside 1678-2262; every stored
	// session lies within 1970-2262, so bounds beyond that range are pulled in to its edges.
	for _, t := range []*time.Time{&q.From, &q.To} {
		switch {
		case t.IsZero():
		case t.Before(epoch):
			*t = epoch
		case t.After(lastNano):
			*t = lastNano
		}
	}
	return q, nil
}

// epoch and lastNano bound the instants storage can hold (session times are refused outside).
var (
	epoch    = time.Unix(0, 0).UTC()
	lastNano = time.Unix(0, math.MaxInt64).UTC()
)

// jsonKind names a Go type the way a client writing JSON thinks of it; Go's own names
// ("[]string", "httpapi.readBody") mean nothing to a client.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(jsonKind(t.Elem()), "an "), "a ") + "s"
	default:
		return "a JSON " + t.Kind().String()
	}
}
