package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

func exportPath(bot string) string { return readPath(bot) + "/export" }

// export posts an export request and returns the answer.
func (e apiEnv) export(t *testing.T, bot, accept, body string) (*http.Response, []byte) {
	t.Helper()
	h := testserver.Headers(e.app.Token(t), e.account)
	if accept != "" {
		h["Accept"] = accept
	}
	return e.s.Do(t, http.MethodPost, exportPath(bot), h, body)
}

// ndjson splits an NDJSON export into its sessions and its final cursor ("" when missing).
func ndjson(t *testing.T, body []byte) ([]koreSession, string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	var out []koreSession
	for i, line := range lines {
		if i == len(lines)-1 {
			var c map[string]string
			if err := json.Unmarshal([]byte(line), &c); err != nil || len(c) != 1 || c["cursor"] == "" {
				t.Fatalf("last line %q is not {\"cursor\":\"…\"}", line)
			}
			return out, c["cursor"]
		}
		var ks koreSession
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ks); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		out = append(out, ks)
	}
	return out, ""
}

func ids(ss []koreSession) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.SessionID
	}
	return strings.Join(out, ",")
}

// exportEvent is a completed session whose cells test the CSV: a formula-looking intent, a
// comma, a quote, a phone number that must stay readable.
func exportEvent(sid, end, ani, intent string) string {
	return fmt.Sprintf(`{"type":"session.completed","sessionId":%q,"channel":"rtm","ANI":%q,"DNI":"+18005550100","userId":"u-%s",
		"startTime":"2026-11-30T08:00:00Z","endTime":%q,"intents":[%q,"Book, \"now\""],"status":"completed","deflectedTo":null}`, sid, ani, sid, end, intent)
}

func TestExportSQLite(t *testing.T) { testExportAPI(t, newAPIEnv(t)) }

func TestExportPostgres(t *testing.T) {
	s := testserver.StartDB(t, pgtest.DSN(t))
	const account = "64b7f3a2c9e1d4f5a6b7c8d9"
	testExportAPI(t, apiEnv{s: s, app: s.CreateApp(t, testserver.AppSpec{Account: account}), account: account})
}

