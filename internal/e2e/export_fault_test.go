package e2e

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// TestExportCutShortPostgres loses the database in the middle of an export: the response, whose
// 200 is already sent, must not look complete — it is cut off without its final chunk and
// without the cursor line — and once the database is back the same export runs whole.
func TestExportCutShortPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startFaultProxy(t, u.Host)
	viaProxy := *u
	viaProxy.Host = proxy.ln.Addr().String()
	s := testserver.StartDB(t, viaProxy.String())
	const account, bot = "acct-cut", "st-cut"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	// Enough rows (about 18 MB of NDJSON) that the server is still paging through storage when
	// the client stops reading after the first line: loopback socket buffers hold 10 MB at most.
	const rows = 60_000
	for from := 0; from < rows; from += 10_000 {
		s.Ingest(t, tok, account, bot, perfSessions("c-", from, 10_000))
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+exportPath(bot), nil)
	req.Header["auth"] = []string{tok}
	req.Header["accountId"] = []string{account}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %v %v", resp, err)
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	proxy.sever()
	rest, readErr := io.ReadAll(br)
	resp.Body.Close()
	if readErr == nil && strings.Contains(string(rest), `{"cursor":`) {
		t.Fatal("an export that lost its database ended as if complete")
	}
	if readErr == nil {
		t.Fatal("the cut export ended cleanly: a client could not tell it was incomplete")
	}
	if n := strings.Count(string(rest), "\n") + 1; n >= rows {
		t.Fatalf("the whole export arrived (%d lines) before the fault: the test proves nothing", n)
	}
	t.Logf("cut after %d lines: %v", strings.Count(string(rest), "\n")+1, readErr)
	waitFor(t, "the cut export's log lines", func() bool {
		logs := s.Stderr.String()
		return strings.Contains(logs, "export cut short") &&
			regexp.MustCompile(`msg=request .*path=/api/public/bot/`+bot+`/intentrealtimedata/export status=200 .*cause=`).MatchString(logs)
	})

	proxy.restore()
	waitFor(t, "the database to answer again", func() bool {
		r, _ := s.Do(t, http.MethodGet, "/readyz", nil, "")
		return r.StatusCode == http.StatusOK
	})
	resp2, body := s.Do(t, http.MethodPost, exportPath(bot), testserver.Headers(tok, account), "")
	if resp2.StatusCode != http.StatusOK {
		t.Fatalf("export after recovery: %d %s", resp2.StatusCode, body)
	}
	got, cursor := ndjson(t, body)
	if len(got) != rows || cursor == "" {
		t.Fatalf("export after recovery: %d sessions, cursor %q", len(got), cursor)
	}
}
