package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// personal is one caller's personal fields, as a producer sends them.
type personal struct{ ANI, DNI, UserID string }

// The raw values of the byte search: distinctive, so that finding one (or five characters of
// one in a row) in a database file or a log can only mean it was written there. The numbers are
// written with separators so that every five characters in a row hold one that is not a digit:
// five bare digits turn up by chance among the many long numbers of a database (nanosecond
// times), which a search for "+14159267703" once found ("67703" in a created_at).
var (
	// Account A: ANI masked, DNI pseudonymised, userId dropped.
	rawA = personal{"+1 260-555-4468", "+1 888-444-2197", "caller-Kq7Zx93Lm"}
	// Account B: ANI pseudonymised, DNI dropped, userId masked.
	rawB = personal{"+1 415-926-7703", "+1 617-338-0921", "member-Vb4Ty82Qw"}
	// Through NATS, for account A.
	rawN = personal{"+1 312-987-6611", "+1 773-654-0455", "nats-user-Pp3Rr8"}
)

const (
	privAcctA = "acct-privacy-a"
	privAcctB = "acct-privacy-b"
	privBot   = "st-privacy"
)

// privEvents are a session told in parts (no eventId: the idempotency key is derived from the
// content) and one told at once (with an eventId).
func privEvents(sid string, p personal) string {
	return fmt.Sprintf(`[
	{"type":"session.started","sessionId":"%[1]s-1","time":"2026-11-30T09:00:00Z","channel":"korevg","ANI":%[2]q,"DNI":%[3]q,"userId":%[4]q},
	{"type":"intent.detected","sessionId":"%[1]s-1","time":"2026-11-30T09:00:07Z","intent":"Check Balance"},
	{"type":"session.ended","sessionId":"%[1]s-1","time":"2026-11-30T09:01:00Z","status":"completed"},
	{"type":"session.completed","eventId":"%[1]s-ev-2","sessionId":"%[1]s-2","channel":"rtm","ANI":%[2]q,"DNI":%[3]q,"userId":%[4]q,
	 "startTime":"2026-11-30T09:02:00Z","endTime":"2026-11-30T09:03:00Z","intents":["Pay Bill"],"status":"Dropoff"}]`, sid, p.ANI, p.DNI, p.UserID)
}

// leaks returns what of the raw values haystack holds: a whole value, or any five characters of
// one in a row (more than the four a mask keeps). A run made only of hex digits and hyphens is
// not searched: random ids (client ids, node ids, UUIDs) are made of those, and "8-092" of
// "+1 617-338-0921" was once found in one. Every value keeps runs with a space, a plus or a
// letter beyond f, so each is still searched along its whole length.
func leaks(haystack []byte, raws ...personal) []string {
	var found []string
	for _, p := range raws {
		for _, v := range []string{p.ANI, p.DNI, p.UserID} {
			for i := 0; i+5 <= len(v); i++ {
				if strings.Trim(v[i:i+5], "0123456789abcdef-") == "" {
					continue
				}
				if bytes.Contains(haystack, []byte(v[i:i+5])) {
					found = append(found, fmt.Sprintf("%q of %q", v[i:i+5], v))
				}
			}
		}
	}
	return found
}

// sqliteFiles reads the database file, its WAL and its shared memory, those that exist.
func sqliteFiles(t *testing.T, db string) []byte {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(db + suffix)
		if err == nil {
			all = append(all, b...)
		} else if suffix == "" {
			t.Fatalf("read %s: %v", db, err)
		}
	}
	return all
}

// pgDump is the text of every row of every table of the database, as SELECT t::text gives it.
func pgDump(t *testing.T, dsn string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 5 {
		t.Fatalf("tables %v: %v", tables, err)
	}
	var out bytes.Buffer
	for _, tbl := range tables {
		rows, err := conn.Query(ctx, `SELECT t::text FROM `+tbl+` t`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "-- %s\n%s\n", tbl, strings.Join(lines, "\n"))
	}
	return out.Bytes()
}

func TestPrivacyByteSearchSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "intentrt.db")
	var during []byte
	s := privacyScenario(t, db, func() { during = sqliteFiles(t, db) })
	for name, b := range map[string][]byte{"database files while serving": during, "database files after stop": sqliteFiles(t, db),
		"server stdout": []byte(s.Stdout.String()), "server stderr": []byte(s.Stderr.String())} {
		if l := leaks(b, rawA, rawB, rawN); len(l) > 0 {
			t.Errorf("%s hold raw personal data: %v", name, l)
		}
	}
}

func TestPrivacyByteSearchPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := privacyScenario(t, dsn, func() {})
	for name, b := range map[string][]byte{"every table": pgDump(t, dsn),
		"server stdout": []byte(s.Stdout.String()), "server stderr": []byte(s.Stderr.String())} {
		if l := leaks(b, rawA, rawB, rawN); len(l) > 0 {
			t.Errorf("%s hold raw personal data: %v", name, l)
		}
	}
}

// privacyScenario sets the policies through the CLI, ingests through HTTP (and NATS when
// configured), reads every session back through the read API, the stream and the export, calls
// snapshot while the server still runs, and stops the server.
func privacyScenario(t *testing.T, db string, snapshot func()) *testserver.Server {
	var args []string
	var nenv *natsEnv
	if os.Getenv("INTENTRT_TEST_NATS") != "" {
		env, url := newNATSEnv(t)
		nenv, args = &env, env.args(url)
	}
	// A new database gets its schema (and pseudonym key) from "accounts set" itself.
	testserver.RunCLI(t, "accounts", "set", "--db", db, "--account", privAcctA, "--ani", "mask", "--dni", "hash", "--user-id", "drop")
	testserver.RunCLI(t, "accounts", "set", "--db", db, "--account", privAcctB, "--ani", "hash", "--dni", "drop", "--user-id", "mask")
	s := testserver.StartDB(t, db, append(args, "--log-level", "debug")...)
	appA := s.CreateApp(t, testserver.AppSpec{Account: privAcctA})
	appB := s.CreateApp(t, testserver.AppSpec{Account: privAcctB})
	tokA, tokB := appA.Token(t), appB.Token(t)
	if a, d := s.Ingest(t, tokA, privAcctA, privBot, privEvents("a", rawA)); a != 4 || d != 0 {
		t.Fatalf("ingest A: %d %d", a, d)
	}
	if a, d := s.Ingest(t, tokB, privAcctB, privBot, privEvents("b", rawB)); a != 4 || d != 0 {
		t.Fatalf("ingest B: %d %d", a, d)
	}
	// A producer's blind retry is still recognised: the key is made from the transformed event.
	if a, d := s.Ingest(t, tokA, privAcctA, privBot, privEvents("a", rawA)); a != 0 || d != 4 {
		t.Fatalf("retry of A: accepted %d duplicates %d, want 0 4", a, d)
	}
	wantA := 2
	if nenv != nil {
		nenv.waitStream(t)
		nenv.publish(t, privAcctA+"."+privBot, privEvents("n", rawN))
		wantA = 4
	}
	var gotA []koreSession
	waitFor(t, "account A's sessions", func() bool {
		gotA = privRead(t, s, tokA, privAcctA)
		return len(gotA) == wantA
	})
	checkTransformed(t, gotA, "A", `^\*{11}4468$|^\*{11}6611$`, `^h:[0-9a-f]{16}$`, `^$`)
	checkTransformed(t, privRead(t, s, tokB, privAcctB), "B", `^h:[0-9a-f]{16}$`, `^$`, `^\*{12}82Qw$`)
	if n := privStream(t, s, tokA, privAcctA, wantA); n != wantA {
		t.Fatalf("stream replayed %d sessions, want %d", n, wantA)
	}
	resp, body := s.Do(t, http.MethodPost, readPath(privBot)+"/export", testserver.Headers(tokA, privAcctA), "")
	if resp.StatusCode != http.StatusOK || strings.Count(string(body), "\n") != wantA+1 {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	snapshot()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	return s
}

func privRead(t *testing.T, s *testserver.Server, tok, account string) []koreSession {
	t.Helper()
	return privReadBot(t, s, tok, account, privBot)
}

func privReadBot(t *testing.T, s *testserver.Server, tok, account, bot string) []koreSession {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(tok, account), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("read: %d %s", resp.StatusCode, body)
	}
	var out []koreSession
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkTransformed checks that every session shows its fields as the policy made them.
func checkTransformed(t *testing.T, got []koreSession, name, ani, dni, user string) {
	t.Helper()
	if len(got) == 0 {
		t.Fatalf("account %s: no sessions", name)
	}
	for _, ks := range got {
		for _, f := range []struct{ field, v, re string }{{"ANI", ks.ANI, ani}, {"DNI", ks.DNI, dni}, {"userId", ks.UserID, user}} {
			if !regexp.MustCompile(f.re).MatchString(f.v) {
				t.Errorf("account %s session %s: %s = %q, want %s", name, ks.SessionID, f.field, f.v, f.re)
			}
		}
	}
}

// privStream replays the bot's stream from the start and counts sessions until want arrive.
func privStream(t *testing.T, s *testserver.Server, tok, account string, want int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+readPath(privBot)+"/stream", nil)
	req.Header["auth"] = []string{tok}
	req.Header["accountId"] = []string{account}
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for n < want && sc.Scan() {
		if sc.Text() == "event: session" {
			n++
		}
	}
	return n
}

