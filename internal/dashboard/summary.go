package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/summary"
)

// Summarizer computes a bot's summary (docs/api.md §6): the service the API's summary route
// uses, so that the page and the API give the same figures for the same body.
type Summarizer interface {
	Summarize(ctx context.Context, account, bot string, body analytics.Body, now time.Time) (analytics.Summary, error)
}

// maxSummaryBody bounds the body as the API's summary route does.
const maxSummaryBody = 64 << 10

// Summary answers the page's figures: the API's summary body in, the API's summary out, under
// the cookie and the page's own rate budget. POST, like the API, so that the page sends the
// very body a curl user would.
func (a *Routes) Summary(w http.ResponseWriter, r *http.Request) {
	app, bot, ok := a.caller(w, r)
	if !ok || !a.sameOrigin(w, r) || !a.allow(w, r, app.Account) {
		return
	}
	if a.sum == nil {
		a.h.WriteError(w, r, http.StatusServiceUnavailable, "the summary is not available on this server")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSummaryBody))
	if err != nil {
		a.h.WriteError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body too large: at most %d bytes", maxSummaryBody))
		return
	}
	// The API's decoder and service: the same body gives the same answer on both routes.
	body, err := summary.DecodeBody(raw)
	if err != nil {
		a.h.WriteError(w, r, http.StatusBadRequest, summary.ErrorMessage(err))
		return
	}
	sum, err := a.sum.Summarize(r.Context(), app.Account, bot, body, a.d.now())
	var fe *analytics.FieldError
	switch {
	case errors.As(err, &fe):
		a.h.WriteError(w, r, http.StatusBadRequest, summary.ErrorMessage(err))
		return
	case err != nil:
		a.h.WriteInternal(w, r, fmt.Errorf("dashboard summary: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(sum.AppendJSON(make([]byte, 0, 16<<10)))
}
