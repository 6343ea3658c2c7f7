package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/intentrt/intentrt/internal/cli"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// result is what one run of the command line produced.
type result struct {
	stdout, stderr string
	err            error
}

// run runs the intentrt command line in-process with the given environment.
func run(env map[string]string, args ...string) result {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := cli.Run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return result{out.String(), errb.String(), err}
}

// mustRun runs args and fails the test unless it succeeds.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := run(env, args...)
	if r.err != nil {
		t.Fatalf("intentrt %s: %v\n%s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

type createdApp struct {
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	AccountID    string   `json:"accountId"`
	Bots         []string `json:"bots"`
	AllBots      bool     `json:"allBots"`
	Scopes       []string `json:"scopes"`
	EnforceJTI   bool     `json:"enforceJti"`
}

// TestCLIAppsCreateListRevoke checks the app life cycle: create prints the id and the secret,
// list never shows a secret, revoke marks the app, and revoking an unknown id says so.
func TestCLIAppsCreateListRevoke(t *testing.T) {
	db := filepath.Join(t.TempDir(), "apps.db")
	out := mustRun(t, nil, "apps", "create", "--db", db, "--account", "acct1", "--bot", "st-1", "--bot", "st-2",
		"--scope", "SmartAssist Analytics", "--scope", "Session Ingest", "--enforce-jti")
	var app createdApp
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatalf("apps create printed %q: %v", out, err)
	}
	id, ok := strings.CutPrefix(app.ClientID, "cs-")
	if _, err := uuid.Parse(id); !ok || err != nil || len(id) != 36 {
		t.Errorf("clientId %q is not cs-<uuid>", app.ClientID)
	}
	if len(app.ClientSecret) < 32 {
		t.Errorf("clientSecret %q is too short to be a secret", app.ClientSecret)
	}
	if app.AccountID != "acct1" || strings.Join(app.Bots, ",") != "st-1,st-2" || app.AllBots || !app.EnforceJTI ||
		strings.Join(app.Scopes, ",") != "SmartAssist Analytics,Session Ingest" {
		t.Errorf("apps create printed %+v", app)
	}
	other := mustRun(t, nil, "apps", "create", "--db", db, "--account", "acct2", "--all-bots", "--scope", "Session Ingest")
	var app2 createdApp
	if err := json.Unmarshal([]byte(other), &app2); err != nil || !app2.AllBots || app2.ClientID == app.ClientID || app2.ClientSecret == app.ClientSecret {
		t.Fatalf("second app %s (%v)", other, err)
	}

	list := mustRun(t, nil, "apps", "list", "--db", db)
	for _, secret := range []string{app.ClientSecret, app2.ClientSecret} {
		if strings.Contains(list, secret) {
			t.Fatalf("apps list shows a client secret:\n%s", list)
		}
	}
	if strings.Contains(list, "clientSecret") {
		t.Errorf("apps list has a clientSecret key:\n%s", list)
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(list), &listed); err != nil || len(listed) != 2 {
		t.Fatalf("apps list: %s (%v)", list, err)
	}

	// Revoke: the client id may come before or after the flags.
	if out := mustRun(t, nil, "apps", "revoke", app.ClientID, "--db", db); !strings.Contains(out, app.ClientID) {
		t.Errorf("apps revoke printed %q", out)
	}
	mustRun(t, nil, "apps", "revoke", "--db", db, app2.ClientID)
	list = mustRun(t, nil, "apps", "list", "--db", db)
	if err := json.Unmarshal([]byte(list), &listed); err != nil {
		t.Fatal(err)
	}
	for _, a := range listed {
		if a["revokedAt"] == nil {
			t.Errorf("app %v is listed without revokedAt after revoke", a["clientId"])
		}
	}

	r := run(nil, "apps", "revoke", "cs-00000000-0000-0000-0000-000000000000", "--db", db)
	if r.err == nil || !strings.Contains(r.err.Error(), "no app with client id") || !strings.Contains(r.err.Error(), "cs-00000000-0000-0000-0000-000000000000") {
		t.Errorf("revoke of an unknown id: %v", r.err)
	}
	if code := cli.ExitCode(r.err); code != 1 {
		t.Errorf("revoke of an unknown id: exit code %d, want 1", code)
	}
}

// TestCLIUsageErrors checks that every mistake in a command line exits 2 and says what is wrong.
func TestCLIUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "usage.db")
	for _, tc := range []struct {
		args []string
		want string // in the error or on stderr
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"apps"}, "create, list or revoke"},
		{[]string{"apps", "rename"}, "unknown subcommand"},
		{[]string{"apps", "create", "--db", db, "--bot", "b", "--scope", "Session Ingest"}, "--account"},
		{[]string{"apps", "create", "--db", db, "--account", "a", "--scope", "Session Ingest"}, "--all-bots"},
		{[]string{"apps", "create", "--db", db, "--account", "a", "--bot", "b", "--all-bots", "--scope", "Session Ingest"}, "--all-bots"},
		{[]string{"apps", "create", "--db", db, "--account", "a", "--all-bots"}, "--scope"},
		{[]string{"apps", "create", "--db", db, "--account", "a", "--all-bots", "--scope", "admin"}, "unknown scope"},
		{[]string{"apps", "create", "--db", db, "--account", "a", "--all-bots", "--scope", "Session Ingest", "--nope"}, "-nope"},
		{[]string{"apps", "revoke", "--db", db}, "CLIENT_ID"},
		{[]string{"token", "--client-id", "cs-x"}, "--client-secret"},
		{[]string{"token", "--client-id", "cs-x", "--client-secret", "s", "--alg", "RS256"}, "RS256"},
		{[]string{"serve", "--db", db, "--log-format", "xml"}, "--log-format"},
		{[]string{"serve", "--db", db, "--rate-limit", "-1"}, "--rate-limit"},
		{[]string{"serve", "--db", db, "--rate-limit-account", "nonumber"}, "ACCOUNT=N"},
		{[]string{"serve", "--db", db, "extra"}, "extra"},
		{[]string{"migrate", "--db", "mysql://x"}, "postgres://"},
		{[]string{"accounts"}, "set or list"},
		{[]string{"accounts", "delete"}, "unknown subcommand"},
		{[]string{"accounts", "set", "--db", db, "--ani", "mask"}, "--account"},
		{[]string{"accounts", "set", "--db", db, "--account", "a"}, "--ani, --dni, --user-id"},
		{[]string{"accounts", "set", "--db", db, "--account", "a", "--ani", "redact"}, "--ani: unknown mode"},
		{[]string{"accounts", "set", "--db", db, "--account", "a", "--user-id", "encrypt"}, "keep, mask, hash, drop"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(nil, tc.args...)
			if r.err == nil {
				t.Fatalf("succeeded; stdout %q", r.stdout)
			}
			if code := cli.ExitCode(r.err); code != 2 {
				t.Errorf("exit code %d, want 2 (%v)", code, r.err)
			}
			if !strings.Contains(r.err.Error()+r.stderr, tc.want) {
				t.Errorf("error %q, stderr %q: does not mention %q", r.err, r.stderr, tc.want)
			}
		})
	}
	if code := cli.ExitCode(context.Canceled); code != 1 {
		t.Errorf("a failure that is not a usage error: exit code %d, want 1", code)
	}
	// -h prints the flags and exits 0, as Go's own commands do: help asked for is no error.
	if r := run(nil, "serve", "-h"); r.err == nil || cli.ExitCode(r.err) != 0 || !strings.Contains(r.stderr, "-addr") {
		t.Errorf("serve -h: %v (exit %d), stderr %q", r.err, cli.ExitCode(r.err), r.stderr)
	}
}