// TestPrivacyKeepIsFound is the byte search's control: under keep (the default) the raw values
// are stored, and the same search finds them — so the search can fail.
func TestPrivacyKeepIsFound(t *testing.T) {
	db := filepath.Join(t.TempDir(), "intentrt.db")
	s := testserver.StartDB(t, db)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-keep"})
	s.Ingest(t, app.Token(t), "acct-keep", privBot, privEvents("k", rawA))
	files := sqliteFiles(t, db)
	for _, v := range []string{rawA.ANI, rawA.DNI, rawA.UserID} {
		if !bytes.Contains(files, []byte(v)) {
			t.Errorf("keep: %q is not in the database files", v)
		}
	}
	if l := leaks(files, rawA); len(l) == 0 {
		t.Error("the search finds nothing under keep")
	}
	got := privRead(t, s, app.Token(t), "acct-keep")
	if len(got) != 2 || got[0].ANI != rawA.ANI || got[0].UserID != rawA.UserID {
		t.Fatalf("keep: %+v", got)
	}
}

// TestPrivacyPolicyChangeWhileServing sets a policy on a running server: ingest applies it
// without a restart (the contract allows 5 s; the cache holds a policy 2 s), and the rows
// stored before keep their values.
func TestPrivacyPolicyChangeWhileServing(t *testing.T) {
	s := testserver.Start(t)
	const acct = "acct-change"
	app := s.CreateApp(t, testserver.AppSpec{Account: acct})
	tok := app.Token(t)
	s.Ingest(t, tok, acct, privBot, privEvents("before", rawA))
	out := s.CLI(t, "accounts", "set", "--account", acct, "--ani", "drop")
	var shown struct {
		AccountID    string            `json:"accountId"`
		PersonalData map[string]string `json:"personalData"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.AccountID != acct ||
		fmt.Sprint(shown.PersonalData) != "map[ANI:drop DNI:keep userId:keep]" {
		t.Fatalf("accounts set printed %s (%v)", out, err)
	}
	i := 0
	waitFor(t, "the new policy to apply", func() bool {
		i++ // a bot per attempt, so that each read shows that attempt's sessions alone
		bot := fmt.Sprintf("st-after-%d", i)
		s.Ingest(t, tok, acct, bot, privEvents("after", rawA))
		got := privReadBot(t, s, tok, acct, bot)
		return len(got) == 2 && got[0].ANI == "" && got[1].ANI == "" && got[0].DNI == rawA.DNI
	})
	for _, ks := range privRead(t, s, tok, acct) {
		if strings.HasPrefix(ks.SessionID, "before") && ks.ANI != rawA.ANI {
			t.Fatalf("a row stored before the change was rewritten: %+v", ks)
		}
	}
	list := s.CLI(t, "accounts", "list")
	if !strings.Contains(list, `"accountId": "`+acct+`"`) || !strings.Contains(list, `"ANI": "drop"`) {
		t.Fatalf("accounts list: %s", list)
	}
}
