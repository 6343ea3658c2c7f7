package e2e

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/testserver"
)

// lifecycleMigration is the number of the SQLite migration that brought retention and erasure,
// found by name so that a renumbering at merge does not break the test.
func lifecycleMigration(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if num, name, _ := strings.Cut(e.Name(), "_"); name == "retention_erasure.sql" {
			v, err := strconv.Atoi(num)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatal("no retention_erasure migration")
	return 0
}

// TestUpgradeLifecycleSQLite upgrades a database made before retention: a stored event id key
// still makes a retry of its event a duplicate (the migration rewrote it into the digest Apply
// now stores), no stored key holds the id as sent any more, and an old incomplete session is
// aged by its start, so retention purges it.
func TestUpgradeLifecycleSQLite(t *testing.T) {
	const dir = "../store/sqlite/migrations"
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	names, sqls := oldMigrations(t, dir, lifecycleMigration(t, dir))
	mustExec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`)
	for i, q := range sqls {
		mustExec(q)
		mustExec(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, i+1, names[i])
	}
	const account, bot = "acct-up", "st-up"
	mustExec(`INSERT INTO events_seen (account, bot, key) VALUES (?, ?, ?)`, account, bot, "id:old-ev-1")
	started := time.Now().Add(-3 * time.Hour).UnixNano()
	mustExec(`INSERT INTO sessions (account, bot, session_id, channel, start_ns) VALUES (?, ?, 'half', 'rtm', ?)`, account, bot, started)
	db.Close()

	testserver.RunCLI(t, "migrate", "--db", path)
	s := testserver.StartDB(t, path, "--retention", "1h")
	tok := s.CreateApp(t, testserver.AppSpec{Account: account}).Token(t)
	retry := fmt.Sprintf(`[{"type":"session.completed","eventId":"old-ev-1","sessionId":"x","channel":"rtm","startTime":%q,"endTime":%q,"status":"completed"}]`,
		time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
	if acc, dup := s.Ingest(t, tok, account, bot, retry); acc != 0 || dup != 1 {
		t.Fatalf("a retry of an event stored before the upgrade: accepted %d duplicates %d, want a duplicate", acc, dup)
	}
	db, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, "the old incomplete session purged", func() bool {
		var n int
		return db.QueryRow(`SELECT count(*) FROM sessions WHERE session_id = 'half'`).Scan(&n) == nil && n == 0
	})
	var raw int
	if err := db.QueryRow(`SELECT count(*) FROM events_seen WHERE key LIKE 'id:%'`).Scan(&raw); err != nil || raw != 0 {
		t.Fatalf("%d keys still hold an event id as sent (%v)", raw, err)
	}
}
