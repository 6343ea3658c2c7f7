package httpapi

import (
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// RequestLog writes the routine request lines (info level) without going through slog: a
// line appended field by field into a pooled buffer, in the same text or JSON form as the
// server's slog handler, and handed to W in one Write. Through slog the line was an eighth of
// a cached read's CPU (a Record of attributes, the handler's generic formatting and locking).
// Warnings and errors keep going through the Logger, which writes them out at once.
type RequestLog struct {
	W    io.Writer // the logger's own writer (buffered by the CLI)
	JSON bool      // the JSON form; otherwise slog's text form
	// Sample keeps one routine line in Sample (2xx and 3xx answers only; ≤ 1 keeps all).
	// 4xx, client-gone and 5xx lines are never sampled out.
	Sample int

	n atomic.Uint64
}

// reqLine is what one request's line says.
type reqLine struct {
	at                       time.Time
	id, method, path, remote string
	account, clientID        string
	errMsg, cause, outcome   string
	status                   int
	bytes                    int64
	took                     time.Duration
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// write logs l unless sampling drops it.
func (rl *RequestLog) write(l *reqLine) {
	if rl.Sample > 1 && l.status < 400 && l.outcome == "" && rl.n.Add(1)%uint64(rl.Sample) != 0 {
		return
	}
	bp := lineBufs.Get().(*[]byte)
	b := (*bp)[:0]
	if rl.JSON {
		b = l.appendJSON(b)
	} else {
		b = l.appendText(b)
	}
	_, _ = rl.W.Write(b) // the log's writer is gone: nowhere left to report it
	*bp = b
	lineBufs.Put(bp)
}

// appendText is slog.TextHandler's form of the line.
func (l *reqLine) appendText(b []byte) []byte {
	b = append(b, "time="...)
	b = appendMillis(b, l.at)
	b = append(b, " level=INFO msg=request request_id="...)
	b = appendTextValue(b, l.id)
	b = append(b, " method="...)
	b = appendTextValue(b, l.method)
	b = append(b, " path="...)
	b = appendTextValue(b, l.path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, l.bytes, 10)
	b = append(b, " took_ms="...)
	b = strconv.AppendFloat(b, float64(l.took.Microseconds())/1000, 'g', -1, 64)
	b = append(b, " remote="...)
	b = appendTextValue(b, l.remote)
	for _, f := range [...]struct{ k, v string }{{" account=", l.account}, {" client_id=", l.clientID}, {" error=", l.errMsg}, {" cause=", l.cause}, {" outcome=", l.outcome}} {
		if f.v != "" {
			b = append(b, f.k...)
			b = appendTextValue(b, f.v)
		}
	}
	return append(b, '\n')
}

// appendJSON is slog.JSONHandler's form of the line.
func (l *reqLine) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = l.at.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = appendJSONText(b, l.id)
	b = append(b, `,"method":`...)
	b = appendJSONText(b, l.method)
	b = append(b, `,"path":`...)
	b = appendJSONText(b, l.path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, l.bytes, 10)
	b = append(b, `,"took_ms":`...)
	b = strconv.AppendFloat(b, float64(l.took.Microseconds())/1000, 'g', -1, 64)
	b = append(b, `,"remote":`...)
	b = appendJSONText(b, l.remote)
	for _, f := range [...]struct{ k, v string }{{`,"account":`, l.account}, {`,"client_id":`, l.clientID}, {`,"error":`, l.errMsg}, {`,"cause":`, l.cause}, {`,"outcome":`, l.outcome}} {
		if f.v != "" {
			b = append(b, f.k...)
			b = appendJSONText(b, f.v)
		}
	}
	return append(b, "}\n"...)
}

// appendMillis is slog's text time: RFC 3339 with exactly three fraction digits.
func appendMillis(b []byte, t time.Time) []byte {
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

// appendTextValue writes s bare when slog would, quoted otherwise (empty, space, '=', '"',
// control or non-ASCII bytes; slog leaves printable non-ASCII bare, which this quotes).
func appendTextValue(b []byte, s string) []byte {
	if s == "" {
		return append(b, `""`...)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '=' || c == '"' || c >= utf8.RuneSelf || c == 0x7f {
			return strconv.AppendQuote(b, s)
		}
	}
	return append(b, s...)
}

const hexDigits = "0123456789abcdef"

// appendJSONText writes s as a JSON string, as encoding/json would without HTML escaping.
func appendJSONText(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xf])
			default:
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < ' ':
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}
