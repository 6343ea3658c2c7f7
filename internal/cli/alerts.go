package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// alertJSON is how the CLI shows an alert rule and its state.
type alertJSON struct {
	ID          string     `json:"id"`
	AccountID   string     `json:"accountId"`
	Bot         string     `json:"bot"`
	Metric      string     `json:"metric"`
	Window      string     `json:"window"`
	Condition   string     `json:"condition"`
	Threshold   float64    `json:"threshold"`
	MinSessions int64      `json:"minSessions"`
	CreatedAt   time.Time  `json:"createdAt"`
	State       string     `json:"state"`
	Since       *time.Time `json:"since,omitempty"`
	Value       *float64   `json:"value,omitempty"`
	Sessions    *int64     `json:"sessions,omitempty"`
	EvaluatedAt *time.Time `json:"evaluatedAt,omitempty"`
}

func toAlertJSON(r alert.Rule) alertJSON {
	j := alertJSON{ID: r.ID, AccountID: r.Account, Bot: r.Bot, Metric: r.MetricName(), Window: fmt.Sprintf("%dm", r.Window/time.Minute),
		Condition: r.Condition(), Threshold: r.Threshold, MinSessions: r.MinSessions, CreatedAt: r.CreatedAt, State: alert.StateOK}
	if r.State.Firing {
		j.State = alert.StateFiring
	}
	if !r.State.EvaluatedAt.IsZero() {
		st := r.State
		j.Since, j.Value, j.Sessions, j.EvaluatedAt = timePtr(st.Since), &st.Value, &st.Sessions, &st.EvaluatedAt
	}
	return j
}

func runAlerts(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return runGroup(ctx, "alerts", []subcommand{
		{"create", "", runAlertsCreate}, {"list", "", runAlertsList}, {"delete", " ID", runAlertsDelete},
	}, args, getenv, stdout, stderr)
}

// alertsCreateFlags are the flags of "alerts create". The thresholds are strings so that
// "not given" differs from 0.
type alertsCreateFlags struct {
	dsn, account, bot, metric, above, below string
	window                                  time.Duration
	minSessions                             int64
}

func defineAlertsCreate(fs *flag.FlagSet) *alertsCreateFlags {
	var f alertsCreateFlags
	fs.StringVar(&f.dsn, "db", DefaultDB, "database: file path, sqlite://PATH or postgres://...")
	fs.StringVar(&f.account, "account", "", "account of the bot (required)")
	fs.StringVar(&f.bot, "bot", "", "the bot whose figures are watched (required)")
	fs.StringVar(&f.metric, "metric", "", "dropoffRate, containmentRate, transferRate, errorRate, sessions or intentSessions[:NAME] (required)")
	fs.DurationVar(&f.window, "window", 15*time.Minute, "trailing window the metric is computed over, whole minutes up to 24h")
	fs.StringVar(&f.above, "above", "", "fire when the metric is above this number (a rate 0-1 or a count)")
	fs.StringVar(&f.below, "below", "", "fire when the metric is below this number")
	fs.Int64Var(&f.minSessions, "min-sessions", 0, "fire only when the window holds at least this many sessions")
	return &f
}

func parseThreshold(name, v string) (*float64, error) {
	if v == "" {
		return nil, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("alerts create: --%s %q: not a number", name, v)}
	}
	return &x, nil
}

func runAlertsCreate(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("alerts create", stderr)
	f := defineAlertsCreate(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	if !session.ValidID(f.account) || !session.ValidID(f.bot) {
		return &usageError{"alerts create: --account and --bot are required (1-128 printable characters)"}
	}
	above, err := parseThreshold("above", f.above)
	if err != nil {
		return err
	}
	below, err := parseThreshold("below", f.below)
	if err != nil {
		return err
	}
	r, err := alert.NewRule(f.account, f.bot, f.metric, f.window, above, below, f.minSessions, time.Now())
	if err != nil {
		return &usageError{"alerts create: " + err.Error()}
	}
	db, err := openReady(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CreateAlertRule(ctx, r); err != nil {
		return fmt.Errorf("create alert: %w", err)
	}
	return writeIndented(stdout, toAlertJSON(r))
}

func runAlertsList(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return withStorage(ctx, "alerts list", args, getenv, stderr, func(db *backend) error {
		rules, err := db.ListAlertRules(ctx)
		if err != nil {
			return fmt.Errorf("list alerts: %w", err)
		}
		out := make([]alertJSON, len(rules))
		for i, r := range rules {
			out[i] = toAlertJSON(r)
		}
		return writeIndented(stdout, out)
	})
}

func runAlertsDelete(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return withStoredID(ctx, "alerts delete", "ID of the alert to delete", args, getenv, stderr, func(db *backend, id string) error {
		if err := db.DeleteAlertRule(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no alert with id %q", id)
			}
			return fmt.Errorf("delete alert: %w", err)
		}
		fmt.Fprintf(stdout, "deleted %s\n", id)
		return nil
	})
}
