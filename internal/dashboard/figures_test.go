package dashboard_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/dashboard"
	"github.com/intentrt/intentrt/internal/testserver"
)

// withoutNow drops what depends on the instant of the answer, so that two answers over the
// same stored sessions compare equal.
func withoutNow(t *testing.T, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	delete(m, "asOf")
	return m
}

// TestFiguresRoute: the page's figures route answers exactly what the API answers for the same
// body, checks the body like the API, needs the cookie and the CSRF header, and counts against
// a budget of its own — a spent page budget leaves the API's reads alone, and the page's
// requests never spend the API's.
func TestFiguresRoute(t *testing.T) {
	s := testserver.Start(t, "--rate-limit", "2", "--dashboard-rate-limit", "6")
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-f", Bots: []string{"st-f"}})
	ingestDemo(t, s, app, "acct-f", "st-f", time.Hour, time.Now().UTC())
	resp, body := send(t, s, http.MethodPost, "/ui/api/session", "", signInBody("acct-f", app.ClientID, app.ClientSecret),
		map[string]string{dashboard.CSRFHeader: "1"})
	if resp.StatusCode != 200 {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	ck := sessionCookie(resp).Value
	csrf := map[string]string{dashboard.CSRFHeader: "1", "Content-Type": "application/json"}
	to := time.Now().UTC().Truncate(time.Minute).Format(time.RFC3339)
	req := `{"to":"` + to + `","bucket":"5m","timezone":"Europe/Berlin","channels":["rtm","korevg"],"top":3}`

	cases := []struct {
		name, cookie, body string
		hdr                map[string]string
		status             int
		msg                string
	}{
		{"no cookie", "", req, csrf, 401, "not signed in"},
		{"no CSRF header", ck, req, nil, 403, "missing header"},
		{"unknown field", ck, `{"window":"1h"}`, csrf, 400, `body field \"window\"`},
		{"bad bucket", ck, `{"bucket":"2h"}`, csrf, 400, `body field \"bucket\"`},
		{"page", ck, req, csrf, 200, `"bucket":"5m"`},
	}
	var page string
	for _, tc := range cases {
		resp, body := send(t, s, http.MethodPost, "/ui/api/bots/st-f/summary", tc.cookie, tc.body, tc.hdr)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.msg) {
			t.Fatalf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		page = body
	}
	// Four page requests so far (three refused after the budget was taken); the API's own
	// budget of 2 is untouched.
	resp, api := s.Do(t, http.MethodPost, "/api/public/bot/st-f/intentrealtimedata/summary", testserver.Headers(app.Token(t), "acct-f"), req)
	if resp.StatusCode != 200 {
		t.Fatalf("API summary after the page's requests: %d %s", resp.StatusCode, api)
	}
	p, a := withoutNow(t, page), withoutNow(t, string(api))
	if pj, aj := mustJSON(t, p), mustJSON(t, a); pj != aj {
		t.Fatalf("page and API differ:\npage %s\nAPI  %s", pj, aj)
	}
	if p["totals"].(map[string]any)["sessions"].(float64) == 0 {
		t.Fatal("no sessions in the window: the comparison proves nothing")
	}

	// Spend the page's budget: 429 with Retry-After; the API still reads.
	var last *http.Response
	for range 6 {
		last, body = send(t, s, http.MethodGet, "/ui/api/bots/st-f/sessions?limit=1", ck, "", nil)
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" || !strings.Contains(body, "dashboard's request budget") {
		t.Fatalf("page budget spent: %d %s", last.StatusCode, body)
	}
	if resp, body := s.Do(t, http.MethodPost, "/api/public/bot/st-f/intentrealtimedata", testserver.Headers(app.Token(t), "acct-f"), ""); resp.StatusCode != 200 {
		t.Fatalf("the API's read after the page's budget is spent: %d %s", resp.StatusCode, body)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTableSearch: the table's route filters by channel and intent and searches ANI, userId and
// sessionId on the server, saying how far it looked.
func TestTableSearch(t *testing.T) {
	s := testserver.Start(t)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-s", Bots: []string{"st-s"}})
	s.Ingest(t, app.Token(t), "acct-s", "st-s", sessionsFor("srch", 30, time.Now().UTC()))
	resp, body := send(t, s, http.MethodPost, "/ui/api/session", "", signInBody("acct-s", app.ClientID, app.ClientSecret),
		map[string]string{dashboard.CSRFHeader: "1"})
	if resp.StatusCode != 200 {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	ck := sessionCookie(resp).Value
	type answer struct {
		Sessions []struct {
			SessionID, ANI, UserID, Channel string
			Intent                          []string
		}
		Searched int
		Complete bool
	}
	get := func(query string) answer {
		t.Helper()
		resp, body := send(t, s, http.MethodGet, "/ui/api/bots/st-s/sessions?"+query, ck, "", nil)
		var a answer
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &a) != nil {
			t.Fatalf("%s: %d %s", query, resp.StatusCode, body)
		}
		return a
	}
	// sessionsFor gives session i the ANI +1555010%04d and the userId u-i.
	if a := get("q=5550100012"); len(a.Sessions) != 1 || a.Sessions[0].SessionID != "srch-12" || !a.Complete || a.Searched != 30 {
		t.Fatalf("search by ANI: %+v", a)
	}
	if a := get("q=U-7"); len(a.Sessions) != 1 || a.Sessions[0].UserID != "u-7" {
		t.Fatalf("search by userId, any case: %+v", a)
	}
	if a := get("q=srch-2&channel=rtm"); len(a.Sessions) == 0 {
		t.Fatalf("search with a channel: %+v", a)
	} else {
		for _, x := range a.Sessions {
			if x.Channel != "rtm" || !strings.HasPrefix(x.SessionID, "srch-2") {
				t.Fatalf("search srch-2 on rtm gave %+v", x)
			}
		}
	}
	if a := get("intent=Pay+Bill&limit=100"); len(a.Sessions) == 0 {
		t.Fatal("intent filter: nothing")
	} else {
		for _, x := range a.Sessions {
			if !strings.Contains(strings.Join(x.Intent, ","), "Pay Bill") {
				t.Fatalf("intent filter gave %+v", x)
			}
		}
	}
	for _, bad := range []string{"limit=0", "from=yesterday", "channel=" + strings.Repeat("x", 200)} {
		if resp, body := send(t, s, http.MethodGet, "/ui/api/bots/st-s/sessions?"+bad, ck, "", nil); resp.StatusCode != 400 {
			t.Fatalf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
}
