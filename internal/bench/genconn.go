package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// conn is one keep-alive connection with its read buffer.
type conn struct {
	nc net.Conn
	br *bufio.Reader
}

func dial(host string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", host, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}, nil
}

func (c *conn) close() { _ = c.nc.Close() }

var errMalformed = errors.New("malformed response")

// roundTrip writes req and reads the answer: its status, whether the connection stays open,
// and the body, which it discards.
func (c *conn) roundTrip(req []byte) (code int, keep bool, err error) {
	_ = c.nc.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.nc.Write(req); err != nil {
		return 0, false, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, errMalformed
	}
	code, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errMalformed
	}
	length, chunked, keep := int64(-1), false, true
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return code, false, err
		}
		if len(line) <= 2 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "content-length"):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil {
				return code, false, errMalformed
			}
		case asciiEqualFold(name, "transfer-encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "connection"):
			keep = !asciiEqualFold(value, "close")
		}
	}
	switch {
	case chunked:
		err = c.skipChunked()
	case length >= 0:
		_, err = c.br.Discard(int(length))
	default: // no length: the body runs to the end of the connection
		_, err = io.Copy(io.Discard, c.br)
		keep = false
	}
	return code, keep && err == nil, err
}

// skipChunked discards a chunked body and its trailer.
func (c *conn) skipChunked() error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimSpace(line), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil {
			return errMalformed
		}
		if n == 0 {
			for { // trailer, up to the blank line
				line, err := c.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(line) <= 2 {
					return nil
				}
			}
		}
		if _, err := c.br.Discard(int(n) + 2); err != nil {
			return err
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// paced sends perSec requests a second built by makeTarget to base, on one connection at a
// time per request in flight (up to 16), until ctx ends: background traffic, not measured.
func paced(ctx context.Context, base string, h http.Header, perSec int, makeTarget func(n int) (string, []byte)) {
	ep := counterTarget(base, h, makeTarget)
	idle := make(chan *conn, 16)
	tick := time.NewTicker(time.Second / time.Duration(perSec))
	defer tick.Stop()
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		for len(idle) > 0 {
			(<-idle).close()
		}
	}()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var c *conn
		select {
		case c = <-idle:
		default:
			var err error
			if c, err = dial(ep.host); err != nil {
				continue
			}
		}
		wg.Go(func() {
			if _, keep, err := c.roundTrip(ep.tr(n)); err != nil || !keep {
				c.close()
				return
			}
			select {
			case idle <- c:
			default:
				c.close()
			}
		})
	}
}
