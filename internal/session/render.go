package session

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendViewJSON appends the session's View as encoding/json encodes it with HTML escaping off
// (the read API's and the stream's encoding): the same bytes, without building a View or going
// through reflection. The read API renders 25 of these per request; a test holds the two
// encodings equal.
func (s *State) AppendViewJSON(b []byte) []byte {
	b = append(b, `{"intent":[`...)
	for i := range s.Intents {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s.Intents[i].Name)
	}
	b = append(b, `],"ANI":`...)
	b = appendJSONString(b, s.ANI)
	b = append(b, `,"DNI":`...)
	b = appendJSONString(b, s.DNI)
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, s.Channel)
	b = append(b, `,"startTime":"`...)
	b = appendTime(b, s.Start)
	b = append(b, `","endTime":"`...)
	b = appendTime(b, s.End)
	b = append(b, `","status":`...)
	b = appendJSONString(b, string(s.Status))
	b = append(b, `,"timeHandled":"`...)
	b = appendHandled(b, s.HandledSeconds())
	b = append(b, `","deflectedTo":`...)
	if s.DeflectedTo == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *s.DeflectedTo)
	}
	b = append(b, `,"userId":`...)
	b = appendJSONString(b, s.UserID)
	b = append(b, `,"sessionId":`...)
	b = appendJSONString(b, s.SessionID)
	return append(b, '}')
}

// appendTime is FormatTime appended (its output never needs JSON escaping).
func appendTime(b []byte, t time.Time) []byte {
	return append(t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000"), "+00:00"...)
}

// appendHandled is FormatHandled appended.
func appendHandled(b []byte, sec int64) []byte {
	if sec < 0 {
		sec = 0
	}
	if sec >= 3600 {
		b = append(strconv.AppendInt(b, sec/3600, 10), "h "...)
	}
	if sec >= 60 {
		b = append(strconv.AppendInt(b, sec%3600/60, 10), "m "...)
	}
	return append(strconv.AppendInt(b, sec%60, 10), 's')
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping off: quotes,
// backslashes and control characters escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
