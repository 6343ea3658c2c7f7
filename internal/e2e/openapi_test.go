package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/intentrt/intentrt/api"
	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/testserver"
)

// registerDecoders teaches openapi3filter the two media types of ours it does not know: the
// ingest API's NDJSON (each line an event; decoded as the array of the lines' events, as the
// document describes it) and the stream's text/event-stream (plain text).
var registerDecoders = sync.OnceFunc(func() {
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		var out []any
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			var v any
			if err := json.Unmarshal(line, &v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, sc.Err()
	})
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
})

// loadOpenAPI loads the embedded document (the one GET /api/openapi.yaml serves) and checks that
// it is a valid OpenAPI 3 document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	registerDecoders()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load api/openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// apiChecker sends requests to a real server and validates each request and response against
// the document.
type apiChecker struct {
	t      *testing.T
	s      *testserver.Server
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

func newAPIChecker(t *testing.T, s *testserver.Server) *apiChecker {
	doc := loadOpenAPI(t)
	// The document names the default address; the test server listens on a random port, and
	// gorillamux matches the host of the servers it is given.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &apiChecker{t: t, s: s, doc: doc, router: router, opts: &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true, // a status the document does not list is drift too
		MultiError:            true,
	}}
}

// apiCall is one request of the scenario and what must come of it.
type apiCall struct {
	name    string
	method  string
	path    string
	headers map[string]string
	body    string
	status  int
	// docRejects says the document itself forbids the request (the server must refuse it too:
	// status is then a 4xx). A request the document allows must validate.
	docRejects bool
}

// do sends c, checks its status, and validates request and response against the document. It
// returns the response body.
func (a *apiChecker) do(c apiCall) (http.Header, []byte) {
	a.t.Helper()
	req := a.request(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s: %v", c.name, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		a.t.Fatalf("%s: read body: %v", c.name, err)
	}
	if resp.StatusCode != c.status {
		a.t.Fatalf("%s: status %d, want %d: %s", c.name, resp.StatusCode, c.status, body)
	}
	a.validate(c, resp.StatusCode, resp.Header, body)
	return resp.Header, body
}

func (a *apiChecker) request(c apiCall) *http.Request {
	a.t.Helper()
	var rd io.Reader
	if c.body != "" {
		rd = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, a.s.URL+c.path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	return req
}

// validate checks a request (rebuilt, since the sent one's body is consumed) and its response.
func (a *apiChecker) validate(c apiCall, status int, header http.Header, body []byte) {
	a.t.Helper()
	req := a.request(c)
	// The doubled slash is an alias of the read API (documented in its description); the
	// document's paths name the canonical form.
	req.URL.Path = strings.ReplaceAll(req.URL.Path, "//", "/")
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		a.t.Fatalf("%s: the document has no route for %s %s: %v", c.name, c.method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: a.opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case c.docRejects && reqErr == nil:
		a.t.Errorf("%s: the document accepts a request that the scenario calls invalid", c.name)
	case !c.docRejects && reqErr != nil:
		a.t.Errorf("%s: the document rejects the request: %.2000v", c.name, reqErr)
	}
	if c.docRejects && status < 400 {
		a.t.Errorf("%s: the server accepted (%d) a request the document forbids", c.name, status)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: a.opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		a.t.Errorf("%s: the response (%d %s) does not match the document: %.2000v\nbody: %.2000s", c.name, status, header.Get("Content-Type"), err, body)
	}
}

// schema returns a component schema of the document.
func (a *apiChecker) schema(name string) *openapi3.Schema {
	a.t.Helper()
	ref, ok := a.doc.Components.Schemas[name]
	if !ok || ref.Value == nil {
		a.t.Fatalf("the document has no schema %s", name)
	}
	return ref.Value
}

// TestOpenAPIDocumentValid checks that the document is valid OpenAPI 3, describes every route
// the server serves, and that the running server serves it byte for byte.
func TestOpenAPIDocumentValid(t *testing.T) {
	doc := loadOpenAPI(t)
	want := map[string][]string{
		"/api/public/bot/{botId}/intentrealtimedata":         {"GET", "POST"},
		"/api/public/bot/{botId}/intentrealtimedata/stream":  {"GET"},
		"/api/public/bot/{botId}/intentrealtimedata/summary": {"POST"},
		"/api/public/bot/{botId}/intentrealtimedata/export":  {"POST"},
		"/api/public/bot/{botId}/sessionevents":              {"POST"},
		"/api/public/erasures":                               {"POST"},
		"/api/public/erasures/{requestId}":                   {"GET"},
		"/healthz":                                           {"GET"},
		"/readyz":                                            {"GET"},
		"/metrics":                                           {"GET"},
		"/api/openapi.yaml":                                  {"GET"},
		"/":                                                  {"GET"},
		"/ui/assets/{name}":                                  {"GET"},
		"/ui/api/session":                                    {"GET", "POST", "DELETE"},
		"/ui/api/bots/{botId}/sessions":                      {"GET"},
		"/ui/api/bots/{botId}/summary":                       {"POST"},
		"/ui/api/bots/{botId}/stream":                        {"GET"},
		"/ui/api/bots/{botId}/webhooks":                      {"GET"},
	}
	for path, methods := range want {
		item := doc.Paths.Value(path)
		if item == nil {
			t.Errorf("the document lacks path %s", path)
			continue
		}
		for _, m := range methods {
			if item.GetOperation(m) == nil {
				t.Errorf("the document lacks %s %s", m, path)
			}
		}
	}
	if n := doc.Paths.Len(); n != len(want) {
		t.Errorf("the document has %d paths, the server serves %d: %v", n, len(want), doc.Paths.InMatchingOrder())
	}
	for _, name := range []string{"korAuth", "bearerAuth", "dashboardCookie"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("the document lacks security scheme %s", name)
		}
	}
}