// TestCLIAccounts sets a policy field by field (what is left out keeps its mode), from flags
// and from the environment, and lists it.
func TestCLIAccounts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "accounts.db")
	mustRun(t, nil, "accounts", "set", "--db", db, "--account", "a1", "--ani", "MASK", "--user-id", "hash")
	mustRun(t, map[string]string{"INTENTRT_DB": db, "INTENTRT_DNI": "drop"}, "accounts", "set", "--account", "a1")
	mustRun(t, nil, "accounts", "set", "--db", db, "--account", "a0", "--dni", "keep")
	var list []struct {
		AccountID    string            `json:"accountId"`
		PersonalData map[string]string `json:"personalData"`
		UpdatedAt    time.Time         `json:"updatedAt"`
	}
	out := mustRun(t, nil, "accounts", "list", "--db", db)
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("accounts list: %s (%v)", out, err)
	}
	if list[0].AccountID != "a0" || fmt.Sprint(list[0].PersonalData) != "map[ANI:keep DNI:keep userId:keep]" ||
		list[1].AccountID != "a1" || fmt.Sprint(list[1].PersonalData) != "map[ANI:mask DNI:drop userId:hash]" || list[1].UpdatedAt.IsZero() {
		t.Fatalf("accounts list: %s", out)
	}
	if r := run(nil, "accounts", "-h"); cli.ExitCode(r.err) != 0 || !strings.Contains(r.stdout, "--user-id") {
		t.Errorf("accounts -h: %v, stdout %q", r.err, r.stdout)
	}
}

