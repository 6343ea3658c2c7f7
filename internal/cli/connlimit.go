package cli

import (
	"net"
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

// limitListener holds at most max connections open. One more is accepted and reset at once
// rather than left in the kernel's backlog: the backlog keeps draining, so the server answers
// again as soon as a slot frees (a silent socket is reaped by the read-header timeout), and the
// refused client learns at once instead of waiting out a connect timeout. A reset costs no
// goroutine, no buffer and no TIME_WAIT.
type limitListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	refused func() // counts a refusal (the metric)
}

func newLimitListener(ln net.Listener, max int, refused func()) *limitListener {
	if refused == nil {
		refused = func() {}
	}
	return &limitListener{Listener: ln, max: int64(max), refused: refused}
}

// Open is the number of connections held now.
func (l *limitListener) Open() int64 { return l.open.Load() }

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with a reset: nothing lingers for a client we refuse
		}
		c.Close()
		l.refused()
	}
}

// limitedConn gives its slot back on its first Close (the server may close a connection twice).
type limitedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}