// TestOpenAPIScenario drives a real server through every route and the main status codes and
// validates every request and response against api/openapi.yaml: a key added to or dropped from
// the server's JSON, a changed type or format, a new status code, all fail here.
func TestOpenAPIScenario(t *testing.T) {
	s := testserver.Start(t, "--max-events", "50", "--rate-limit-account", "acct-rl=2")
	a := newAPIChecker(t, s)

	const acct, bot = "acct-oa", "st-oa"
	rw := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}})
	readOnly := s.CreateApp(t, testserver.AppSpec{Account: acct, Bots: []string{bot}, Scopes: []auth.Scope{auth.ScopeAnalytics}})
	other := s.CreateApp(t, testserver.AppSpec{Account: "acct-other"})
	limited := s.CreateApp(t, testserver.AppSpec{Account: "acct-rl"})

	hdr := func(app testserver.CreatedApp, account string, extra ...string) map[string]string {
		h := map[string]string{"auth": app.Token(t), "accountId": account}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}
	jsonHdr := func(app testserver.CreatedApp) map[string]string {
		return hdr(app, acct, "Content-Type", "application/json")
	}
	ingestPath := "/api/public/bot/" + bot + "/sessionevents"
	readPath := "/api/public/bot/" + bot + "/intentrealtimedata"

	// Operations.
	a.do(apiCall{name: "healthz", method: "GET", path: "/healthz", status: 200})
	a.do(apiCall{name: "readyz", method: "GET", path: "/readyz", status: 200})
	a.do(apiCall{name: "metrics", method: "GET", path: "/metrics", status: 200})
	_, served := a.do(apiCall{name: "openapi", method: "GET", path: "/api/openapi.yaml", status: 200})
	if !bytes.Equal(served, api.OpenAPI) {
		t.Errorf("GET /api/openapi.yaml does not serve api/openapi.yaml")
	}

	// Ingest: JSON array, single object, NDJSON, duplicates.
	_, body := a.do(apiCall{name: "ingest json", method: "POST", path: ingestPath, headers: jsonHdr(rw), status: 200, body: `[
		{"type":"session.started","sessionId":"s-1","eventId":"e-1","time":"2026-11-24T10:00:00Z","channel":"korevg","ANI":"+15550100","DNI":"+18005550100","userId":"u-1"},
		{"type":"intent.detected","sessionId":"s-1","time":"2026-11-24T10:00:05+01:00","intent":"Check Balance"},
		{"type":"session.ended","sessionId":"s-1","time":"2026-11-24T10:02:10.5Z","status":"COMPLETED","deflectedTo":null},
		{"type":"session.completed","sessionId":"s-2","channel":"audiocodes","ANI":"a","DNI":"d","userId":"u-2",
		 "startTime":"2026-11-24T08:00:00Z","endTime":"2026-11-24T09:01:05Z","intents":["Book a Flight","Change Address"],
		 "status":"dropoff","deflectedTo":"RTM","timeHandled":3605}]`})
	oaAssertJSON(t, body, `{"accepted":4,"duplicates":0}`)
	a.do(apiCall{name: "ingest one object", method: "POST", path: ingestPath, headers: jsonHdr(rw), status: 200,
		body: `{"type":"session.completed","sessionId":"s-3","channel":"rtm","startTime":"2026-11-24T11:00:00Z","endTime":"2026-11-24T11:00:50Z","status":"agentTransfer"}`})
	nd := `{"type":"session.started","sessionId":"s-4","time":"2026-11-24T12:00:00Z","channel":"twiliovoice"}` + "\n\n" +
		`{"type":"session.ended","sessionId":"s-4","time":"2026-11-24T12:13:08Z","status":"error","timeHandled":null}` + "\n"
	ndHdr := hdr(rw, acct, "Content-Type", "application/x-ndjson")
	_, body = a.do(apiCall{name: "ingest ndjson", method: "POST", path: ingestPath, headers: ndHdr, body: nd, status: 200})
	oaAssertJSON(t, body, `{"accepted":2,"duplicates":0}`)
	_, body = a.do(apiCall{name: "ingest ndjson again", method: "POST", path: ingestPath, headers: ndHdr, body: nd, status: 200})
	oaAssertJSON(t, body, `{"accepted":0,"duplicates":2}`)

	// Ingest errors.
	for _, c := range []apiCall{
		{name: "ingest bad status", body: `[{"type":"session.ended","sessionId":"x","time":"2026-11-24T10:00:00Z","status":"done"}]`, status: 400, docRejects: true},
		{name: "ingest field of another type", body: `[{"type":"intent.detected","sessionId":"x","time":"2026-11-24T10:00:00Z","intent":"i","status":"error"}]`, status: 400, docRejects: true},
		{name: "ingest unknown type", body: `[{"type":"session.paused","sessionId":"x","time":"2026-11-24T10:00:00Z"}]`, status: 400, docRejects: true},
		{name: "ingest bad time", body: `[{"type":"session.started","sessionId":"x","time":"yesterday","channel":"rtm"}]`, status: 400, docRejects: true},
		{name: "ingest empty body", body: "", status: 400, docRejects: true},
		{name: "ingest control character", body: `[{"type":"session.started","sessionId":"x","time":"2026-11-24T10:00:00Z","channel":"rtm","userId":"u\u0001"}]`, status: 400, docRejects: true},
		{name: "ingest blank intent", body: `[{"type":"intent.detected","sessionId":"x","time":"2026-11-24T10:00:00Z","intent":"  "}]`, status: 400, docRejects: true},
		{name: "ingest too many events", body: "[" + strings.Repeat(`{"type":"intent.detected","sessionId":"x","time":"2026-11-24T10:00:00Z","intent":"i"},`, 50) +
			`{"type":"intent.detected","sessionId":"x","time":"2026-11-24T10:00:00Z","intent":"i"}]`, status: 413},
	} {
		c.method, c.path, c.headers = "POST", ingestPath, jsonHdr(rw)
		a.do(c)
	}
	event := `[{"type":"intent.detected","sessionId":"x","time":"2026-11-24T10:00:00Z","intent":"i"}]`
	a.do(apiCall{name: "ingest text/plain", method: "POST", path: ingestPath, headers: hdr(rw, acct, "Content-Type", "text/plain"), body: event, status: 415, docRejects: true})
	a.do(apiCall{name: "ingest no accountId", method: "POST", path: ingestPath, headers: map[string]string{"auth": rw.Token(t), "Content-Type": "application/json"}, body: event, status: 400, docRejects: true})
	a.do(apiCall{name: "ingest no token", method: "POST", path: ingestPath, headers: map[string]string{"accountId": acct, "Content-Type": "application/json"}, body: event, status: 401})
	a.do(apiCall{name: "ingest bad token", method: "POST", path: ingestPath, headers: map[string]string{"auth": "not.a.jwt", "accountId": acct, "Content-Type": "application/json"}, body: event, status: 401})
	a.do(apiCall{name: "ingest read-only app", method: "POST", path: ingestPath, headers: jsonHdr(readOnly), body: event, status: 403})
	a.do(apiCall{name: "ingest other account", method: "POST", path: ingestPath, headers: hdr(other, acct, "Content-Type", "application/json"), body: event, status: 403})

	// Read: every form of the request, then the errors.
	_, body = a.do(apiCall{name: "read no body", method: "POST", path: readPath, headers: hdr(rw, acct, "Format", "application/json"), status: 200})
	var sessions []map[string]any
	if err := json.Unmarshal(body, &sessions); err != nil || len(sessions) != 4 {
		t.Fatalf("read: want 4 sessions, got %s (%v)", body, err)
	}
	a.do(apiCall{name: "read {}", method: "POST", path: readPath, headers: jsonHdr(rw), body: `{}`, status: 200})
	a.do(apiCall{name: "read GET", method: "GET", path: readPath, headers: hdr(rw, acct), status: 200})
	a.do(apiCall{name: "read doubled slash", method: "POST", path: "/api/public/bot/" + bot + "//intentrealtimedata", headers: hdr(rw, acct), status: 200})
	a.do(apiCall{name: "read bearer", method: "POST", path: readPath, headers: map[string]string{"Authorization": "Bearer " + rw.Token(t), "accountId": acct}, status: 200})
	_, body = a.do(apiCall{name: "read filtered", method: "POST", path: readPath, headers: jsonHdr(rw), status: 200,
		body: `{"limit":2,"channels":["AUDIOCODES","korevg"],"statuses":["dropoff","completed"],"intents":["Book a Flight","Check Balance"],"from":"2026-11-24T00:00:00Z","to":"2026-11-25T00:00:00+01:00"}`})
	if err := json.Unmarshal(body, &sessions); err != nil || len(sessions) != 2 {
		t.Fatalf("read filtered: want 2 sessions, got %s (%v)", body, err)
	}
	for _, c := range []apiCall{
		{name: "read limit 0", body: `{"limit":0}`, status: 400, docRejects: true},
		{name: "read unknown field", body: `{"bot":"x"}`, status: 400, docRejects: true},
		{name: "read bad status", body: `{"statuses":["done"]}`, status: 400, docRejects: true},
		{name: "read bad from", body: `{"from":"today"}`, status: 400, docRejects: true},
		{name: "read body too large", body: `{"intents":["Check Balance"` + strings.Repeat(`,"Check Balance"`, 5000) + `]}`, status: 413},
	} {
		c.method, c.path, c.headers = "POST", readPath, jsonHdr(rw)
		a.do(c)
	}
	exportPath := readPath + "/export"
	a.do(apiCall{name: "export ndjson", method: "POST", path: exportPath, headers: hdr(rw, acct), status: 200})
	a.do(apiCall{name: "export ndjson resumed", method: "POST", path: exportPath, headers: jsonHdr(rw), body: `{"after":"1","channels":["korevg"]}`, status: 200})
	a.do(apiCall{name: "export csv", method: "POST", path: exportPath, headers: hdr(rw, acct, "Accept", "text/csv"), status: 200})
	a.do(apiCall{name: "export limit", method: "POST", path: exportPath, headers: jsonHdr(rw), body: `{"limit":5}`, status: 400, docRejects: true})
	a.do(apiCall{name: "export bad cursor", method: "POST", path: exportPath, headers: jsonHdr(rw), body: `{"after":"x"}`, status: 400, docRejects: true})
	a.do(apiCall{name: "export not acceptable", method: "POST", path: exportPath, headers: hdr(rw, acct, "Accept", "application/xml"), status: 406})
	a.do(apiCall{name: "export other account", method: "POST", path: exportPath, headers: hdr(rw, "acct-other"), status: 403})
	a.do(apiCall{name: "read bad botId", method: "POST", path: "/api/public/bot/" + strings.Repeat("b", 129) + "/intentrealtimedata", headers: hdr(rw, acct), status: 400, docRejects: true})
	a.do(apiCall{name: "read no accountId", method: "POST", path: readPath, headers: map[string]string{"auth": rw.Token(t)}, status: 400, docRejects: true})
	a.do(apiCall{name: "read no token", method: "POST", path: readPath, headers: map[string]string{"accountId": acct}, status: 401})
	expired, err := auth.Mint(rw.ClientID, rw.ClientSecret, auth.MintOptions{TTL: time.Hour, Now: time.Now().Add(-3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	a.do(apiCall{name: "read expired token", method: "POST", path: readPath, headers: map[string]string{"auth": expired, "accountId": acct}, status: 401})
	a.do(apiCall{name: "read other account", method: "POST", path: readPath, headers: hdr(rw, "acct-other"), status: 403})
	a.do(apiCall{name: "read other bot", method: "POST", path: "/api/public/bot/st-elsewhere/intentrealtimedata", headers: hdr(rw, acct), status: 403})

	a.summary(readPath+"/summary", jsonHdr(rw), hdr(other, acct, "Content-Type", "application/json"), jsonHdr(readOnly))

	// Rate limit: acct-rl may make 2 reads a minute.
	rlPath := "/api/public/bot/st-rl/intentrealtimedata"
	a.do(apiCall{name: "read rl 1", method: "POST", path: rlPath, headers: hdr(limited, "acct-rl"), status: 200})
	a.do(apiCall{name: "read rl 2", method: "POST", path: rlPath, headers: hdr(limited, "acct-rl"), status: 200})
	h, _ := a.do(apiCall{name: "read rl 3", method: "POST", path: rlPath, headers: hdr(limited, "acct-rl"), status: 429})
	if h.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}

	// An unknown route: the document does not have it, and the server answers the error body.
	resp, body := s.Do(t, "GET", "/api/public/nothing-here", nil, "")
	if resp.StatusCode != 404 {
		t.Errorf("unknown route: %d %s", resp.StatusCode, body)
	}
	if _, _, err := a.router.FindRoute(oaMustRequest(t, "GET", s.URL+"/api/public/nothing-here")); !errors.Is(err, routers.ErrPathNotFound) {
		t.Errorf("the document routes /api/public/nothing-here: %v", err)
	}
	a.visit("404 body", "Error", body)

	a.stream(bot, acct, rw)
	a.dashboard(bot, acct, rw)
	a.driftIsCaught(readPath, hdr(rw, acct))
	a.erasure(acct, s.CreateApp(t, testserver.AppSpec{Account: acct}), rw, other)
}

// erasure checks the erasure routes: a request and its status, and their errors. It erases a
// user no session has, so that it changes nothing the other checks see.
func (a *apiChecker) erasure(acct string, eraser, someBots, other testserver.CreatedApp) {
	t := a.t
	h := map[string]string{"auth": eraser.Token(t), "accountId": acct, "Content-Type": "application/json"}
	_, body := a.do(apiCall{name: "erasure", method: "POST", path: "/api/public/erasures", headers: h, body: `{"userIds":["u-nobody"]}`, status: 202})
	var req struct{ RequestID string }
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	get := map[string]string{"auth": eraser.Token(t), "accountId": acct}
	a.do(apiCall{name: "erasure status", method: "GET", path: "/api/public/erasures/" + req.RequestID, headers: get, status: 200})
	a.do(apiCall{name: "erasure empty", method: "POST", path: "/api/public/erasures", headers: h, body: `{"userIds":[]}`, status: 400, docRejects: true})
	a.do(apiCall{name: "erasure unknown field", method: "POST", path: "/api/public/erasures", headers: h, body: `{"users":["x"]}`, status: 400, docRejects: true})
	a.do(apiCall{name: "erasure no token", method: "POST", path: "/api/public/erasures", headers: map[string]string{"accountId": acct, "Content-Type": "application/json"}, body: `{"userIds":["x"]}`, status: 401})
	a.do(apiCall{name: "erasure some bots", method: "POST", path: "/api/public/erasures", headers: map[string]string{"auth": someBots.Token(t), "accountId": acct, "Content-Type": "application/json"}, body: `{"userIds":["x"]}`, status: 403})
	a.do(apiCall{name: "erasure of another account", method: "GET", path: "/api/public/erasures/" + req.RequestID, headers: map[string]string{"auth": other.Token(t), "accountId": "acct-other"}, status: 404})
}

// summary checks the summary route: its answer over the sessions ingested above, every form of
// request the document describes, and its errors.
func (a *apiChecker) summary(path string, rw, other, readOnly map[string]string) {
	t := a.t
	_, body := a.do(apiCall{name: "summary", method: "POST", path: path, headers: rw, status: 200,
		body: `{"from":"2026-11-24T00:00:00Z","to":"2026-11-25T00:00:00Z","bucket":"1h","timezone":"Europe/Berlin","top":3}`})
	var sum struct {
		Totals struct{ Sessions int }
		Series []any
	}
	if err := json.Unmarshal(body, &sum); err != nil || sum.Totals.Sessions != 4 || len(sum.Series) != 24 {
		t.Fatalf("summary: want 4 sessions in 24 buckets, got %s (%v)", body, err)
	}
	plain := map[string]string{"auth": rw["auth"], "accountId": rw["accountId"]}
	a.do(apiCall{name: "summary no body", method: "POST", path: path, headers: plain, status: 200})
	a.do(apiCall{name: "summary filtered", method: "POST", path: path, headers: rw, status: 200,
		body: `{"from":"2026-11-23T00:00:00+01:00","to":"2026-11-30T00:00:00+01:00","bucket":"1d","timezone":"Europe/Berlin","channels":["AUDIOCODES","korevg"],"intent":"Book a Flight"}`})
	a.do(apiCall{name: "summary doubled slash", method: "POST", path: strings.Replace(path, "/intentrealtimedata", "//intentrealtimedata", 1), headers: plain, status: 200})
	for _, c := range []apiCall{
		{name: "summary unknown field", body: `{"window":"1h"}`, status: 400, docRejects: true},
		{name: "summary bad bucket", body: `{"bucket":"2h"}`, status: 400, docRejects: true},
		{name: "summary bad zone", body: `{"timezone":"Mars/Olympus"}`, status: 400},
		{name: "summary from after to", body: `{"from":"2026-11-25T00:00:00Z","to":"2026-11-24T00:00:00Z"}`, status: 400},
		{name: "summary top 0", body: `{"top":0}`, status: 400, docRejects: true},
		{name: "summary too many buckets", body: `{"from":"2026-11-01T00:00:00Z","to":"2026-11-25T00:00:00Z","bucket":"1m"}`, status: 400},
		{name: "summary body too large", body: `{"channels":["rtm"` + strings.Repeat(`,"rtm"`, 12000) + `]}`, status: 413},
	} {
		c.method, c.path, c.headers = "POST", path, rw
		a.do(c)
	}
	a.do(apiCall{name: "summary other account", method: "POST", path: path, headers: other, status: 403})
	a.do(apiCall{name: "summary read-only app", method: "POST", path: path, headers: readOnly, status: 200})
	a.do(apiCall{name: "summary no token", method: "POST", path: path, headers: map[string]string{"accountId": rw["accountId"]}, status: 401})
}

// stream checks the live stream: its errors and, with a session completing while a client
// listens, its status, content type and the session object it carries.
func (a *apiChecker) stream(bot, acct string, app testserver.CreatedApp) {
	t := a.t
	path := "/api/public/bot/" + bot + "/intentrealtimedata/stream"
	a.do(apiCall{name: "stream no token", method: "GET", path: path, headers: map[string]string{"accountId": acct}, status: 401})
	a.do(apiCall{name: "stream no accountId", method: "GET", path: path, headers: map[string]string{"auth": app.Token(t)}, status: 400, docRejects: true})
	a.do(apiCall{name: "stream bad cursor", method: "GET", path: path, headers: map[string]string{"auth": app.Token(t), "accountId": acct, "Last-Event-ID": "abc"}, status: 400, docRejects: true})
	a.do(apiCall{name: "stream other account", method: "GET", path: path, headers: map[string]string{"auth": app.Token(t), "accountId": "acct-other"}, status: 403})

	c := apiCall{name: "stream", method: "GET", path: path, headers: map[string]string{"auth": app.Token(t), "accountId": acct, "Accept": "text/event-stream"}, status: 200}
	data := a.openStream(c, func() {
		a.s.Ingest(t, app.Token(t), acct, bot, `[{"type":"session.completed","sessionId":"s-live","channel":"rtm","startTime":"2026-11-24T13:00:00Z","endTime":"2026-11-24T13:00:09Z","status":"completed"}]`)
	}, `"s-live"`)
	a.visit("stream event data", "Session", []byte(data))

	data = a.openStream(c, func() {
		a.s.Ingest(t, app.Token(t), acct, bot, `[{"type":"session.completed","sessionId":"s-live2","channel":"rtm","startTime":"2026-11-24T13:00:00Z","endTime":"2026-11-24T13:00:19Z","status":"Dropoff"}]`)
	}, `"asOf"`)
	a.visit("stream summary.changed data", "SummaryChanged", []byte(data))
}

// openStream opens a stream, calls started once the 200 has come, reads until a data line
// containing want (or, with want empty, the first line), then validates the response as read
// so far and returns that data line.
func (a *apiChecker) openStream(c apiCall, started func(), want string) string {
	t := a.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(a.request(c).WithContext(ctx))
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != c.status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %d %s", c.name, resp.StatusCode, b)
	}
	if started != nil {
		started()
	}
	// The stream may first send its retry line, replay or heartbeats.
	var got bytes.Buffer
	var data string
	rd := bufio.NewReader(resp.Body)
	for {
		line, err := rd.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			t.Fatalf("%s: the stream ended before %s: %v\n%s", c.name, want, err, got.String())
		}
		if want == "" {
			break
		}
		if d, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: "); ok && strings.Contains(d, want) {
			data = d
			break
		}
	}
	cancel()
	a.validate(c, resp.StatusCode, resp.Header, got.Bytes())
	return data
}