// TestCLIToken checks that "intentrt token" prints a JWT that verifies with the secret, for each
// algorithm and option.
func TestCLIToken(t *testing.T) {
	const id, secret = "cs-6f1c2a9e-4b7d-4e3a-9c1f-2d8e7a6b5c4d", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		alg     string
		exp     time.Duration // 0: no exp
		jti     bool
		wantSub string
	}{
		{name: "default HS256", args: []string{"--client-id", id, "--client-secret", secret}, alg: "HS256", exp: time.Hour},
		{name: "HS512 with jti", args: []string{"--client-id", id, "--client-secret", secret, "--alg", "HS512", "--jti"}, alg: "HS512", exp: time.Hour, jti: true},
		{name: "ttl and sub", args: []string{"--client-id", id, "--client-secret", secret, "--ttl", "10m", "--sub", "me"}, alg: "HS256", exp: 10 * time.Minute, wantSub: "me"},
		{name: "no exp", args: []string{"--client-id", id, "--client-secret", secret, "--ttl", "0"}, alg: "HS256"},
		{name: "secret from env", args: []string{"--client-id", id}, env: map[string]string{"INTENTRT_CLIENT_SECRET": secret}, alg: "HS256", exp: time.Hour},
		{name: "both from env", env: map[string]string{"INTENTRT_CLIENT_ID": id, "INTENTRT_CLIENT_SECRET": secret}, alg: "HS256", exp: time.Hour},
		{name: "flag wins over env", args: []string{"--client-id", id, "--client-secret", secret}, env: map[string]string{"INTENTRT_CLIENT_SECRET": "wrong"}, alg: "HS256", exp: time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			out := strings.TrimSpace(mustRun(t, tc.env, append([]string{"token"}, tc.args...)...))
			claims := jwt.MapClaims{}
			tok, err := jwt.ParseWithClaims(out, claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
				jwt.WithValidMethods([]string{tc.alg}))
			if err != nil || !tok.Valid {
				t.Fatalf("token %q does not verify as %s with the secret: %v", out, tc.alg, err)
			}
			if claims["appId"] != id {
				t.Errorf("appId = %v", claims["appId"])
			}
			iat, err := claims.GetIssuedAt()
			if err != nil || iat == nil || iat.Before(before.Truncate(time.Second)) || iat.After(time.Now().Add(time.Second)) {
				t.Errorf("iat = %v (%v)", iat, err)
			}
			exp, err := claims.GetExpirationTime()
			switch {
			case err != nil:
				t.Errorf("exp: %v", err)
			case tc.exp == 0 && exp != nil:
				t.Errorf("--ttl 0 gave exp %v", exp)
			case tc.exp != 0 && (exp == nil || exp.Sub(iat.Time) != tc.exp):
				t.Errorf("exp %v, iat %v: want a lifetime of %v", exp, iat, tc.exp)
			}
			jti, _ := claims["jti"].(string)
			if tc.jti != (jti != "") {
				t.Errorf("jti = %q, want one: %v", jti, tc.jti)
			}
			if sub, _ := claims["sub"].(string); sub != tc.wantSub {
				t.Errorf("sub = %q", sub)
			}
		})
	}
	// Each --jti token carries its own id: an enforce-JTI app accepts each once.
	a := strings.TrimSpace(mustRun(t, nil, "token", "--client-id", id, "--client-secret", secret, "--jti"))
	b := strings.TrimSpace(mustRun(t, nil, "token", "--client-id", id, "--client-secret", secret, "--jti"))
	if a == b {
		t.Errorf("two --jti tokens are the same")
	}
}

var versionLine = regexp.MustCompile(`^schema at version (\d+) \(was (\d+)\)\n$`)

// migrate runs "intentrt migrate" and returns the versions it reports.
func migrate(t *testing.T, env map[string]string, args ...string) (now, was int) {
	t.Helper()
	out := mustRun(t, env, append([]string{"migrate"}, args...)...)
	m := versionLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("migrate printed %q", out)
	}
	now, _ = strconv.Atoi(m[1])
	was, _ = strconv.Atoi(m[2])
	return now, was
}

// TestCLIMigrateFreshAndIdempotent checks that migrate builds a new database, reports its
// version, and changes nothing when run again.
func TestCLIMigrateFreshAndIdempotent(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	now, was := migrate(t, nil, "--db", db)
	if now < 1 || was != 0 {
		t.Fatalf("fresh database: version %d (was %d)", now, was)
	}
	again, was2 := migrate(t, nil, "--db", "sqlite://"+db)
	if again != now || was2 != now {
		t.Fatalf("second migrate: version %d (was %d), want %d (was %d)", again, was2, now, now)
	}
	// A database made by "migrate" serves apps: the schema is complete.
	mustRun(t, nil, "apps", "create", "--db", db, "--account", "a", "--all-bots", "--scope", "Session Ingest")
}