func testExportAPI(t *testing.T, e apiEnv) {
	const bot = "st-export"
	e.ingest(t, bot, "["+exportEvent("x1", "2026-11-30T08:05:00Z", "+12605554468", "=HYPERLINK(\"http://x\")")+","+
		exportEvent("x2", "2026-11-30T08:01:00Z", "+1 260-555", "-2+3")+"]")
	e.ingest(t, bot, "["+exportEvent("x3", "2026-11-30T08:03:00Z", "@SUM(A1)", "Plain")+"]")
	e.ingest(t, "st-other", "["+exportEvent("o1", "2026-11-30T08:03:00Z", "+1", "Plain")+"]")

	// NDJSON is the default, in cursor order (the order of completion), ending with the cursor.
	resp, body := e.export(t, bot, "", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson; charset=utf-8" {
		t.Fatalf("export: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	got, cursor := ndjson(t, body)
	if ids(got) != "x1,x2,x3" || got[0].ANI != "+12605554468" || got[0].Intent[0] != `=HYPERLINK("http://x")` {
		t.Fatalf("export: %s", body)
	}
	// Each line is exactly what the read API answers for that session.
	read := e.sessions(t, bot, `{"limit":100}`)
	for _, r := range read {
		for _, g := range got {
			if g.SessionID == r.SessionID && !reflect.DeepEqual(g, r) {
				t.Fatalf("export %+v, read %+v", g, r)
			}
		}
	}
	// Resuming after the cursor gives nothing until something completes or changes; then
	// exactly that.
	if more, c2 := ndjson(t, mustExport(t, e, bot, "", `{"after":"`+cursor+`"}`)); len(more) != 0 || c2 != cursor {
		t.Fatalf("resume with nothing new: %+v %s", more, c2)
	}
	e.ingest(t, bot, `[{"type":"intent.detected","sessionId":"x2","time":"2026-11-30T08:00:30Z","intent":"Late"},`+
		exportEvent("x4", "2026-11-30T08:10:00Z", "+1", "Plain")+"]")
	more, c3 := ndjson(t, mustExport(t, e, bot, "", `{"after":"`+cursor+`"}`))
	if ids(more) != "x2,x4" || len(more[0].Intent) != 3 || c3 == cursor {
		t.Fatalf("resume: %+v %s", more, c3)
	}
	// Filters are the read API's.
	if f, _ := ndjson(t, mustExport(t, e, bot, "", `{"from":"2026-11-30T08:02:00Z","intents":["Plain","Late"]}`)); ids(f) != "x3,x4" {
		t.Fatalf("filtered: %s", ids(f))
	}

	// CSV: header, RFC 4180, formula-safe cells, a readable phone number.
	resp, body = e.export(t, bot, "text/csv", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("Go's encoding/csv cannot read the export: %v\n%s", err, body)
	}
	want := [][]string{
		{"intent", "ANI", "DNI", "channel", "startTime", "endTime", "status", "timeHandled", "deflectedTo", "userId", "sessionId"},
		{`'=HYPERLINK("http://x")|Book, "now"`, "+12605554468", "+18005550100", "rtm", "2026-11-30T08:00:00.000+00:00", "2026-11-30T08:05:00.000+00:00", "completed", "5m 0s", "", "u-x1", "x1"},
		{`x3`},
	}
	if len(records) != 5 || !reflect.DeepEqual(records[0], want[0]) || !reflect.DeepEqual(records[1], want[1]) {
		t.Fatalf("csv records:\n%q", records)
	}
	byID := map[string][]string{}
	for _, r := range records[1:] {
		byID[r[10]] = r
	}
	if byID["x2"][1] != "'+1 260-555" || byID["x2"][0] != `'-2+3|Book, "now"|Late` || byID["x3"][1] != "'@SUM(A1)" {
		t.Fatalf("formula-looking cells: %q %q", byID["x2"], byID["x3"])
	}
	if !bytes.Contains(body, []byte("\r\n")) {
		t.Fatal("CSV lines do not end with CRLF (RFC 4180)")
	}
	pythonReadsCSV(t, body, records)

	// Errors: a limit, an unknown Accept, a bad cursor.
	for _, c := range []struct {
		accept, body string
		status       int
		msg          string
	}{
		{"", `{"limit":10}`, 400, "is not accepted by the export"},
		{"application/json", "", 406, "Accept must allow"},
		{"", `{"after":"99999999"}`, 400, "after is not a cursor"},
		{"", `{"after":"abc"}`, 400, "after must be the cursor"},
		{"", `{"statuses":["nope"]}`, 400, "statuses"},
	} {
		resp, body := e.export(t, bot, c.accept, c.body)
		if resp.StatusCode != c.status || !strings.Contains(string(body), c.msg) || !strings.HasPrefix(string(body), `{"errors":[{"msg":`) {
			t.Errorf("Accept %q body %s: %d %s, want %d with %q", c.accept, c.body, resp.StatusCode, body, c.status, c.msg)
		}
	}
	if resp, _ := e.s.Do(t, http.MethodGet, exportPath(bot), testserver.Headers(e.app.Token(t), e.account), ""); resp.StatusCode != 405 {
		t.Errorf("GET export: %d", resp.StatusCode)
	}
}

func mustExport(t *testing.T, e apiEnv, bot, accept, body string) []byte {
	t.Helper()
	resp, b := e.export(t, bot, accept, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export %s: %d %s", body, resp.StatusCode, b)
	}
	return b
}

// pythonReadsCSV checks that Python's csv module reads the export into the same cells as Go's.
func pythonReadsCSV(t *testing.T, body []byte, want [][]string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: the Python round trip is skipped")
		return
	}
	cmd := exec.Command(py, "-c", "import csv, io, json, sys; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))))")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var got [][]string
	if err := json.Unmarshal(out, &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Python's csv module reads\n%q\nGo's reads\n%q (%v)", got, want, err)
	}
}

// TestExportCountsOnce checks that an export, however long, takes one request of the rate limit.
func TestExportCountsOnce(t *testing.T) {
	e := newAPIEnv(t, "--rate-limit", "2")
	for i := 0; i < 2; i++ {
		if resp, body := e.export(t, "st-rl", "", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("export %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if resp, _ := e.export(t, "st-rl", "", ""); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third export in a minute with a limit of 2: %d", resp.StatusCode)
	}
}
