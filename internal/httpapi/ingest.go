package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
)

// ingestResponse acknowledges a stored batch.
type ingestResponse struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Expired    int `json:"expired,omitempty"` // present only when non-zero (docs/api.md §7)
}

func (h *handlers) handleIngest(w http.ResponseWriter, r *http.Request) {
	c, ok := h.authorize(w, r, auth.ScopeIngest)
	if !ok {
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/x-ndjson") {
		h.writeError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json (an array of events) or application/x-ndjson (one event per line)")
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.Limits.MaxBodyBytes)
	var events []session.Event
	if mt == "application/x-ndjson" {
		events, err = session.DecodeNDJSON(body, h.Limits.MaxEvents)
	} else {
		var data []byte
		if data, err = io.ReadAll(body); err == nil {
			events, err = session.DecodeJSON(data, h.Limits.MaxEvents)
		}
	}
	if err != nil {
		h.Metrics.Events.WithLabelValues("rejected", "http").Inc()
		var (
			mbe *http.MaxBytesError
			fe  *session.FieldError
		)
		switch {
		case errors.As(err, &mbe):
			h.writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.Limits.MaxBodyBytes))
		case errors.Is(err, session.ErrTooManyEvents):
			h.writeError(w, r, http.StatusRequestEntityTooLarge, err.Error())
		case errors.As(err, &fe):
			h.writeError(w, r, http.StatusBadRequest, "nothing stored: "+fe.Error())
		default:
			h.writeError(w, r, http.StatusBadRequest, "could not read body")
		}
		return
	}
	if len(events) == 0 {
		writeJSON(w, http.StatusOK, ingestResponse{})
		return
	}
	res, err := h.Ingest.Submit(r.Context(), session.Batch{Account: c.Account, Bot: c.Bot, Events: events})
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("ingest: %w", err))
		return
	}
	h.Metrics.Events.WithLabelValues("accepted", "http").Add(float64(res.Accepted))
	h.Metrics.Events.WithLabelValues("duplicate", "http").Add(float64(res.Duplicates))
	if res.Expired > 0 {
		h.Metrics.Events.WithLabelValues("expired", "http").Add(float64(res.Expired))
	}
	writeJSON(w, http.StatusOK, ingestResponse{Accepted: res.Accepted, Duplicates: res.Duplicates, Expired: res.Expired})
}
