package httpapi

import (
	"net/http"

	"github.com/intentrt/intentrt/api"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes registers every route of the API. Method-less patterns of the same paths answer the
// methods a path does not serve with a JSON 405, and "/" answers a JSON 404: every error of every
// route has the same body.
func (h *Handlers) routes(mux *http.ServeMux) {
	const read = "/api/public/bot/{botId}/intentrealtimedata"
	mux.HandleFunc("POST "+read, h.handleRead)
	mux.HandleFunc("GET "+read, h.handleRead) // older versions of the Kore page said GET
	mux.HandleFunc(read, h.methodNotAllowed("GET, POST"))
	mux.HandleFunc("GET "+read+"/stream", h.handleStream)
	mux.HandleFunc(read+"/stream", h.methodNotAllowed("GET"))

	const ingest = "/api/public/bot/{botId}/sessionevents"
	mux.HandleFunc("POST "+ingest, h.handleIngest)
	mux.HandleFunc(ingest, h.methodNotAllowed("POST"))

	mux.HandleFunc("GET /healthz", h.handleHealthz)
	mux.HandleFunc("GET /readyz", h.handleReadyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(h.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/openapi.yaml", api.ServeOpenAPI)

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.WriteError(w, r, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
	})
}

func (h *Handlers) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		h.WriteError(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use "+allow)
	}
}
