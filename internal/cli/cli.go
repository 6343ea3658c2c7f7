// Package cli is intentrt's composition root: it parses flags and environment, picks the storage
// backend and wires the packages together. One file per subcommand.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Env reads an environment variable; tests pass a map lookup instead of os.Getenv.
type Env func(string) string

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// ExitCode maps an error from Run to the process exit code: 0 for none and for -h (the help was
// asked for and printed), 2 for usage errors, 1 otherwise.
func ExitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

const usage = `intentrt — the Kore.ai-compatible intent real-time API, with ingest, live stream and dashboard

Usage:
  intentrt serve   [--addr HOST:PORT] [--db DSN] [--demo] [--rate-limit N] ...
  intentrt apps create --account A (--bot B ... | --all-bots) --scope S [--scope S] [--enforce-jti] [--db DSN]
  intentrt apps list   [--db DSN]
  intentrt apps revoke CLIENT_ID [--db DSN]
  intentrt accounts set --account A [--ani MODE] [--dni MODE] [--user-id MODE] [--db DSN]
                   (MODE: keep, mask, hash or drop: what ingest stores of each personal field)
  intentrt accounts list [--db DSN]
  intentrt webhooks create --account A (--bot B | --all-bots) --url URL --events session,session.updated,alert [--db DSN]
  intentrt webhooks list   [--db DSN]
  intentrt webhooks revoke ID [--db DSN]
  intentrt webhooks replay ID --from CURSOR [--db DSN]
  intentrt alerts create --account A --bot B --metric M --window 15m (--above X | --below X) [--min-sessions N] [--db DSN]
  intentrt alerts list   [--db DSN]
  intentrt alerts delete ID [--db DSN]
  intentrt token --client-id ID --client-secret SECRET [--alg HS256|HS512] [--ttl 1h] [--jti]
  intentrt migrate [--db DSN]
  intentrt bench   [--db postgres://...] [--flat-big N] [--duration D] [--json FILE] ...
  intentrt version

Run "intentrt COMMAND -h" for the flags of a command. Every flag has an environment equivalent
(INTENTRT_ plus the flag name in capitals, dashes as underscores: --db is INTENTRT_DB; bench's
are INTENTRT_BENCH_...); the command line wins. Booleans take 1, 0, true or false; repeatable
flags a comma-separated list.
`

// commandFlags defines the flags of each command on a flag set, through the same define function
// the command itself calls. The configuration test walks it, so that every flag, a new one too,
// is checked with its environment form; another test checks that it lists every command of the
// usage. A command's flags belong in its define function, not in its run function.
var commandFlags = map[string]func(*flag.FlagSet){
	"serve":           func(fs *flag.FlagSet) { defineServe(fs, &serveConfig{}) },
	"apps create":     func(fs *flag.FlagSet) { defineAppsCreate(fs) },
	"apps list":       func(fs *flag.FlagSet) { defineDB(fs) },
	"apps revoke":     func(fs *flag.FlagSet) { defineDB(fs) },
	"accounts set":    func(fs *flag.FlagSet) { defineAccountsSet(fs) },
	"accounts list":   func(fs *flag.FlagSet) { defineDB(fs) },
	"token":           func(fs *flag.FlagSet) { defineToken(fs) },
	"webhooks create": func(fs *flag.FlagSet) { defineWebhooksCreate(fs) },
	"webhooks list":   func(fs *flag.FlagSet) { defineDB(fs) },
	"webhooks revoke": func(fs *flag.FlagSet) { defineDB(fs) },
	"webhooks replay": func(fs *flag.FlagSet) { defineWebhooksReplay(fs) },
	"alerts create":   func(fs *flag.FlagSet) { defineAlertsCreate(fs) },
	"alerts list":     func(fs *flag.FlagSet) { defineDB(fs) },
	"alerts delete":   func(fs *flag.FlagSet) { defineDB(fs) },
	"migrate":         func(fs *flag.FlagSet) { defineDB(fs) },
	"bench":           func(fs *flag.FlagSet) { defineBench(fs) },
	"version":         func(fs *flag.FlagSet) {},
}

// Run runs the intentrt command line. It returns when the command is done; for serve, when ctx
// is cancelled (SIGINT/SIGTERM) and the server has shut down cleanly.
func Run(ctx context.Context, args []string, getenv Env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "apps":
		return runApps(ctx, rest, getenv, stdout, stderr)
	case "accounts":
		return runAccounts(ctx, rest, getenv, stdout, stderr)
	case "webhooks":
		return runWebhooks(ctx, rest, getenv, stdout, stderr)
	case "alerts":
		return runAlerts(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(rest, getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return &usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}
