// Package cli is intentrt's composition root: it parses flags and environment, picks the storage
// backend and wires the packages together. One file per subcommand.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Env reads an environment variable; tests pass a map lookup instead of os.Getenv.
type Env func(string) string

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// ExitCode maps an error from Run to the process exit code: 0 for -h (the help was asked
// for and printed), 2 for usage errors, 1 otherwise.
func ExitCode(err error) int {
	var ue *usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
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
  intentrt token --client-id ID --client-secret SECRET [--alg HS256|HS512] [--ttl 1h] [--jti]
  intentrt migrate [--db DSN]
  intentrt bench   [--db postgres://...] [--flat-big N] [--duration D] [--json FILE] ...

Run "intentrt COMMAND -h" for the flags of a command. Every flag has an environment equivalent
(INTENTRT_ plus the flag name in capitals, dashes as underscores: --db is INTENTRT_DB).
`

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
	case "token":
		return runToken(rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return &usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

// newFlagSet returns a flag set that reports errors to stderr and returns them.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("intentrt "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envName is the environment variable of a flag: --rate-limit is INTENTRT_RATE_LIMIT.
func envName(flagName string) string {
	return "INTENTRT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// envString is the flag's default: its environment variable if set, else def.
func envString(getenv Env, name, def string) string {
	if v := getenv(envName(name)); v != "" {
		return v
	}
	return def
}

func envInt(getenv Env, name string, def int) (int, error) {
	v := getenv(envName(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &usageError{fmt.Sprintf("%s=%q: not a number", envName(name), v)}
	}
	return n, nil
}

func envDuration(getenv Env, name string, def time.Duration) (time.Duration, error) {
	v := getenv(envName(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &usageError{fmt.Sprintf("%s=%q: not a duration (like 30s)", envName(name), v)}
	}
	return d, nil
}

// parse parses flags, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
