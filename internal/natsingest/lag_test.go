package natsingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestWatchLagReadsPendingFromServer publishes to a stream whose consumer takes nothing and
// checks that the lag the metrics report is the server's count of undelivered messages.
func TestWatchLagReadsPendingFromServer(t *testing.T) {
	url := os.Getenv("INTENTRT_TEST_NATS")
	if url == "" {
		t.Skip("INTENTRT_TEST_NATS is not set (e.g. nats://127.0.0.1:4222): skipping the NATS lag test")
	}
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("INTENTRT_TEST_NATS=%s is set but NATS cannot be reached: %v", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	stream, prefix := "INTENTRT_LAG_"+strings.ToUpper(id), "intentrt_lag_"+id
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{prefix + ".>"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	defer js.DeleteStream(context.Background(), stream)
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: "lag", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ {
		if _, err := js.Publish(ctx, prefix+".acct.bot", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	c := &Consumer{}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); c.watchLag(wctx, cons) }()
	for c.Pending() != 7 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	if got := c.Pending(); got != 7 {
		t.Fatalf("pending = %v, want 7", got)
	}
}
