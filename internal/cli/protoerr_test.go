package cli

import (
	"strings"
	"testing"
)

// TestJSONProtocolError: net/http's own plain-text error answers are rewritten; a handler's
// answer, whatever its status and type, never is.
func TestJSONProtocolError(t *testing.T) {
	out, ok := jsonProtocolError([]byte("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"))
	if !ok || !strings.HasSuffix(string(out), `{"errors":[{"msg":"431 Request Header Fields Too Large","code":431}]}`+"\n") ||
		!strings.HasPrefix(string(out), "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json; charset=utf-8\r\n") {
		t.Errorf("431: %v %q", ok, out)
	}
	for _, b := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nhello",
		"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nDate: x\r\n\r\nBad",
		"HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{}",
		"id: 1\nevent: session\ndata: {}\n\n",
		"HTTP/1.1 4",
	} {
		if _, ok := jsonProtocolError([]byte(b)); ok {
			t.Errorf("rewrote %q", b)
		}
	}
}
