package cli

import (
	"container/list"
	"crypto/tls"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// fileReserve is how many descriptors the connection limit leaves for everything else the
// server opens: database files and connections, the log, NATS, the listener itself.
const fileReserve = 256

// defaultMaxConns is the connection limit when --max-conns is 0: what the file limit allows,
// less the reserve, so that a flood of connections never starves the server of descriptors
// for its own files (accept failing with EMFILE made it unreachable for seconds per wave).
func defaultMaxConns(fileLimit uint64) int {
	if fileLimit == 0 { // not known on this system
		return 10_000
	}
	if fileLimit <= 2*fileReserve {
		return int(max(fileLimit/2, 1))
	}
	return int(min(fileLimit-fileReserve, 1<<30))
}

// limitListener holds at most max connections open. When they are all taken, a new one takes
// the place of the oldest connection that is doing nothing: one that has not sent a whole
// request head since it was accepted (a silent or slowloris socket: net/http calls a
// connection active only once a head is read), or one idle between requests (its client
// reconnects).
// Only when every connection is busy mid-request is the new one refused, with a reset at once
// rather than left in the kernel's backlog. So a wave of silent sockets can neither exhaust the
// process's descriptors nor lock well-behaved clients out until the read-header timeout reaps
// it; and a refusal costs no goroutine, no buffer and no TIME_WAIT.
type limitListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	refused func() // counts a refusal (the metric)
	evicted func() // counts an eviction

	// After a wave of connections the memory their goroutines and buffers held is garbage,
	// but with little allocation afterwards no collection runs for minutes, and the resident
	// size stays at the wave's peak. When the connections open fall to a quarter of a peak of
	// at least waveMin, release (releaseMemory) collects and returns it to the system.
	peak     atomic.Int64
	draining atomic.Bool // a wave is draining: release again at each quartering
	waveMin  int64
	release  func()

	mu    sync.Mutex
	quiet list.List // of *limitedConn that are new or idle, oldest first
}

func newLimitListener(ln net.Listener, max int, refused, evicted func()) *limitListener {
	nop := func() {}
	if refused == nil {
		refused = nop
	}
	if evicted == nil {
		evicted = nop
	}
	return &limitListener{Listener: ln, max: int64(max), refused: refused, evicted: evicted,
		waveMin: 1000, release: releaseMemory}
}

// Open is the number of connections held now.
func (l *limitListener) Open() int64 { return l.open.Load() }

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			victim := l.oldestQuiet()
			if victim == nil {
				l.open.Add(-1)
				reset(c)
				l.refused()
				continue
			}
			victim.evict()
			l.evicted()
		}
		if n := l.open.Load(); n > l.peak.Load() {
			l.peak.Store(n) // racy by a few connections at most: a wave is thousands
		}
		lc := &limitedConn{Conn: c, l: l}
		l.mu.Lock()
		lc.elem = l.quiet.PushBack(lc)
		l.mu.Unlock()
		return lc, nil
	}
}

// oldestQuiet takes the oldest new or idle connection out of the list, or returns nil.
func (l *limitListener) oldestQuiet() *limitedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.quiet.Front()
	if e == nil {
		return nil
	}
	c := l.quiet.Remove(e).(*limitedConn)
	c.elem = nil
	return c
}

// ConnState is the http.Server hook that tells the listener which connections are quiet.
func (l *limitListener) ConnState(nc net.Conn, state http.ConnState) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, ok := nc.(*limitedConn)
	if !ok {
		return
	}
	if state == http.StateNew {
		return // listed as quiet since Accept
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.elem != nil {
		l.quiet.Remove(c.elem)
		c.elem = nil
	}
	if state == http.StateIdle && !c.closed.Load() {
		c.elem = l.quiet.PushBack(c) // idle from now: the newest quiet one
	}
}

// reset closes c with a reset: nothing lingers for a client we refuse or evict.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// limitedConn gives its slot back on its first Close (the server may close a connection twice).
type limitedConn struct {
	net.Conn
	l      *limitListener
	elem   *list.Element // in l.quiet while new or idle; guarded by l.mu
	closed atomic.Bool
	once   sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.closed.Store(true)
		c.l.mu.Lock()
		if c.elem != nil {
			c.l.quiet.Remove(c.elem)
			c.elem = nil
		}
		c.l.mu.Unlock()
		c.l.afterClose(c.l.open.Add(-1))
	})
	return err
}

// releaseMemory collects twice and returns the free memory to the system: net/http keeps each
// connection's read and write buffers in sync.Pools, which a first collection only moves to
// their victim caches and a second one frees (tens of megabytes after a wave of thousands).
func releaseMemory() {
	debug.FreeOSMemory()
	debug.FreeOSMemory()
}

// afterClose releases memory after a wave: when the connections open fall to a quarter of
// the wave's peak, and again at each further quartering while it drains (a wave reaped by the
// read-header timeout drains over seconds), down to a few connections.
func (l *limitListener) afterClose(open int64) {
	peak := l.peak.Load()
	if peak < 16 || open > peak/4 || (peak < l.waveMin && !l.draining.Load()) {
		return
	}
	if l.peak.CompareAndSwap(peak, open) {
		l.draining.Store(open >= 16)
		go l.release()
	}
}

// evict closes a connection taken out of the quiet list to make room for a new one. Its server
// goroutine sees the read fail and ends.
func (c *limitedConn) evict() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}