// TestCLIEnvDB checks that INTENTRT_DB stands for --db in every subcommand that touches storage,
// and that the flag wins over it.
func TestCLIEnvDB(t *testing.T) {
	dir := t.TempDir()
	envDB, flagDB := filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	env := map[string]string{"INTENTRT_DB": envDB}
	if now, was := migrate(t, env); now < 1 || was != 0 {
		t.Fatalf("migrate via INTENTRT_DB: %d (was %d)", now, was)
	}
	if _, was := migrate(t, map[string]string{"INTENTRT_DB": "sqlite://" + envDB}); was < 1 {
		t.Fatalf("INTENTRT_DB as a sqlite:// URL did not open the same file")
	}
	var a createdApp
	if err := json.Unmarshal([]byte(mustRun(t, env, "apps", "create", "--account", "a", "--all-bots", "--scope", "Session Ingest")), &a); err != nil {
		t.Fatal(err)
	}
	if list := mustRun(t, env, "apps", "list"); !strings.Contains(list, a.ClientID) {
		t.Fatalf("apps list via INTENTRT_DB does not show the app:\n%s", list)
	}
	if list := mustRun(t, env, "apps", "list", "--db", flagDB); strings.Contains(list, a.ClientID) {
		t.Fatalf("--db did not win over INTENTRT_DB:\n%s", list)
	}
	mustRun(t, env, "apps", "revoke", a.ClientID)

	// serve reads INTENTRT_DB too (and INTENTRT_ADDR): it answers on the env's database.
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb testserver.SyncBuffer
	done := make(chan error, 1)
	serveEnv := map[string]string{"INTENTRT_DB": envDB, "INTENTRT_ADDR": "127.0.0.1:0", "INTENTRT_RATE_LIMIT": "0"}
	go func() {
		done <- cli.Run(ctx, []string{"serve"}, func(k string) string { return serveEnv[k] }, strings.NewReader(""), &out, &errb)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "listening on") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited: %v\n%s", err, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", errb.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(errb.String(), envDB) {
		t.Errorf("serve's log does not name the database of INTENTRT_DB:\n%s", errb.String())
	}
}

// TestCLIServeRefusesOlderSchema simulates a database left by an older binary (the record of its
// highest migration deleted) and checks that serve refuses it and names the fix. On SQLite this needs a binary with at least two
// migrations; PostgreSQL (INTENTRT_TEST_POSTGRES) has them.
func TestCLIServeRefusesOlderSchema(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "old.db")
		want, _ := migrate(t, nil, "--db", db)
		if want < 2 {
			// Deleting the only version row leaves a database that records no version but has
			// every table: not an older schema, and not a new database either.
			t.Skipf("the SQLite schema has %d migration: no older schema to simulate", want)
		}
		conn, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		checkRefusal(t, db, want)
	})
	t.Run("sqlite newer than the binary", func(t *testing.T) {
		// The opposite guard, which SQLite can always simulate: a database migrated by a newer
		// binary is refused too, rather than served with a schema this binary does not know.
		db := filepath.Join(t.TempDir(), "new.db")
		want, _ := migrate(t, nil, "--db", db)
		conn, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(`INSERT INTO schema_migrations (version, name) VALUES (?, 'from_the_future.sql')`, want+1)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := run(nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
		if r.err == nil || !strings.Contains(r.err.Error(), "newer intentrt") || cli.ExitCode(r.err) != 1 {
			t.Errorf("serve on a newer schema: %v", r.err)
		}
		if r := run(nil, "migrate", "--db", db); r.err == nil || !strings.Contains(r.err.Error(), "newer") {
			t.Errorf("migrate on a newer schema: %v", r.err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		want, _ := migrate(t, nil, "--db", dsn)
		if want < 2 {
			t.Skipf("the PostgreSQL schema has %d migration: no older schema to simulate", want)
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkRefusal(t, dsn, want)
	})
}

func checkRefusal(t *testing.T, db string, want int) {
	t.Helper()
	r := run(nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	if r.err == nil {
		t.Fatalf("serve started on an older schema")
	}
	if !strings.Contains(r.err.Error(), "intentrt migrate") {
		t.Errorf("serve's refusal does not say to run intentrt migrate: %v", r.err)
	}
	if code := cli.ExitCode(r.err); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if strings.Contains(r.stdout, "listening") {
		t.Errorf("serve listened before refusing: %q", r.stdout)
	}
	if !strings.Contains(r.err.Error(), strconv.Itoa(want-1)) || !strings.Contains(r.err.Error(), strconv.Itoa(want)) {
		t.Errorf("serve's refusal does not name both versions (%d, %d): %v", want-1, want, r.err)
	}
	// The other storage commands refuse as well, rather than touch a schema they do not know.
	if r := run(nil, "apps", "list", "--db", db); r.err == nil || !strings.Contains(r.err.Error(), "intentrt migrate") {
		t.Errorf("apps list on an older schema: %v", r.err)
	}
	// (Running "intentrt migrate" now would re-apply the step whose record was deleted over the
	// objects it already made; a real older database does not have them.)
}
