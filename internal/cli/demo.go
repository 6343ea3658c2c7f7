package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/demo"
	"github.com/intentrt/intentrt/internal/ingest"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// The demo's fixed identities, so that a second run reuses the same account, bot and app.
const (
	demoAccount  = "64b7f3a2c9e1d4f5a6b7c8d9"
	demoBot      = "st-5b2f1e8a-3c4d-4e6f-8a9b-0c1d2e3f4a5b"
	demoClientID = "cs-0d3e0000-demo-4000-8000-intentrtdemo"
)

// demoHistory is how much history a new demo database gets: a day, so that the "24 h" and
// "7 days" windows of the dashboard show the daily curve (about 16 000 sessions, two seconds).
const demoHistory = 24 * time.Hour

// demoSeed fixes the backfill's sessions: a minute backfilled twice gives the same events.
const demoSeed = 0x1d7e_47a1

// demoStore is what the demo needs of storage: its app, and its newest stored session.
type demoStore interface {
	store.Apps
	Latest(ctx context.Context, q session.Query) ([]session.State, error)
}

// startDemo makes sure the demo app exists, backfills the day's history up to now (only the gap
// since the newest stored session when the database already has some), starts the live
// simulation and prints how to use it.
func startDemo(ctx context.Context, db demoStore, c *ingest.Committer, base string, stdout io.Writer) error {
	app, err := db.App(ctx, demoClientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && app.Revoked()) {
		app, err = auth.NewApp(demoAccount, []string{demoBot}, false, []auth.Scope{auth.ScopeAnalytics, auth.ScopeIngest}, false, time.Now())
		if err != nil {
			return err
		}
		app.ClientID = demoClientID
		if err := db.CreateApp(ctx, app); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("create demo app: %w", err)
		}
		if errors.Is(err, store.ErrConflict) { // revoked earlier: a revoked id is not reused
			return fmt.Errorf("the demo app %s was revoked; use another --db for the demo", demoClientID)
		}
	} else if err != nil {
		return fmt.Errorf("look up demo app: %w", err)
	}
	submit := func(ctx context.Context, events []session.Event) error {
		_, err := c.Submit(ctx, session.Batch{Account: demoAccount, Bot: demoBot, Events: events})
		return err
	}
	now := time.Now().UTC()
	from, err := demoGap(ctx, db, now)
	if err != nil {
		return err
	}
	backfill := demo.New(demoAccount, demoBot, demoSeed).Backfill(from, now)
	for len(backfill) > 0 { // in batches, as a producer would send them
		n := min(len(backfill), 5000)
		if err := submit(ctx, backfill[:n]); err != nil {
			return fmt.Errorf("backfill demo sessions: %w", err)
		}
		backfill = backfill[n:]
	}
	sim := demo.New(demoAccount, demoBot, uint64(time.Now().UnixNano()))
	go sim.Run(ctx, 1500*time.Millisecond, submit)

	token, err := auth.Mint(app.ClientID, app.ClientSecret, auth.MintOptions{TTL: 24 * time.Hour})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `
Demo running: a simulated bot's sessions follow a daily curve (up to %[7]d a minute), with an
intent that spikes now and then; the last 24 hours are backfilled.

  account id:    %[1]s
  bot id:        %[2]s
  client id:     %[3]s
  client secret: %[4]s

Dashboard: %[5]s/  (sign in with the account id, client id and client secret above)

The latest 25 completed sessions, as Kore's API answers them (the token is valid for 24 h):

curl -sS -X POST '%[5]s/api/public/bot/%[2]s/intentrealtimedata' \
  -H 'auth: %[6]s' \
  -H 'accountId: %[1]s' \
  -H 'Format: application/json'

How the bot is doing: the figures of the last 24 hours in hourly buckets, computed by the server
(add "timezone", "channels", "intent"; see docs/api.md §6):

curl -sS -X POST '%[5]s/api/public/bot/%[2]s/intentrealtimedata/summary' \
  -H 'auth: %[6]s' \
  -H 'accountId: %[1]s' \
  -d '{"bucket":"1h","timezone":"UTC","top":5}'

`, demoAccount, demoBot, app.ClientID, app.ClientSecret, base, token, demo.PeakPerMinute)
	if strings.HasPrefix(base, "https://") {
		fmt.Fprint(stdout, `With a self-signed certificate, give curl --cacert CERT_FILE (or -k) and accept the
certificate in the browser once. Add --http2 to curl to see HTTP/2 (-w '%{http_version}').

`)
	}
	return nil
}

// demoGap is where the backfill starts: a day ago, or after the newest stored demo session —
// so that restarting the demo on the same database adds no second copy of any history.
func demoGap(ctx context.Context, db demoStore, now time.Time) (time.Time, error) {
	from := now.Add(-demoHistory)
	newest, err := db.Latest(ctx, session.Query{Account: demoAccount, Bot: demoBot, Limit: 1})
	if err != nil {
		return from, fmt.Errorf("demo: read the newest session: %w", err)
	}
	if len(newest) == 1 && newest[0].End.After(from) {
		// The minute after it: the backfill makes whole minutes, and that one's sessions are
		// stored already, by the backfill or the live simulation of the earlier run.
		from = newest[0].End.Truncate(time.Minute).Add(time.Minute)
	}
	return from, nil
}
