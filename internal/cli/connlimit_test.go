package cli

import (
	"errors"
	"io"
	"net"
	"net/http"
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

// cut reports whether the client side of a connection was reset or closed by the server
// (rather than left open): its read fails with something other than a timeout.
func cut(t *testing.T, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestLimitListener: at max open connections a new one takes the place of the oldest quiet
// one (silent since accepted, or idle between requests); with every connection busy it is
// refused with a reset at once, never left hanging; a Close frees exactly one slot.
func TestLimitListener(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var refused, evicted atomic.Int64
	ln := newLimitListener(raw, 2, func() { refused.Add(1) }, func() { evicted.Add(1) })
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			ln.ConnState(c, http.StateNew)
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

	// Two silent connections; a third evicts the older one.
	silent1 := dial()
	s1 := <-accepted
	dial()
	s2 := <-accepted
	third := dial()
	s3 := <-accepted
	if !cut(t, silent1) || evicted.Load() != 1 || ln.Open() != 2 {
		t.Fatalf("the oldest silent connection was not evicted (evicted %d, open %d)", evicted.Load(), ln.Open())
	}
	_ = s1

	// Both busy mid-request: a new one is refused at once.
	ln.ConnState(s2, http.StateActive)
	ln.ConnState(s3, http.StateActive)
	if extra, err := net.Dial("tcp", raw.Addr().String()); err == nil {
		if !cut(t, extra) {
			t.Fatal("a connection beyond the limit was left open")
		}
		extra.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); refused.Load() < 1 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if refused.Load() != 1 || ln.Open() != 2 {
		t.Fatalf("refused %d, open %d; want 1 and 2", refused.Load(), ln.Open())
	}

	// One goes idle between requests: the next new connection takes its place.
	ln.ConnState(s3, http.StateIdle)
	fresh := dial()
	s4 := <-accepted
	if !cut(t, third) || evicted.Load() != 2 {
		t.Fatalf("the idle connection was not evicted (evicted %d)", evicted.Load())
	}
	if _, err := fresh.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s4, make([]byte, 1)); err != nil {
		t.Fatalf("the connection that took the place: %v", err)
	}

	// Closing twice frees one slot.
	s2.Close()
	s2.Close()
	if ln.Open() != 1 {
		t.Fatalf("open %d after one close, want 1", ln.Open())
	}
}

// TestReleaseAfterWave: once the connections of a wave are mostly closed, memory is released,
// once per wave.
func TestReleaseAfterWave(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(raw, 100, nil, nil)
	defer ln.Close()
	released := make(chan struct{}, 4)
	ln.waveMin, ln.release = 32, func() { released <- struct{}{} }
	var server []net.Conn
	for range 32 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		server = append(server, sc)
	}
	for i, c := range server[:24] {
		c.Close()
		if i < 23 && len(released) > 0 {
			t.Fatalf("released with %d of 32 still open", 32-i-1)
		}
	}
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("not released when 8 of 32 were left")
	}
	for _, c := range server[24:] {
		c.Close()
	}
	time.Sleep(10 * time.Millisecond)
	if len(released) != 0 {
		t.Fatal("released twice for one wave")
	}
}
