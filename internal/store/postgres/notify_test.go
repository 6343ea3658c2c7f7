package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
)

// TestListenNamesTheCommitsBots: Apply's notification names the bots it changed, so that every
// node can drop what it keeps of them on hearing of it; when their names would not fit
// NOTIFY's 8 000 bytes it names their accounts, and when those would not either, everything.
func TestListenNamesTheCommitsBots(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	heard := make(chan store.Changed, 16)
	go s.Listen(ctx, func(c store.Changed) { heard <- c }, nil)
	next := func() store.Changed {
		t.Helper()
		select {
		case c := <-heard:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("no notification within 10 s")
			return store.Changed{}
		}
	}
	if c := next(); !reflect.DeepEqual(c, store.Changed{}) {
		t.Fatalf("on connecting: %+v, want nothing named", c)
	}
	n := 0
	apply := func(bots ...store.BotRef) {
		t.Helper()
		var batches []session.Batch
		for _, b := range bots {
			n++
			evs, err := session.DecodeJSON(fmt.Appendf(nil, `[{"type":"session.completed","sessionId":"s%d","channel":"rtm","ANI":"a","DNI":"d",
				"userId":"u","startTime":"2026-11-24T10:00:00Z","endTime":"2026-11-24T10:01:00Z","intents":[],"status":"completed"}]`, n), 0)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, session.Batch{Account: b.Account, Bot: b.Bot, Events: evs}, session.Batch{Account: b.Account, Bot: b.Bot, Events: evs})
		}
		if _, _, err := s.Apply(ctx, batches); err != nil {
			t.Fatal(err)
		}
	}
	few := []store.BotRef{{Account: "a", Bot: "b1"}, {Account: "a", Bot: `b"2`}, {Account: "x", Bot: "b1"}}
	apply(few...)
	if c := next(); !reflect.DeepEqual(c, store.Changed{Bots: few}) {
		t.Fatalf("a commit of three bots: %+v", c)
	}
	long := strings.Repeat("n", 120)
	var many []store.BotRef // 100 bots of 120 bytes: their names exceed 8 000 bytes, not their accounts'
	for i := range 100 {
		many = append(many, store.BotRef{Account: []string{"a", "x"}[i%2], Bot: fmt.Sprintf("%s%03d", long, i)})
	}
	apply(many...)
	if c := next(); !reflect.DeepEqual(c, store.Changed{Accounts: []string{"a", "x"}}) {
		t.Fatalf("a commit of 100 long-named bots of two accounts: %+v", c)
	}
	for i := range many { // now 100 accounts as long: nothing fits but "everything"
		many[i].Account = fmt.Sprintf("%s%03d", long, i)
	}
	apply(many...)
	if c := next(); !reflect.DeepEqual(c, store.Changed{All: true}) {
		t.Fatalf("a commit of 100 long-named accounts: %+v", c)
	}
	// A payload it cannot read (a node of an older version sent its head cursor) names everything.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_notify($1, '1234')`, postgres.ChangesChannel); err != nil {
		t.Fatal(err)
	}
	if c := next(); !reflect.DeepEqual(c, store.Changed{All: true}) {
		t.Fatalf("an unreadable payload: %+v", c)
	}
}
