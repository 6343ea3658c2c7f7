package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/webhook"
)

// webhookJSON is how the CLI shows a webhook. The secret appears only in the answer to
// "webhooks create".
type webhookJSON struct {
	ID            string           `json:"id"`
	Secret        string           `json:"secret,omitempty"`
	AccountID     string           `json:"accountId"`
	Bot           string           `json:"bot,omitempty"`
	AllBots       bool             `json:"allBots"`
	URL           string           `json:"url"`
	Events        []webhook.Event  `json:"events"`
	CreatedAt     time.Time        `json:"createdAt"`
	RevokedAt     *time.Time       `json:"revokedAt,omitempty"`
	Cursor        int64            `json:"cursor"`
	AlertCursor   int64            `json:"alertCursor"`
	Pending       *int64           `json:"pending,omitempty"`
	Attempts      int              `json:"failedAttempts"`
	NextAttemptAt *time.Time       `json:"nextAttemptAt,omitempty"`
	LastError     string           `json:"lastError,omitempty"`
	LastErrorAt   *time.Time       `json:"lastErrorAt,omitempty"`
	DeadLettered  int64            `json:"deadLettered"`
	DeadLetters   []deadLetterJSON `json:"deadLetters,omitempty"`
}

type deadLetterJSON struct {
	Stream  string    `json:"stream"`
	After   int64     `json:"afterCursor"`
	Through int64     `json:"throughCursor"`
	Count   int64     `json:"count"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toWebhookJSON(w webhook.Webhook) webhookJSON {
	p := w.Progress
	return webhookJSON{ID: w.ID, AccountID: w.Account, Bot: w.Bot, AllBots: w.AllBots, URL: w.URL, Events: w.Events,
		CreatedAt: w.CreatedAt, RevokedAt: w.RevokedAt, Cursor: p.Cursor, AlertCursor: p.AlertCursor, Attempts: p.Attempts,
		NextAttemptAt: timePtr(p.NextAttempt), LastError: p.LastError, LastErrorAt: timePtr(p.LastErrorAt), DeadLettered: p.DeadLettered}
}

func runWebhooks(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return runGroup(ctx, "webhooks", []subcommand{
		{"create", "", runWebhooksCreate}, {"list", "", runWebhooksList},
		{"revoke", " ID", runWebhooksRevoke}, {"replay", " ID", runWebhooksReplay},
	}, args, getenv, stdout, stderr)
}

// webhooksCreateFlags are the flags of "webhooks create".
type webhooksCreateFlags struct {
	dsn, account, bot, url string
	allBots                bool
	events                 stringList
}

func defineWebhooksCreate(fs *flag.FlagSet) *webhooksCreateFlags {
	var f webhooksCreateFlags
	fs.StringVar(&f.dsn, "db", DefaultDB, "database: file path, sqlite://PATH or postgres://...")
	fs.StringVar(&f.account, "account", "", "account whose events are delivered (required)")
	fs.StringVar(&f.bot, "bot", "", "the bot whose events are delivered")
	fs.BoolVar(&f.allBots, "all-bots", false, "deliver the events of every bot of the account")
	fs.StringVar(&f.url, "url", "", "receiver URL, https://... (or http://) (required)")
	fs.Var(&f.events, "events", "events to deliver, comma separated: session, session.updated, alert (repeatable)")
	return &f
}

func runWebhooksCreate(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhooks create", stderr)
	f := defineWebhooksCreate(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	if !session.ValidID(f.account) {
		return &usageError{"webhooks create: --account is required (1-128 printable characters)"}
	}
	if f.bot != "" && !session.ValidID(f.bot) {
		return &usageError{fmt.Sprintf("webhooks create: --bot %q: 1-128 printable characters", f.bot)}
	}
	var events []webhook.Event
	for _, v := range f.events {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				events = append(events, webhook.Event(e))
			}
		}
	}
	w, err := webhook.New(f.account, f.bot, f.allBots, f.url, events, time.Now())
	if err != nil {
		return &usageError{"webhooks create: " + err.Error()}
	}
	db, err := openReady(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// Deliveries start with what commits from now on: the cursors are the feeds' heads.
	if w.Progress.Cursor, err = db.Head(ctx); err != nil {
		return fmt.Errorf("read the change feed: %w", err)
	}
	if w.Progress.AlertCursor, err = db.AlertHead(ctx); err != nil {
		return fmt.Errorf("read the alert feed: %w", err)
	}
	if err := db.CreateWebhook(ctx, w); err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	j := toWebhookJSON(w)
	j.Secret = w.Secret
	return writeIndented(stdout, j)
}

func runWebhooksList(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return withStorage(ctx, "webhooks list", args, getenv, stderr, func(db *backend) error {
		hooks, err := db.ListWebhooks(ctx)
		if err != nil {
			return fmt.Errorf("list webhooks: %w", err)
		}
		head, err := db.Head(ctx)
		if err != nil {
			return fmt.Errorf("read the change feed: %w", err)
		}
		out := make([]webhookJSON, len(hooks))
		for i, w := range hooks {
			out[i] = toWebhookJSON(w)
			if w.Active() {
				n, err := db.CountWebhookChanges(ctx, w.Account, w.Bot, w.Progress.Cursor, head)
				if err != nil {
					return fmt.Errorf("count pending deliveries: %w", err)
				}
				out[i].Pending = &n
			}
			dls, err := db.DeadLetters(ctx, w.ID)
			if err != nil {
				return fmt.Errorf("read dead letters: %w", err)
			}
			for _, dl := range dls {
				out[i].DeadLetters = append(out[i].DeadLetters, deadLetterJSON(dl))
			}
		}
		return writeIndented(stdout, out)
	})
}

func runWebhooksRevoke(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	return withStoredID(ctx, "webhooks revoke", "ID of the webhook to revoke", args, getenv, stderr, func(db *backend, id string) error {
		if err := db.RevokeWebhook(ctx, id, time.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no webhook with id %q", id)
			}
			return fmt.Errorf("revoke webhook: %w", err)
		}
		fmt.Fprintf(stdout, "revoked %s\n", id)
		return nil
	})
}

// webhooksReplayFlags are the flags of "webhooks replay".
type webhooksReplayFlags struct {
	dsn  string
	from int64
}

func defineWebhooksReplay(fs *flag.FlagSet) *webhooksReplayFlags {
	var f webhooksReplayFlags
	fs.StringVar(&f.dsn, "db", DefaultDB, "database: file path, sqlite://PATH or postgres://...")
	fs.Int64Var(&f.from, "from", -1, "re-send every change with a cursor above this one (an event's \"cursor\"; 0 for all) (required)")
	return &f
}

func runWebhooksReplay(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhooks replay", stderr)
	f := defineWebhooksReplay(fs)
	id, err := idAndFlags(fs, args, getenv, "webhooks replay", "ID of the webhook to replay")
	if err != nil {
		return err
	}
	if f.from < 0 {
		return &usageError{"webhooks replay: give --from CURSOR (0 or more)"}
	}
	db, err := openReady(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.ReplayWebhook(ctx, id, f.from); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no webhook with id %q", id)
		}
		return fmt.Errorf("replay webhook: %w", err)
	}
	fmt.Fprintf(stdout, "replaying %s from cursor %d\n", id, f.from)
	return nil
}
