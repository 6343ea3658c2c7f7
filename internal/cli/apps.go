package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// appJSON is how the CLI shows an app. The secret appears only in the answer to "apps create".
type appJSON struct {
	ClientID     string     `json:"clientId"`
	ClientSecret string     `json:"clientSecret,omitempty"`
	AccountID    string     `json:"accountId"`
	Bots         []string   `json:"bots,omitempty"`
	AllBots      bool       `json:"allBots"`
	Scopes       []string   `json:"scopes"`
	EnforceJTI   bool       `json:"enforceJti"`
	CreatedAt    time.Time  `json:"createdAt"`
	RevokedAt    *time.Time `json:"revokedAt,omitempty"`
}

func toJSON(a auth.App, withSecret bool) appJSON {
	j := appJSON{ClientID: a.ClientID, AccountID: a.Account, Bots: a.Bots, AllBots: a.AllBots,
		EnforceJTI: a.EnforceJTI, CreatedAt: a.CreatedAt, RevokedAt: a.RevokedAt, Scopes: []string{}}
	for _, s := range a.Scopes {
		j.Scopes = append(j.Scopes, string(s))
	}
	if withSecret {
		j.ClientSecret = a.ClientSecret
	}
	return j
}

func runApps(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return runGroup(ctx, "apps", []subcommand{
		{"create", "", runAppsCreate}, {"list", "", runAppsList}, {"revoke", " CLIENT_ID", runAppsRevoke},
	}, args, getenv, stdout, stderr)
}

// appsCreateFlags are the flags of "apps create".
type appsCreateFlags struct {
	dsn, account        string
	bots, scopes        stringList
	allBots, enforceJTI bool
}

func defineAppsCreate(fs *flag.FlagSet) *appsCreateFlags {
	var f appsCreateFlags
	fs.StringVar(&f.dsn, "db", DefaultDB, "database: file path, sqlite://PATH or postgres://...")
	fs.StringVar(&f.account, "account", "", "account id the app belongs to (required)")
	fs.Var(&f.bots, "bot", "a bot the app may reach (repeatable)")
	fs.BoolVar(&f.allBots, "all-bots", false, "the app may reach every bot of the account")
	fs.Var(&f.scopes, "scope", `scope: "SmartAssist Analytics" (read), "Session Ingest" (write) or "Data Erasure" (erasure requests; needs --all-bots); repeatable`)
	fs.BoolVar(&f.enforceJTI, "enforce-jti", false, "require a jti and exp (at most 1h) in every token, and accept each jti once")
	return &f
}

// defineDB defines the --db flag of the commands that take nothing else.
func defineDB(fs *flag.FlagSet) *string {
	return fs.String("db", DefaultDB, "database: file path, sqlite://PATH or postgres://...")
}

func runAppsCreate(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("apps create", stderr)
	f := defineAppsCreate(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	if !session.ValidID(f.account) {
		return &usageError{"apps create: --account is required (1-128 printable characters)"}
	}
	for _, b := range f.bots {
		if !session.ValidID(b) {
			return &usageError{fmt.Sprintf("apps create: --bot %q: 1-128 printable characters", b)}
		}
	}
	if f.allBots == (len(f.bots) > 0) {
		return &usageError{"apps create: give --bot (one or more) or --all-bots"}
	}
	var sc []auth.Scope
	for _, s := range f.scopes {
		p, err := auth.ParseScope(s)
		if err != nil {
			return &usageError{"apps create: " + err.Error()}
		}
		sc = append(sc, p)
	}
	if len(sc) == 0 {
		return &usageError{`apps create: give at least one --scope ("SmartAssist Analytics", "Session Ingest", "Data Erasure")`}
	}
	if slices.Contains(sc, auth.ScopeErasure) && !f.allBots {
		// An erasure removes the users from every bot of the account: an app limited to some
		// bots would be refused every request.
		return &usageError{`apps create: --scope "Data Erasure" needs --all-bots`}
	}
	app, err := auth.NewApp(f.account, f.bots, f.allBots, sc, f.enforceJTI, time.Now())
	if err != nil {
		return &usageError{"apps create: " + err.Error()}
	}
	db, err := openReady(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CreateApp(ctx, app); err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	return writeIndented(stdout, toJSON(app, true))
}

func runAppsList(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return withStorage(ctx, "apps list", args, getenv, stderr, func(db *backend) error {
		apps, err := db.ListApps(ctx)
		if err != nil {
			return fmt.Errorf("list apps: %w", err)
		}
		out := make([]appJSON, len(apps))
		for i, a := range apps {
			out[i] = toJSON(a, false)
		}
		return writeIndented(stdout, out)
	})
}

func runAppsRevoke(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return withStoredID(ctx, "apps revoke", "CLIENT_ID to revoke", args, getenv, stderr, func(db *backend, id string) error {
		if err := db.RevokeApp(ctx, id, time.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no app with client id %q", id)
			}
			return fmt.Errorf("revoke app: %w", err)
		}
		fmt.Fprintf(stdout, "revoked %s\n", id)
		return nil
	})
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
