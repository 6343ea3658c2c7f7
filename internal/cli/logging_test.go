package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The flusher goroutine's own writes (every hour here, and at shutdown) are left to the
// end-to-end test that reads a buffered server's log after it stopped.
func TestBufferedLogWritesWarningsAtOnceAndInfoOnFlush(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log, flush := newLogger(ctx, serveConfig{logFormat: "text", logLevel: slog.LevelInfo, logFlush: time.Hour}, &out)
	log.Info("routine", "n", 1)
	if strings.Contains(out.String(), "routine") {
		t.Fatal("an info line was written before a flush")
	}
	log.With("k", "v").Warn("trouble")
	got := out.String()
	if !strings.Contains(got, "routine") || !strings.Contains(got, "msg=trouble k=v") {
		t.Fatalf("a warning must write itself and what was buffered before it: %q", got)
	}
	log.Info("late")
	flush()
	if !strings.Contains(out.String(), "msg=late") {
		t.Fatalf("flush did not write the buffered line: %q", out.String())
	}
}

func TestUnbufferedLogWritesEveryLine(t *testing.T) {
	var out bytes.Buffer
	log, _ := newLogger(context.Background(), serveConfig{logFormat: "json", logLevel: slog.LevelInfo}, &out)
	log.Info("now")
	if !strings.Contains(out.String(), `"msg":"now"`) {
		t.Fatalf("got %q", out.String())
	}
}
