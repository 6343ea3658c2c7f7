package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEveryFlagReadsItsEnvironment walks every flag of every command, as the commands define
// them, and checks that its environment variable sets it and that the command line wins.
func TestEveryFlagReadsItsEnvironment(t *testing.T) {
	for cmd, define := range commandFlags {
		probe := newFlagSet(cmd, io.Discard)
		define(probe)
		probe.VisitAll(func(f *flag.Flag) {
			t.Run(cmd+" --"+f.Name, func(t *testing.T) {
				env, want, cmdline := valuesFor(t, f)
				name := envName(probe.Name(), f.Name)
				getenv := func(k string) string {
					if k == name {
						return env
					}
					return ""
				}
				fs := newFlagSet(cmd, io.Discard)
				define(fs)
				if err := parse(fs, nil, getenv); err != nil {
					t.Fatalf("%s=%q: %v", name, env, err)
				}
				if got := fs.Lookup(f.Name).Value.String(); got != want {
					t.Errorf("%s=%q set --%s to %q, want %q", name, env, f.Name, got, want)
				}
				fs = newFlagSet(cmd, io.Discard)
				define(fs)
				if err := parse(fs, []string{"--" + f.Name + "=" + cmdline}, getenv); err != nil {
					t.Fatalf("--%s=%s with %s=%q: %v", f.Name, cmdline, name, env, err)
				}
				if got := fs.Lookup(f.Name).Value.String(); got != cmdline {
					t.Errorf("--%s=%s with %s=%q: got %q, the command line should win", f.Name, cmdline, name, env, got)
				}
			})
		})
	}
}

// valuesFor returns, for a flag, an environment value other than its default, the flag's value it
// should give, and a command-line value other than that.
func valuesFor(t *testing.T, f *flag.Flag) (env, want, cmdline string) {
	if isList(f) {
		return "a, b", "a,b", "c"
	}
	getter, ok := f.Value.(flag.Getter)
	if !ok {
		t.Fatalf("--%s: a %T, which this test does not know; teach valuesFor", f.Name, f.Value)
	}
	switch v := getter.Get().(type) {
	case bool:
		if v {
			return "FALSE", "false", "true"
		}
		return "True", "true", "false"
	case string:
		return "from-env", "from-env", "from-command-line"
	case int, int64, uint, uint64:
		return "7", "7", "8"
	case float64:
		return "7.5", "7.5", "8.5"
	case time.Duration:
		return "7s", "7s", "8s"
	}
	t.Fatalf("--%s: a %T, which this test does not know; teach valuesFor", f.Name, getter.Get())
	return
}

// TestEveryCommandIsWalked checks that the table the environment test walks lists every command
// of the usage, so that a new command cannot escape it.
func TestEveryCommandIsWalked(t *testing.T) {
	re := regexp.MustCompile(`(?m)^  intentrt ([a-z]+(?: [a-z]+)?)`)
	listed := re.FindAllStringSubmatch(usage, -1)
	if len(listed) < 5 {
		t.Fatalf("found only %d commands in the usage", len(listed))
	}
	for _, m := range listed {
		if _, ok := commandFlags[m[1]]; !ok {
			t.Errorf("command %q is in the usage but not in commandFlags", m[1])
		}
	}
}

func TestEnvBooleans(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
		err  bool
	}{
		{"1", true, false}, {"true", true, false}, {"TRUE", true, false}, {"True", true, false},
		{"0", false, false}, {"false", false, false}, {"FALSE", false, false},
		{"", false, false},
		{"yes", false, true}, {"t", false, true}, {"2", false, true},
	} {
		t.Run(tc.env, func(t *testing.T) {
			c, err := parseServe(nil, func(k string) string {
				if k == "INTENTRT_DEMO" {
					return tc.env
				}
				return ""
			}, io.Discard)
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), "INTENTRT_DEMO") || ExitCode(err) != 2 {
					t.Fatalf("INTENTRT_DEMO=%q: error %v (exit %d), want a usage error naming the variable", tc.env, err, ExitCode(err))
				}
				return
			}
			if err != nil || c.demo != tc.want {
				t.Fatalf("INTENTRT_DEMO=%q: demo %v, err %v; want %v", tc.env, c.demo, err, tc.want)
			}
		})
	}
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"INTENTRT_RATE_LIMIT":         "sixty",
		"INTENTRT_SHUTDOWN_TIMEOUT":   "30",
		"INTENTRT_LOG_LEVEL":          "loud",
		"INTENTRT_RATE_LIMIT_ACCOUNT": "a=1,b",
	} {
		_, err := parseServe(nil, func(k string) string {
			if k == name {
				return value
			}
			return ""
		}, io.Discard)
		if err == nil || ExitCode(err) != 2 {
			t.Errorf("%s=%q: %v, want a usage error", name, value, err)
		}
	}
	// A type error names the variable itself.
	_, err := parseServe(nil, func(k string) string { return map[string]string{"INTENTRT_MAX_EVENTS": "many"}[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "INTENTRT_MAX_EVENTS") {
		t.Errorf("INTENTRT_MAX_EVENTS=many: %v", err)
	}
}

// TestHelpEverywhere checks that -h and --help print the flags and exit 0 on every command and
// subcommand, and that the help names each flag's environment variable.
func TestHelpEverywhere(t *testing.T) {
	cmds := []string{"", "apps", "webhooks", "alerts"}
	for cmd := range commandFlags {
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		for _, h := range []string{"-h", "--help"} {
			args := append(strings.Fields(cmd), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var out, errb bytes.Buffer
				err := Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
				if ExitCode(err) != 0 {
					t.Fatalf("exit %d (%v); stderr %q", ExitCode(err), err, errb.String())
				}
				if err != nil && !errors.Is(err, flag.ErrHelp) {
					t.Fatalf("err %v", err)
				}
				help := out.String() + errb.String()
				if help == "" {
					t.Fatal("printed nothing")
				}
				fs := newFlagSet(cmd, io.Discard)
				if define, ok := commandFlags[cmd]; ok {
					define(fs)
				}
				fs.VisitAll(func(f *flag.Flag) {
					if !strings.Contains(help, "--"+f.Name) || !strings.Contains(help, envName(fs.Name(), f.Name)) {
						t.Errorf("help does not show --%s and %s:\n%s", f.Name, envName(fs.Name(), f.Name), help)
					}
				})
			})
		}
	}
}

// TestAppsCreateFromEnvironment is the case: "apps create" configured only by environment.
func TestAppsCreateFromEnvironment(t *testing.T) {
	env := map[string]string{
		"INTENTRT_DB":      t.TempDir() + "/env.db",
		"INTENTRT_ACCOUNT": "acct-env",
		"INTENTRT_BOT":     "bot-1,bot-2",
		"INTENTRT_SCOPE":   "SmartAssist Analytics,Session Ingest",
	}
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"apps", "create"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, errb.String())
	}
	for _, want := range []string{`"accountId": "acct-env"`, `"bot-1"`, `"bot-2"`, `"SmartAssist Analytics"`, `"Session Ingest"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("apps create from the environment: %s missing in\n%s", want, out.String())
		}
	}
}
