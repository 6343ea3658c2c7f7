package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// The one rule of configuration: every flag of every command can be given in the environment as
// INTENTRT_ plus the flag's name in capitals with dashes as underscores (--rate-limit is
// INTENTRT_RATE_LIMIT), and a flag given on the command line wins. It is applied here, once, to
// whole flag sets, so a flag gets its environment form by being defined, with no code of its own.

// envPrefix is the prefix of the environment variables of the command whose flag set is named
// name. The bench has its own (INTENTRT_BENCH_DB, not INTENTRT_DB), so that a bench run where a
// server is configured never picks up that server's database or settings.
func envPrefix(name string) string {
	if name == "intentrt bench" {
		return "INTENTRT_BENCH_"
	}
	return "INTENTRT_"
}

// envName is the environment variable of the flag named flagName in the flag set named set.
func envName(set, flagName string) string {
	return envPrefix(set) + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a flag set that reports errors to stderr and returns them, and whose -h
// lists every flag with its default and its environment variable.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("intentrt "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		printFlags(fs.Output(), fs)
	}
	return fs
}

// printFlags writes each flag of fs with its usage, default and environment variable.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		var notes []string
		if f.DefValue != "" && !(isBool(f) && f.DefValue == "false") {
			notes = append(notes, "default "+f.DefValue)
		}
		env := "env " + envName(fs.Name(), f.Name)
		switch {
		case isList(f):
			env += ", comma separated"
		case isBool(f):
			env += "=1|0|true|false"
		}
		notes = append(notes, env)
		fmt.Fprintf(w, "%s\n    \t%s (%s)\n", head, strings.ReplaceAll(usage, "\n", "\n    \t"), strings.Join(notes, "; "))
	})
}

// parse parses the command line into fs, then sets every flag the command line left alone from
// its environment variable, if that is set and not empty. Mistakes in either are usage errors
// that name the flag or the variable; -h and --help return flag.ErrHelp once the flags are printed.
func parse(fs *flag.FlagSet, args []string, getenv Env) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	return setFromEnv(fs, getenv)
}

// setFromEnv sets each flag of fs not given on the command line from its environment variable.
// Booleans take 1, 0, true or false in any case; a repeatable flag takes a comma-separated list.
func setFromEnv(fs *flag.FlagSet, getenv Env) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(fs.Name(), f.Name)
		v := getenv(name)
		if given[f.Name] || v == "" {
			return
		}
		values := []string{v}
		switch {
		case isBool(f):
			switch strings.ToLower(v) {
			case "1", "true":
				values = []string{"true"}
			case "0", "false":
				values = []string{"false"}
			default:
				errs = append(errs, &usageError{fmt.Sprintf("%s=%q: use 1, 0, true or false", name, v)})
				return
			}
		case isList(f):
			values = strings.Split(v, ",")
			for i := range values {
				values[i] = strings.TrimSpace(values[i])
			}
		}
		for _, one := range values {
			if err := fs.Set(f.Name, one); err != nil {
				// The flag package's own errors are terse ("parse error"): say what was expected.
				kind, _ := flag.UnquoteUsage(f)
				errs = append(errs, &usageError{fmt.Sprintf("%s=%q: not a valid %s for --%s (%v)", name, v, kind, f.Name, err)})
				return
			}
		}
	})
	if len(errs) > 0 {
		return errs[0] // in flag order, like the command line's first mistake
	}
	return nil
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func isList(f *flag.Flag) bool {
	_, ok := f.Value.(*stringList)
	return ok
}

// stringList is a repeatable flag; from the environment it takes a comma-separated list.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
