package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// TestCommitterRedactsBeforeEverything submits a batch with a phone number to a committer whose
// account masks it: what storage keeps, what the publisher is told and the event's idempotency
// key all come from the masked event; a policy that cannot be read refuses the batch.
func TestCommitterRedactsBeforeEverything(t *testing.T) {
	db := openStore(t)
	ctx := context.Background()
	if err := db.SetAccountPolicy(ctx, "acct", privacy.Policy{ANI: privacy.Mask}, time.Now()); err != nil {
		t.Fatal(err)
	}
	pub := &recorder{}
	c := NewCommitter(db, Options{Redactor: privacy.NewRedactor(db, time.Minute), Publisher: pub})
	defer c.Close()
	b := sessionBatch("acct", "s1", 1)
	b.Events[0].ANI = "+12605554468"
	if _, err := c.Submit(ctx, b); err != nil {
		t.Fatal(err)
	}
	if b.Events[0].ANI != "+12605554468" {
		t.Fatal("Submit changed the caller's events")
	}
	got, err := db.Latest(ctx, session.Query{Account: "acct", Bot: "b"})
	if err != nil || len(got) != 1 || got[0].ANI != "********4468" {
		t.Fatalf("stored: %+v %v", got, err)
	}
	if len(pub.changes) != 1 || pub.changes[0].State.ANI != "********4468" {
		t.Fatalf("published: %+v", pub.changes)
	}
	// The retry is a duplicate: its key was made from the masked content both times.
	if res, err := c.Submit(ctx, b); err != nil || res.Duplicates != 1 {
		t.Fatalf("retry: %+v %v", res, err)
	}

	db.Close() // storage gone: the policy cannot be read for a new account
	c2 := NewCommitter(db, Options{Redactor: privacy.NewRedactor(db, time.Minute)})
	defer c2.Close()
	if _, err := c2.Submit(ctx, sessionBatch("other", "s2", 1)); err == nil {
		t.Fatal("a batch was accepted without its policy")
	} else if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("error %v is not store.ErrUnavailable (a 503, retried)", err)
	}
}
