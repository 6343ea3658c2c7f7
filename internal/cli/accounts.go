package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// accountJSON is how the CLI shows an account's settings.
type accountJSON struct {
	AccountID string         `json:"accountId"`
	Policy    privacy.Policy `json:"personalData"`
	UpdatedAt time.Time      `json:"updatedAt"`
}

func toAccountJSON(a store.Account) accountJSON {
	return accountJSON{AccountID: a.ID, Policy: a.Policy.Normal(), UpdatedAt: a.UpdatedAt}
}

func runAccounts(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return runGroup(ctx, "accounts", []subcommand{
		{"set", "", runAccountsSet}, {"list", "", runAccountsList},
	}, args, getenv, stdout, stderr)
}

// accountsSetFlags are the flags of "accounts set". A mode left empty keeps what the account
// has, so that one field can be changed alone.
type accountsSetFlags struct {
	dsn, account     string
	ani, dni, userID string
}

func defineAccountsSet(fs *flag.FlagSet) *accountsSetFlags {
	var f accountsSetFlags
	fs.StringVar(&f.dsn, "db", DefaultDB, "database: file path, sqlite://PATH or postgres://...")
	fs.StringVar(&f.account, "account", "", "account id (required)")
	const modes = "keep, mask (all but the last 4 characters become *), hash (a pseudonym h:<16 hex>) or drop (empty)"
	fs.StringVar(&f.ani, "ani", "", "what ingest stores of the caller's number (ANI): "+modes+"; unset: unchanged")
	fs.StringVar(&f.dni, "dni", "", "what ingest stores of the dialed number (DNI): "+modes+"; unset: unchanged")
	fs.StringVar(&f.userID, "user-id", "", "what ingest stores of the userId: "+modes+"; unset: unchanged")
	return &f
}

func runAccountsSet(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("accounts set", stderr)
	f := defineAccountsSet(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	if !session.ValidID(f.account) {
		return &usageError{"accounts set: --account is required (1-128 printable characters)"}
	}
	if f.ani == "" && f.dni == "" && f.userID == "" {
		return &usageError{"accounts set: give at least one of --ani, --dni, --user-id"}
	}
	changes := map[string]privacy.Mode{}
	for _, c := range []struct{ flag, v string }{{"ani", f.ani}, {"dni", f.dni}, {"user-id", f.userID}} {
		if c.v == "" {
			continue
		}
		m, err := privacy.ParseMode(c.v)
		if err != nil {
			return &usageError{fmt.Sprintf("accounts set: --%s: %v", c.flag, err)}
		}
		changes[c.flag] = m
	}
	db, err := openReady(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.AccountPolicy(ctx, f.account)
	if err != nil {
		return fmt.Errorf("read account: %w", err)
	}
	for flagName, dst := range map[string]*privacy.Mode{"ani": &p.ANI, "dni": &p.DNI, "user-id": &p.UserID} {
		if m, ok := changes[flagName]; ok {
			*dst = m
		}
	}
	now := time.Now().UTC()
	if err := db.SetAccountPolicy(ctx, f.account, p, now); err != nil {
		return fmt.Errorf("set account policy: %w", err)
	}
	return writeIndented(stdout, toAccountJSON(store.Account{ID: f.account, Policy: p, UpdatedAt: now}))
}

func runAccountsList(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return withStorage(ctx, "accounts list", args, getenv, stderr, func(db *backend) error {
		accounts, err := db.ListAccounts(ctx)
		if err != nil {
			return fmt.Errorf("list accounts: %w", err)
		}
		out := make([]accountJSON, len(accounts))
		for i, a := range accounts {
			out[i] = toAccountJSON(a)
		}
		return writeIndented(stdout, out)
	})
}
