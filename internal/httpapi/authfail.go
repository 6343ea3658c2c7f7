package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/intentrt/intentrt/internal/ratelimit"
)

// AuthThrottle counts the authentication failures of each client address and says when one
// has failed too often (ratelimit.Failures).
type AuthThrottle interface {
	Blocked(remote string) (bool, time.Duration)
	Fail(remote string)
}

// authThrottled answers 429 with Retry-After, before any credential is checked, when the
// client's address has failed to authenticate too often; guessing tokens, cookies or sign-ins
// then costs the guesser time and the server nothing.
func (h *handlers) authThrottled(w http.ResponseWriter, r *http.Request) bool {
	if h.AuthFailures == nil {
		return false
	}
	blocked, wait := h.AuthFailures.Blocked(r.RemoteAddr)
	if !blocked {
		return false
	}
	h.Metrics.AuthThrottled.Inc()
	secs := ratelimit.RetryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	h.writeError(w, r, http.StatusTooManyRequests,
		"too many failed authentications from this address; retry after "+strconv.Itoa(secs)+" s")
	return true
}

// authFailed counts one authentication failure of the client's address.
func (h *handlers) authFailed(r *http.Request) {
	if h.AuthFailures != nil {
		h.AuthFailures.Fail(r.RemoteAddr)
	}
}

func (d dashboardHost) AuthThrottled(w http.ResponseWriter, r *http.Request) bool {
	return d.h.authThrottled(w, r)
}

func (d dashboardHost) AuthFailed(r *http.Request) { d.h.authFailed(r) }
