package httpapi

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/intentrt/intentrt/internal/metrics"
)

// requestMetrics remembers the counter of each (route, code) and the histogram of each route,
// so that a request costs a map lookup instead of the client library's label hashing and
// locking (WithLabelValues) twice.
type requestMetrics struct {
	counters sync.Map // routeCode → prometheus.Counter
	timings  sync.Map // route → prometheus.Observer
}

type routeCode struct {
	route string
	code  int
}

// observe counts a request of route answered with code, which took took.
func (rm *requestMetrics) observe(m *metrics.Metrics, route string, code int, took time.Duration) {
	k := routeCode{route, code}
	c, ok := rm.counters.Load(k)
	if !ok {
		c, _ = rm.counters.LoadOrStore(k, m.Requests.WithLabelValues(route, strconv.Itoa(code)))
	}
	c.(prometheus.Counter).Inc()
	o, ok := rm.timings.Load(route)
	if !ok {
		o, _ = rm.timings.LoadOrStore(route, m.RequestDuration.WithLabelValues(route))
	}
	o.(prometheus.Observer).Observe(took.Seconds())
}
