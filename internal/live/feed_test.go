package live_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlite"
)

// TestFeedPublishesStorageChanges runs a feed over a real store: changes committed before Start
// are not re-published, later ones arrive once and in cursor order, whether the feed is kicked
// (a local commit) or only polls (another node's commit).
func TestFeedPublishesStorageChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "feed.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	apply := func(ids ...int) {
		t.Helper()
		var js string
		for i, id := range ids {
			if i > 0 {
				js += ","
			}
			js += fmt.Sprintf(`{"type":"session.completed","sessionId":"s%d","channel":"rtm","ANI":"a","DNI":"d","userId":"u",
				"startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T10:01:00Z","intents":[],"status":"completed"}`, id)
		}
		evs, err := session.DecodeJSON([]byte("["+js+"]"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Apply(ctx, []session.Batch{{Account: "a", Bot: "b", Events: evs}}); err != nil {
			t.Fatal(err)
		}
	}
	apply(0, 1) // before the feed starts: a stream replays these from storage, the feed does not

	broker := live.NewBroker()
	sub := broker.Subscribe("a", "b", 100)
	defer sub.Close()
	// A long poll, so that what arrives quickly came from the kick.
	feed := live.NewFeed(db, broker, time.Hour, nil)
	if err := feed.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if feed.Last() != 2 {
		t.Fatalf("feed starts at %d, want the head 2", feed.Last())
	}
	go feed.Run(ctx)

	next := func(wait time.Duration) (session.Change, bool) {
		deadline := time.After(wait)
		for {
			if ch, ok := sub.Next(); ok {
				return ch, true
			}
			select {
			case <-sub.Ready():
			case <-deadline:
				return session.Change{}, false
			}
		}
	}
	receive := func(want ...string) {
		t.Helper()
		for _, id := range want {
			ch, ok := next(10 * time.Second)
			switch {
			case ok:
				if ch.State.SessionID != id || ch.Kind != session.ChangeCompleted {
					t.Fatalf("got %s (%s), want %s", ch.State.SessionID, ch.Kind, id)
				}
			default:
				t.Fatalf("%s did not arrive", id)
			}
		}
		if ch, ok := next(50 * time.Millisecond); ok {
			t.Fatalf("unexpected %s at cursor %d", ch.State.SessionID, ch.Seq)
		}
	}
	apply(2, 3)
	feed.Kick()
	receive("s2", "s3")

	// Without a kick, the poll brings another node's commit.
	fast := live.NewFeed(db, broker, 20*time.Millisecond, nil)
	if err := fast.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel2 := runFeed(fast)
	defer cancel2()
	apply(4)
	receive("s4")
	if fast.Last() != 5 {
		t.Fatalf("polling feed at %d, want 5", fast.Last())
	}
}

func runFeed(f *live.Feed) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	go f.Run(ctx)
	return cancel
}
