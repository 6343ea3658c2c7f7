package cli

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

func TestDefaultMaxConns(t *testing.T) {
	for _, tc := range []struct {
		limit uint64
		want  int
	}{{0, 10_000}, {20_000, 19_744}, {1024, 768}, {256, 128}, {1, 1}} {
		if got := defaultMaxConns(tc.limit); got != tc.want {
			t.Errorf("defaultMaxConns(%d) = %d, want %d", tc.limit, got, tc.want)
		}
	}
}

func TestRaiseFileLimit(t *testing.T) {
	if n := raiseFileLimit(); n == 0 {
		t.Skip("no file limit on this system")
	} else {
		t.Logf("open-file limit in force: %d", n)
	}
}

// TestLimitListener: beyond max open connections one more is reset at once (its client reads
// an error, never hangs), and a slot freed by a Close is taken by the next connection.
func TestLimitListener(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	ln := newLimitListener(raw, 2, func() { refused.Add(1) })
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first, _ := dial(), dial()
	held := []net.Conn{<-accepted, <-accepted}
	if ln.Open() != 2 {
		t.Fatalf("open %d, want 2", ln.Open())
	}

	// The reset may reach the client while it is still connecting, or on its first read.
	if extra, err := net.Dial("tcp", raw.Addr().String()); err == nil {
		_ = extra.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = extra.Read(make([]byte, 1))
		extra.Close()
		var ne net.Error
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			t.Fatalf("the third connection was not refused: read %v", err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); refused.Load() < 1 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}

	if refused.Load() != 1 {
		t.Fatalf("refused %d, want 1", refused.Load())
	}
	held[0].Close()
	held[0].Close() // a second Close must not free a second slot
	if ln.Open() != 1 {
		t.Fatalf("open %d after one close, want 1", ln.Open())
	}
	again := dial()
	c := <-accepted
	if _, err := again.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatalf("the connection that took the freed slot: %v", err)
	}
	_ = first
}
