package dashboard

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/intentrt/intentrt/internal/ratelimit"
)

// DefaultPageRate is each account's budget of dashboard requests a minute (burst as large).
//
// The page's requests do not count toward the read API's limit (60 a minute by default): an
// open dashboard refreshing on every summary.changed would otherwise use up what the account's
// API clients are allowed, and a busy API client would blank the page (docs/api.md §6). 600 a
// minute covers a dozen tabs each refreshing its figures and table at most once every two
// seconds (the page's own pace) with room for sign-ins and searches; a runaway script behind a
// stolen cookie still cannot hammer storage.
const DefaultPageRate = 600

// pageBudget is the page's limiter: per account, like the API's, but a separate bucket. On a
// cluster each node keeps its own (a page talks to the node its load balancer picked).
type pageBudget struct{ l *ratelimit.Limiter }

func newPageBudget(perMinute int) *pageBudget {
	switch {
	case perMinute < 0:
		return &pageBudget{}
	case perMinute == 0:
		perMinute = DefaultPageRate
	}
	return &pageBudget{l: ratelimit.New(perMinute, nil)}
}

// allow takes one request of the account's page budget; when it is spent it answers 429 with
// Retry-After (which the page honours) and returns false.
func (a *Routes) allow(w http.ResponseWriter, r *http.Request, account string) bool {
	b := a.d.budget
	if b.l == nil {
		return true
	}
	ok, wait := b.l.Allow(account)
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(wait)))
	a.h.WriteError(w, r, http.StatusTooManyRequests,
		fmt.Sprintf("the dashboard's request budget of the account (%d a minute) is spent; retry after the time in Retry-After", b.l.Limit(account)))
	return false
}
