package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// runFunc is how every command and subcommand runs.
type runFunc func(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error

// subcommand is one verb of a command group (apps create, webhooks replay, …).
type subcommand struct {
	name string
	args string // what its usage line shows after the verb, e.g. " CLIENT_ID"
	run  runFunc
}

// runGroup runs the subcommand args[0] names. Every group (apps, accounts, webhooks, alerts)
// answers a missing or unknown verb and -h the same way, with the flags of each verb listed
// from the same definitions the verbs parse with.
func runGroup(ctx context.Context, cmd string, subs []subcommand, args []string, getenv Env, stdout, stderr io.Writer) error {
	verbs := verbList(subs)
	if len(args) == 0 {
		printGroupUsage(stderr, cmd, subs)
		return &usageError{fmt.Sprintf("%s: give %s", cmd, verbs)}
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printGroupUsage(stdout, cmd, subs)
		return flag.ErrHelp
	}
	return &usageError{fmt.Sprintf("%s: unknown subcommand %q; give %s", cmd, args[0], verbs)}
}

// verbList reads "create, list or revoke".
func verbList(subs []subcommand) string {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// printGroupUsage lists the subcommands of cmd with their flags.
func printGroupUsage(w io.Writer, cmd string, subs []subcommand) {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	fmt.Fprintf(w, "Usage: intentrt %s %s [flags]\n", cmd, strings.Join(names, "|"))
	for _, sub := range subs {
		fs := newFlagSet(cmd+" "+sub.name, w)
		commandFlags[cmd+" "+sub.name](fs)
		fmt.Fprintf(w, "\nintentrt %s %s%s:\n", cmd, sub.name, sub.args)
		printFlags(w, fs)
	}
}

// withStorage parses the flags of a subcommand that takes only --db (the list verbs), opens
// storage, ready to use, for f and closes it after.
func withStorage(ctx context.Context, name string, args []string, getenv Env, stderr io.Writer, f func(db *backend) error) error {
	fs := newFlagSet(name, stderr)
	dsn := defineDB(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	db, err := openReady(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return f(db)
}

// withStoredID runs a verb that takes one id and only --db (apps revoke, webhooks revoke,
// alerts delete): the id may stand before or after the flags; f acts on it in storage.
func withStoredID(ctx context.Context, name, what string, args []string, getenv Env, stderr io.Writer, f func(db *backend, id string) error) error {
	fs := newFlagSet(name, stderr)
	dsn := defineDB(fs)
	id, err := idAndFlags(fs, args, getenv, name, what)
	if err != nil {
		return err
	}
	db, err := openReady(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return f(db, id)
}

// idAndFlags takes a command's one positional argument, before or after its flags.
func idAndFlags(fs *flag.FlagSet, args []string, getenv Env, cmd, what string) (string, error) {
	var id string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	if err := parse(fs, args, getenv); err != nil {
		return "", err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if id == "" {
		return "", &usageError{fmt.Sprintf("%s: give the %s", cmd, what)}
	}
	return id, nil
}
