package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the old database is built with the driver the binary uses

	"github.com/intentrt/intentrt/internal/cli"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// The first migration of the personal-data policy, per backend: a database below it is one
// made by a release before this feature.
const (
	sqlitePrivacyMigration   = 3
	postgresPrivacyMigration = 4
)

// oldMigrations returns the SQL of the migrations in dir numbered below before, in order, with
// their file names: the schema a release before the feature made.
func oldMigrations(t *testing.T, dir string, before int) (names, sqls []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.Atoi(num); err != nil || v >= before {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		names, sqls = append(names, e.Name()), append(sqls, string(b))
	}
	if len(names) == 0 {
		t.Fatal("no old migrations found")
	}
	return names, sqls
}

// oldSessions are rows as the old schema holds them: completed sessions with cursors 1..n.
const oldSessionCount = 50

func oldSessionRow(i int) []any {
	end := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return []any{"acct-old", "st-old", fmt.Sprintf("old-%03d", i), "korevg", "+1555000" + fmt.Sprintf("%04d", i), "+18005550100",
		fmt.Sprintf("user-%d", i), end.Add(-time.Minute).UnixNano(), end.UnixNano(), "completed",
		`[{"n":"Old Intent","t":"` + end.Add(-30*time.Second).Format(time.RFC3339Nano) + `"}]`, i, i}
}

const oldInsert = `INSERT INTO sessions (account, bot, session_id, channel, ani, dni, user_id, start_ns, end_ns, status, intents, seq, completed_seq)
	VALUES (%s)`

func TestUpgradeSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	names, sqls := oldMigrations(t, "../store/sqlite/migrations", sqlitePrivacyMigration)
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`)
	for i, q := range sqls {
		mustExec(q)
		mustExec(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, i+1, names[i])
	}
	for i := 1; i <= oldSessionCount; i++ {
		mustExec(fmt.Sprintf(oldInsert, strings.TrimSuffix(strings.Repeat("?,", 13), ",")), oldSessionRow(i)...)
	}
	db.Close()
	checkUpgrade(t, path)
}

func TestUpgradePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	names, sqls := oldMigrations(t, "../store/postgres/migrations", postgresPrivacyMigration)
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
	for i, q := range sqls {
		mustExec(q)
		mustExec(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, i+1, names[i])
	}
	ph := make([]string, 13)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	for i := 1; i <= oldSessionCount; i++ {
		mustExec(fmt.Sprintf(oldInsert, strings.Join(ph, ",")), oldSessionRow(i)...)
	}
	mustExec(`UPDATE counters SET value = $1 WHERE name = 'seq'`, oldSessionCount)
	conn.Close(ctx)
	checkUpgrade(t, dsn)
}

// checkUpgrade: serving the old database is refused until "intentrt migrate"; then every old
// session reads and exports as before, a policy can be set, and new ingest follows it.
func checkUpgrade(t *testing.T, db string) {
	t.Helper()
	var out, errb strings.Builder
	err := cli.Run(context.Background(), []string{"accounts", "list", "--db", db}, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "intentrt migrate") {
		t.Fatalf("an old database was used without migrating: %v", err)
	}
	testserver.RunCLI(t, "migrate", "--db", db)
	checkViewsFilled(t, db)
	testserver.RunCLI(t, "accounts", "set", "--db", db, "--account", "acct-old", "--ani", "mask")
	s := testserver.StartDB(t, db)
	app := s.CreateApp(t, testserver.AppSpec{Account: "acct-old"})
	e := apiEnv{s: s, app: app, account: "acct-old"}
	got, cursor := ndjson(t, mustExport(t, e, "st-old", "", ""))
	if len(got) != oldSessionCount || cursor != strconv.Itoa(oldSessionCount) {
		t.Fatalf("after the upgrade the export holds %d sessions (cursor %s), want %d", len(got), cursor, oldSessionCount)
	}
	for i, ks := range got {
		want := oldSessionRow(i + 1)
		if ks.SessionID != want[2] || ks.ANI != want[4] || ks.UserID != want[6] || ks.Intent[0] != "Old Intent" || ks.TimeHandled != "1m 0s" {
			t.Fatalf("old session %d after the upgrade: %+v", i+1, ks)
		}
	}
	if latest := e.sessions(t, "st-old", `{"limit":100}`); len(latest) != oldSessionCount || latest[0].SessionID != "old-050" {
		t.Fatalf("read after the upgrade: %d sessions", len(latest))
	}
	// The read API answers from the views the migration rendered, the export renders the rows it
	// decodes: the same bytes, newest first.
	lines := strings.Split(string(mustExport(t, e, "st-old", "", "")), "\n")
	lines = lines[:oldSessionCount]
	slices.Reverse(lines)
	if resp, b := e.read(t, "st-old", `{"limit":100}`); resp.StatusCode != http.StatusOK || string(b) != "["+strings.Join(lines, ",")+"]\n" {
		t.Fatalf("read after the upgrade differs from the rendering of the rows: %d\n%s", resp.StatusCode, b)
	}
	e.ingest(t, "st-old", "["+exportEvent("new-1", "2026-11-30T08:05:00Z", "+12605554468", "New")+"]")
	more, _ := ndjson(t, mustExport(t, e, "st-old", "", `{"after":"`+cursor+`"}`))
	if len(more) != 1 || more[0].ANI != "********4468" {
		t.Fatalf("new session after the upgrade: %+v", more)
	}
	if resp, _ := e.read(t, "st-old", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("read: %d", resp.StatusCode)
	}
}

// checkViewsFilled: the migration that added the sessions' pre-rendered view filled it for every
// completed session already stored.
func checkViewsFilled(t *testing.T, db string) {
	t.Helper()
	const q = `SELECT count(view), count(*) FROM sessions WHERE seq IS NOT NULL`
	var filled, completed int
	if strings.HasPrefix(db, "postgres") {
		conn, err := pgx.Connect(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		err = conn.QueryRow(context.Background(), q).Scan(&filled, &completed)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		raw, err := sql.Open("sqlite", "file:"+db)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if err := raw.QueryRow(q).Scan(&filled, &completed); err != nil {
			t.Fatal(err)
		}
	}
	if completed != oldSessionCount || filled != completed {
		t.Fatalf("after the upgrade %d of %d completed sessions have a view, want all %d", filled, completed, oldSessionCount)
	}
}
