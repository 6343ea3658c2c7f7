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
	body, ok := h.readBody(w, r, maxReadBody)
	if !ok {
		return
	}
	q, err := session.ParseQuery(body)
	if err != nil {
		h.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	q.Account, q.Bot = c.Account, c.Bot
	cacheable := h.ReadCache != nil && q.IsDefault()
	var gen uint64
	if cacheable {
		var e *cached
		if e, gen = h.ReadCache.get(c.Account, c.Bot); e != nil {
			writeCached(w, h.ReadCache, e)
			return
		}
	}
	// The stored views are the answer's bytes: with a newline, what writeJSON of the sessions'
	// views gives. About 320 bytes a session; a larger limit grows the buffer as rows come.
	answer, err := h.Sessions.LatestJSON(r.Context(), q, make([]byte, 0, 320*min(q.Limit, session.DefaultLimit)+3))
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("read sessions: %w", err))
		return
	}
	answer = append(answer, '\n')
	writeAnswer(w, answer)
	if cacheable {
		h.ReadCache.put(c.Account, c.Bot, gen, answer)
	}
}

// readBody reads a request's optional body, at most limit bytes, answering 413 beyond it (and
// 400 when it cannot be read) itself; ok is false when it has answered. A request without a
// body (the polling client's) reads and allocates nothing.
func (h *handlers) readBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, ok bool) {
	if r.ContentLength == 0 {
		return nil, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large: at most %d bytes", limit))
			return nil, false
		}
		h.writeError(w, r, http.StatusBadRequest, "could not read body")
		return nil, false
	}
	return body, true
}

// jsonType is the answers' Content-Type header value, shared: net/http only reads it.
var jsonType = []string{"application/json; charset=utf-8"}

// writeAnswer writes a 200 of body in one Write with its Content-Length, so that net/http
// sends it as is instead of chunked (a chunk header, the body, then a terminator).
func writeAnswer(w http.ResponseWriter, body []byte) {
	hd := w.Header()
	hd["Content-Type"] = jsonType
	hd["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client may be gone; nothing to do about it
}

// writeCached writes a cached answer, holding it until written (a panic included: net/http
// recovers from its handlers') so that its pages cannot be handed to another answer mid-write.
func writeCached(w http.ResponseWriter, c *ReadCache, e *cached) {
	defer c.release(e)
	hd := w.Header()
	hd["Content-Type"] = jsonType
	hd["Content-Length"] = e.clen
	w.WriteHeader(http.StatusOK)
	for _, b := range e.body {
		if _, err := w.Write(b); err != nil {
			return // the client is gone; nothing to do about it
		}
	}
}
