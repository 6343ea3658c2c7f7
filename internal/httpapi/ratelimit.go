package httpapi

import (
	"net/http"
	"strconv"

	"github.com/intentrt/intentrt/internal/ratelimit"
)

// allowRate takes one request from the account's budget. When the budget is spent it counts
// the refusal, answers 429 with Retry-After and returns false. Every route that reads on an
// account's behalf calls it, so that the limit and its metric hold alike everywhere.
func (h *handlers) allowRate(w http.ResponseWriter, r *http.Request, account string) bool {
	if h.Limiter == nil {
		return true
	}
	ok, wait := h.Limiter.Allow(account)
	if ok {
		return true
	}
	h.Metrics.RateLimited.Inc()
	w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(wait)))
	h.writeError(w, r, http.StatusTooManyRequests, "rate limit of the account exceeded; retry after the time in Retry-After")
	return false
}
