package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/postgres"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
)

// BenchmarkApply1000 commits 1000 session.completed events per transaction.
func BenchmarkApply1000(b *testing.B) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.DSN(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	n := 0
	b.ResetTimer()
	for range b.N {
		parts := make([]string, 1000)
		for i := range parts {
			n++
			parts[i] = fmt.Sprintf(`{"type":"session.completed","sessionId":"s%d","channel":"rtm","ANI":"a","DNI":"d","userId":"u","startTime":%q,"endTime":%q,"intents":["A"],"status":"completed"}`,
				n, t0.Format(time.RFC3339), t0.Add(time.Duration(n)*time.Second).Format(time.RFC3339))
		}
		evs, err := session.DecodeJSON([]byte("["+strings.Join(parts, ",")+"]"), 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Apply(ctx, []session.Batch{{Account: "a", Bot: "b", Events: evs}}); err != nil {
			b.Fatal(err)
		}
	}
}
