package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/intentrt/intentrt/api"
	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/dashboard"
)

// routes is the route table of the whole binary: the Kore API, the stream, ingest, operations
// and the dashboard. Method-less patterns of the same paths answer the methods a path does not
// serve with a JSON 405, and "/" answers a JSON 404: every error of every route has the same
// body. A new route goes here, next to its siblings; a read on an account's behalf calls
// h.allowRate after authorising.
func (h *handlers) routes(mux *http.ServeMux) {
	const read = "/api/public/bot/{botId}/intentrealtimedata"
	mux.HandleFunc("POST "+read, h.handleRead)
	mux.HandleFunc("GET "+read, h.handleRead) // older versions of the Kore page said GET
	mux.HandleFunc(read, h.methodNotAllowed("GET, POST"))
	mux.HandleFunc("GET "+read+"/stream", h.handleStream)
	mux.HandleFunc(read+"/stream", h.methodNotAllowed("GET"))
	mux.HandleFunc("POST "+read+"/summary", h.handleSummary)
	mux.HandleFunc(read+"/summary", h.methodNotAllowed("POST"))
	mux.HandleFunc("POST "+read+"/export", h.handleExport)
	mux.HandleFunc(read+"/export", h.methodNotAllowed("POST"))

	const ingest = "/api/public/bot/{botId}/sessionevents"
	mux.HandleFunc("POST "+ingest, h.handleIngest)
	mux.HandleFunc(ingest, h.methodNotAllowed("POST"))

	mux.HandleFunc("POST /api/public/erasures", h.handleErasureCreate)
	mux.HandleFunc("/api/public/erasures", h.methodNotAllowed("POST"))
	mux.HandleFunc("GET /api/public/erasures/{requestId}", h.handleErasureStatus)
	mux.HandleFunc("/api/public/erasures/{requestId}", h.methodNotAllowed("GET"))

	mux.HandleFunc("GET /healthz", h.handleHealthz)
	mux.HandleFunc("GET /readyz", h.handleReadyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(h.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/openapi.yaml", api.ServeOpenAPI)

	if h.Dashboard != nil { // the web page: its own package, mounted with the API's helpers
		var sum dashboard.Summarizer
		if h.Summary != nil { // not a non-nil interface holding nil
			sum = h.Summary
		}
		ui := h.Dashboard.Bind(dashboardHost{h}, h.Sessions, h.Changes, sum)
		mux.HandleFunc("GET /{$}", ui.Index)
		mux.HandleFunc("GET /ui/assets/{name}", ui.Asset)
		mux.HandleFunc("GET /ui/api/session", ui.Me)
		mux.HandleFunc("POST /ui/api/session", ui.SignIn)
		mux.HandleFunc("DELETE /ui/api/session", ui.SignOut)
		mux.HandleFunc("GET /ui/api/bots/{botId}/sessions", ui.Sessions) // the page's own rate budget
		mux.HandleFunc("POST /ui/api/bots/{botId}/summary", ui.Summary)  // the same budget
		mux.HandleFunc("/ui/api/bots/{botId}/summary", h.methodNotAllowed("POST"))
		mux.HandleFunc("GET /ui/api/bots/{botId}/stream", ui.Stream)
		mux.HandleFunc("GET /ui/api/bots/{botId}/webhooks", ui.Webhooks) // the page's budget too
	}

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
	})
}

func (h *handlers) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		h.writeError(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use "+allow)
	}
}

// dashboardHost lends the dashboard the API's error writer, request log and stream
// (dashboard.Host). Not the read API's rate limit: the page has a budget of its own.
type dashboardHost struct{ h *handlers }

func (d dashboardHost) WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

func (d dashboardHost) WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d.h.writeError(w, r, status, msg)
}

func (d dashboardHost) WriteInternal(w http.ResponseWriter, r *http.Request, err error) {
	d.h.writeInternal(w, r, err)
}

func (d dashboardHost) NoteCaller(r *http.Request, account, clientID string) {
	d.h.noteCaller(r, account, clientID)
}

func (d dashboardHost) ServeStream(w http.ResponseWriter, r *http.Request, app auth.App, bot string) {
	d.h.serveStream(w, r, caller{App: app, Account: app.Account, Bot: bot})
}
