package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/store"
)

// errorBody is the one error shape of every route.
type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Msg  string `json:"msg"`
	Code int    `json:"code"`
}

// writeJSON writes v as the response with the contract's content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone; nothing to do about it
}

// writeError writes the contract's error body. msg must be safe to show the client.
func (h *handlers) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if info := infoFrom(r.Context()); info != nil {
		info.errMsg = msg
	}
	writeJSON(w, status, errorBody{Errors: []errorItem{{Msg: msg, Code: status}}})
}

// StatusClientClosed is the status logged and counted for a request whose client went away
// before its answer was ready (nginx's 499).
const StatusClientClosed = 499

// writeInternal answers a failure of a dependency: 503 when retrying may help (storage down,
// shutting down), 500 otherwise. The cause goes to the log with the request id, never to the
// client.
func (h *handlers) writeInternal(w http.ResponseWriter, r *http.Request, err error) {
	info := infoFrom(r.Context())
	id := ""
	if info != nil {
		info.cause = err
		id = info.id
	}
	switch {
	case r.Context().Err() != nil:
		// The client hung up (net/http cancels a request's context when its connection
		// closes): nobody reads this answer, and it is no failure of ours. It is logged at info
		// with its own outcome and counted under code 499 (nginx's "client closed request"),
		// apart from the 5xx that page an operator.
		if info != nil {
			info.clientGone = true
		}
		h.writeError(w, r, StatusClientClosed, "client closed request")
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, ingest.ErrClosed),
		errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		h.writeError(w, r, http.StatusServiceUnavailable, "service temporarily unavailable, retry shortly (request "+id+")")
	default:
		h.writeError(w, r, http.StatusInternalServerError, "internal error (request "+id+")")
	}
}