// dashboard drives the dashboard's page and JSON routes through a sign-in with the app's
// credentials, the cookie it sets, and a sign-out.
func (a *apiChecker) dashboard(bot, acct string, app testserver.CreatedApp) {
	t := a.t
	a.do(apiCall{name: "dashboard page", method: "GET", path: "/", status: 200})
	a.do(apiCall{name: "dashboard asset", method: "GET", path: "/ui/assets/app.js", status: 200})
	a.do(apiCall{name: "dashboard missing asset", method: "GET", path: "/ui/assets/nothing.js", status: 404})
	creds := fmt.Sprintf(`{"accountId":%q,"clientId":%q,"clientSecret":%q}`, acct, app.ClientID, app.ClientSecret)
	jsonCSRF := map[string]string{"Content-Type": "application/json", "X-Intentrt-Csrf": "1"}
	a.do(apiCall{name: "dashboard sign-in without csrf", method: "POST", path: "/ui/api/session", headers: map[string]string{"Content-Type": "application/json"}, body: creds, status: 403, docRejects: true})
	a.do(apiCall{name: "dashboard sign-in wrong secret", method: "POST", path: "/ui/api/session", headers: jsonCSRF,
		body: fmt.Sprintf(`{"accountId":%q,"clientId":%q,"clientSecret":"wrong"}`, acct, app.ClientID), status: 401})
	a.do(apiCall{name: "dashboard sign-in extra field", method: "POST", path: "/ui/api/session", headers: jsonCSRF,
		body: fmt.Sprintf(`{"accountId":%q,"clientId":%q,"clientSecret":"x","remember":true}`, acct, app.ClientID), status: 400, docRejects: true})
	h, _ := a.do(apiCall{name: "dashboard sign-in", method: "POST", path: "/ui/api/session", headers: jsonCSRF, body: creds, status: 200})
	var cookie string
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "intentrt_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("dashboard sign-in set no intentrt_session cookie: %v", h)
	}
	withCookie := map[string]string{"Cookie": cookie}
	a.do(apiCall{name: "dashboard whoami", method: "GET", path: "/ui/api/session", headers: withCookie, status: 200})
	a.do(apiCall{name: "dashboard whoami signed out", method: "GET", path: "/ui/api/session", status: 401})
	_, body := a.do(apiCall{name: "dashboard sessions", method: "GET", path: "/ui/api/bots/" + bot + "/sessions?limit=3", headers: withCookie, status: 200})
	var recent struct{ Sessions []map[string]any }
	if err := json.Unmarshal(body, &recent); err != nil || len(recent.Sessions) != 3 {
		t.Errorf("dashboard sessions: %s (%v)", body, err)
	}
	a.do(apiCall{name: "dashboard sessions bad limit", method: "GET", path: "/ui/api/bots/" + bot + "/sessions?limit=0", headers: withCookie, status: 400, docRejects: true})
	a.do(apiCall{name: "dashboard sessions other bot", method: "GET", path: "/ui/api/bots/st-elsewhere/sessions", headers: withCookie, status: 403})
	// A webhook to a loopback receiver, which this server refuses: it shows as failing, so that
	// the answer carries every field, the error and the times included.
	a.s.CLI(t, "webhooks", "create", "--account", acct, "--bot", bot, "--events", "session", "--url", "http://127.0.0.1:9/hook")
	var hooks struct {
		Webhooks []struct{ State string }
	}
	for deadline := time.Now().Add(15 * time.Second); len(hooks.Webhooks) == 0 || hooks.Webhooks[0].State != "failing"; {
		a.s.Ingest(t, app.Token(t), acct, bot, `[{"type":"session.completed","sessionId":"for-the-webhook","channel":"rtm","ANI":"a","DNI":"d",
			"userId":"u","startTime":"2026-01-06T14:07:08Z","endTime":"2026-01-06T14:08:08Z","intents":[],"status":"completed"}]`)
		_, body := a.do(apiCall{name: "dashboard webhooks", method: "GET", path: "/ui/api/bots/" + bot + "/webhooks", headers: withCookie, status: 200})
		if err := json.Unmarshal(body, &hooks); err != nil || time.Now().After(deadline) {
			t.Fatalf("dashboard webhooks never showed the webhook failing: %s (%v)", body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.do(apiCall{name: "dashboard webhooks other bot", method: "GET", path: "/ui/api/bots/st-elsewhere/webhooks", headers: withCookie, status: 403})
	a.openStream(apiCall{name: "dashboard stream", method: "GET", path: "/ui/api/bots/" + bot + "/stream", headers: withCookie, status: 200}, nil, "")
	a.do(apiCall{name: "dashboard sign-out", method: "DELETE", path: "/ui/api/session", headers: map[string]string{"X-Intentrt-Csrf": "1", "Cookie": cookie}, status: 204})
}

// visit validates a JSON body against a component schema.
func (a *apiChecker) visit(name, schema string, body []byte) {
	a.t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		a.t.Errorf("%s: not JSON: %v: %s", name, err, body)
		return
	}
	if err := a.schema(schema).VisitJSON(v, openapi3.VisitAsResponse(), openapi3.EnableJSONSchema2020()); err != nil {
		a.t.Errorf("%s: does not match schema %s: %v\n%s", name, schema, err, body)
	}
}

// driftIsCaught proves that the validation above is not vacuous: the same real response with
// one key added, one dropped, or a time in another format must fail it.
func (a *apiChecker) driftIsCaught(readPath string, headers map[string]string) {
	t := a.t
	c := apiCall{name: "drift", method: "POST", path: readPath, headers: headers, status: 200}
	req := a.request(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mutations := map[string]func(m map[string]any){
		"extra key":      func(m map[string]any) { m["botId"] = "st-oa" },
		"missing key":    func(m map[string]any) { delete(m, "deflectedTo") },
		"Z time":         func(m map[string]any) { m["endTime"] = "2026-11-24T10:02:10.500Z" },
		"null intent":    func(m map[string]any) { m["intent"] = nil },
		"status casing":  func(m map[string]any) { m["status"] = "Completed" },
		"handled format": func(m map[string]any) { m["timeHandled"] = "130s" },
	}
	for name, mutate := range mutations {
		var sessions []map[string]any
		if err := json.Unmarshal(body, &sessions); err != nil || len(sessions) == 0 {
			t.Fatalf("drift: %s (%v)", body, err)
		}
		mutate(sessions[0])
		b, _ := json.Marshal(sessions)
		route, params, err := a.router.FindRoute(a.request(c))
		if err != nil {
			t.Fatal(err)
		}
		in := &openapi3filter.RequestValidationInput{Request: a.request(c), PathParams: params, Route: route, Options: a.opts}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: a.opts}
		out.SetBodyBytes(b)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err == nil {
			t.Errorf("drift %q is not caught by the document", name)
		}
	}
}

func oaMustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// oaAssertJSON compares two JSON documents by value.
func oaAssertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Fatalf("got %s, want %s", got, want)
	}
}
