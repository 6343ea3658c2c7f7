package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// TestCommitterExpires: events older than the account's horizon are counted as expired and
// never reach storage, whether the whole batch or part of it is old; a retry of them is expired
// again, even when their key is not stored; other accounts are judged by their own horizon.
func TestCommitterExpires(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	// sessionBatch's events are at 2024-01-06 14:00–14:01; "acct" expires what is before 14:00:30.
	horizon := time.Date(2024, 1, 6, 14, 0, 30, 0, time.UTC)
	c := NewCommitter(db, Options{Horizon: func(account string) time.Time {
		if account == "acct" {
			return horizon
		}
		return time.Time{}
	}})
	defer c.Close()
	b := sessionBatch("acct", "s1", 60) // the completed event at 14:01 and 59 intents at 14:00:01…14:00:59
	for range 2 {
		res, err := c.Submit(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Expired != 29 || res.Accepted+res.Duplicates != 31 {
			t.Fatalf("result %+v, want 29 expired (14:00:01–14:00:29) and 31 stored or duplicate", res)
		}
	}
	got, err := db.Latest(ctx, session.Query{Account: "acct", Bot: "b"})
	if err != nil || len(got) != 1 {
		t.Fatalf("stored: %+v %v", got, err)
	}
	for _, in := range got[0].Intents {
		if in.At.Before(horizon) {
			t.Fatalf("an expired intent was stored: %+v", in)
		}
	}
	old := sessionBatch("acct", "s2", 1)
	old.Events[0].Time = horizon.Add(-time.Nanosecond)
	if res, err := c.Submit(ctx, old); err != nil || res != (session.Result{Expired: 1}) {
		t.Fatalf("an all-expired batch: %+v %v", res, err)
	}
	if res, err := c.Submit(ctx, sessionBatch("other", "s1", 60)); err != nil || res.Expired != 0 || res.Accepted != 60 {
		t.Fatalf("another account without retention: %+v %v", res, err)
	}
}
