package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
)

// Summarizer computes a bot's summary (docs/api.md §6): the service the API's summary route
// uses, so that the page and the API give the same figures for the same body.
type Summarizer interface {
	Summarize(ctx context.Context, account, bot string, body analytics.Body, now time.Time) (analytics.Summary, error)
}

// Summary answers the page's figures: the API's summary body in, the API's summary out, under
// the cookie and the page's own rate budget. POST, like the API, so that the page sends the
// very body a curl user would.
func (a *Routes) Summary(w http.ResponseWriter, r *http.Request) {
	app, bot, ok := a.caller(w, r)
	if !ok || !a.sameOrigin(w, r) || !a.allow(w, r, app.Account) {
		return
	}
	if a.d.summary == nil {
		a.h.WriteError(w, r, http.StatusServiceUnavailable, "the summary is not available on this server")
		return
	}
	body, err := decodeSummaryBody(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		a.h.WriteError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	sum, err := a.d.summary.Summarize(r.Context(), app.Account, bot, body, a.d.now())
	var fe *analytics.FieldError
	switch {
	case errors.As(err, &fe):
		a.h.WriteError(w, r, http.StatusBadRequest, fe.Error())
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

// decodeSummaryBody reads one JSON object of the summary's known fields; an empty body is {}.
func decodeSummaryBody(r io.Reader) (analytics.Body, error) {
	var b analytics.Body
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(&b)
	switch {
	case err == nil && dec.More():
		return b, errors.New("body must hold a single JSON object")
	case err == nil || errors.Is(err, io.EOF):
		return b, nil
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return b, fmt.Errorf("body field %s is not known; accepted: from, to, bucket, timezone, channels, intent, top",
			strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return b, fmt.Errorf("body must be a JSON object of the summary's fields: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}
