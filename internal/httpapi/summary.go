package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/summary"
)

// maxSummaryBody bounds the summary's request body: its fields are a few short strings and a
// channel list, so this leaves room for hundreds of channels.
const maxSummaryBody = 64 << 10

// handleSummary answers POST …/intentrealtimedata/summary (docs/api.md §6): authorised and
// rate-limited like the read API, computed by the summary service.
func (h *handlers) handleSummary(w http.ResponseWriter, r *http.Request) {
	c, ok := h.authorize(w, r, auth.ScopeAnalytics)
	if !ok || !h.allowRate(w, r, c.Account) {
		return
	}
	if h.Summary == nil {
		h.writeInternal(w, r, fmt.Errorf("summary: no summary service configured"))
		return
	}
	raw, ok := h.readBody(w, r, maxSummaryBody)
	if !ok {
		return
	}
	body, err := summary.DecodeBody(raw)
	if err != nil {
		h.writeError(w, r, http.StatusBadRequest, summary.ErrorMessage(err))
		return
	}
	sum, err := h.Summary.Summarize(r.Context(), c.Account, c.Bot, body, time.Now())
	var fe *analytics.FieldError
	switch {
	case errors.As(err, &fe):
		h.writeError(w, r, http.StatusBadRequest, summary.ErrorMessage(err))
		return
	case err != nil:
		h.writeInternal(w, r, err)
		return
	}
	out := sum.AppendJSON(make([]byte, 0, 4096))
	writeAnswer(w, append(out, '\n'))
}
