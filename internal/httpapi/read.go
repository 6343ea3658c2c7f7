package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
)

// maxReadBody bounds the read API's optional filter body.
const maxReadBody = 64 << 10

func (h *handlers) handleRead(w http.ResponseWriter, r *http.Request) {
	c, ok := h.authorize(w, r, auth.ScopeAnalytics)
	if !ok || !h.allowRate(w, r, c.Account) {
		return
	}
	q, err := readQuery(r)
	if err != nil {
		status := http.StatusBadRequest
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		h.writeError(w, r, status, err.Error())
		return
	}
	q.Account, q.Bot = c.Account, c.Bot
	cacheable := h.ReadCache != nil && q.IsDefault()
	var gen uint64
	if cacheable {
		var e *cached
		if e, gen = h.ReadCache.get(c.Account, c.Bot); e != nil {
			writeAnswerLen(w, e.body, e.clen)
			return
		}
	}
	states, err := h.Sessions.Latest(r.Context(), q)
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("read sessions: %w", err))
		return
	}
	body := writeSessions(w, states)
	if cacheable {
		h.ReadCache.put(c.Account, c.Bot, gen, body)
	}
}

// readQuery reads the optional filter body, bounded, and parses it in the domain.
func readQuery(r *http.Request) (session.Query, error) {
	if r.ContentLength == 0 { // the polling client's request: nothing to read or allocate
		return session.ParseQuery(nil)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxReadBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return session.Query{}, fmt.Errorf("body too large: at most %d bytes: %w", maxReadBody, mbe)
		}
		return session.Query{}, fmt.Errorf("could not read body")
	}
	return session.ParseQuery(body)
}

// jsonType is the answers' Content-Type header value, shared: net/http only reads it.
var jsonType = []string{"application/json; charset=utf-8"}

// writeAnswer writes a 200 of body in one Write with its Content-Length, so that net/http
// sends it as is instead of chunked (a chunk header, the body, then a terminator).
func writeAnswer(w http.ResponseWriter, body []byte) {
	writeAnswerLen(w, body, []string{strconv.Itoa(len(body))})
}

// writeAnswerLen is writeAnswer with the Content-Length header's value given: the body's
// length, formatted (the read cache keeps it with the body).
func writeAnswerLen(w http.ResponseWriter, body []byte, clen []string) {
	hd := w.Header()
	hd["Content-Type"] = jsonType
	hd["Content-Length"] = clen
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client may be gone; nothing to do about it
}

// writeSessions writes the read API's 200: the same bytes as writeJSON of the sessions' views
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
