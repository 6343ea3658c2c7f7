package httpapi

import (
	"context"
	"net/http"
	"time"
)

type healthResponse struct {
	Status string `json:"status"`
}

// handleHealthz says the process is up; it checks nothing else so that a stuck dependency does
// not get a healthy process restarted.
func (h *handlers) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok"})
}

// handleReadyz says whether storage answers, within a short deadline so a hung database makes
// the check fail rather than hang.
func (h *handlers) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.Storage.Ping(ctx); err != nil {
		if info := infoFrom(r.Context()); info != nil {
			info.cause = err
		}
		h.writeError(w, r, http.StatusServiceUnavailable, "storage unreachable")
		return
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "ready"})
}
