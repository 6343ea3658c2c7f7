package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/testserver"
)

// TestNATSExpired: through NATS, an event older than the retention is acknowledged (the message
// is not redelivered), counted as expired and not stored; a fresh one in the same message is.
func TestNATSExpired(t *testing.T) {
	env, url := newNATSEnv(t)
	s := testserver.Start(t, append(env.args(url), "--retention", "1h")...)
	const account, bot = "acct-nats-exp", "st-nats-exp"
	tok := s.CreateApp(t, testserver.AppSpec{Account: account}).Token(t)
	env.waitStream(t)
	env.publish(t, account+"."+bot, "["+completedAt("old", keepUser, time.Now().Add(-2*time.Hour))+","+
		completedAt("new", keepUser, time.Now())+"]")
	waitFor(t, "the expired event counted", func() bool {
		return metricValue(t, s, `intentrt_ingest_events_total{outcome="expired",source="nats"}`) == 1 &&
			metricValue(t, s, `intentrt_ingest_events_total{outcome="accepted",source="nats"}`) == 1
	})
	if ids := readIDs(t, s, tok, account, bot); !slices.Equal(ids, []string{"new"}) {
		t.Fatalf("stored through NATS: %v, want only the fresh session", ids)
	}
	waitFor(t, "the message acknowledged", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := env.js.Consumer(ctx, env.stream, "intentrt_t")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
	})
}
