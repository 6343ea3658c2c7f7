package cli

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/intentrt/intentrt/internal/httpapi"
)

// net/http answers a request it cannot parse (malformed 400, header too large 431, missing
// Host 400, unknown transfer coding 501) itself, before any handler runs, by writing a fixed
// plain-text answer straight onto the connection in one write: the status line, exactly these
// headers, and a short text. No hook of net/http (Go 1.26) replaces it, so the listener's
// connection rewrites that one write into the contract's JSON error. A handler's answer can
// never match: net/http writes Connection before Content-Type there and always adds Date.
// Over TLS the connection below net/http carries ciphertext, and these answers stay text.
var plainErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

// jsonProtocolError returns the JSON form of net/http's own error answer b, or false when b is
// anything else. It costs a few byte comparisons on every write.
func jsonProtocolError(b []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if len(b) < len(proto)+3 || string(b[:len(proto)]) != proto || b[len(proto)] != '4' && b[len(proto)] != '5' {
		return nil, false
	}
	end := bytes.IndexByte(b, '\r')
	if end < 0 || !bytes.HasPrefix(b[end:], plainErrorHeaders) {
		return nil, false
	}
	status := b[len(proto):end] // "431 Request Header Fields Too Large"
	code, err := strconv.Atoi(string(status[:3]))
	if err != nil {
		return nil, false
	}
	body := httpapi.ErrorBody(code, string(b[end+len(plainErrorHeaders):]))
	return fmt.Appendf(nil, "%s%s\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		proto, status, len(body), body), true
}

// Write sends b, or the JSON form of net/http's own error answer.
func (c *limitedConn) Write(b []byte) (int, error) {
	if out, ok := jsonProtocolError(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}
