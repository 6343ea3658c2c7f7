package webhook

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/alert"
	"github.com/intentrt/intentrt/internal/session"
)

// The CloudEvents 1.0 types of the deliveries.
const (
	TypeSession        = "com.intentrt.session"
	TypeSessionUpdated = "com.intentrt.session.updated"
	TypeAlert          = "com.intentrt.alert"
)

// Message is one delivery: its Standard Webhooks id, stable across retries and replays so
// that a receiver can deduplicate, and its body. Each attempt signs it with a new timestamp.
type Message struct {
	ID     string
	Cursor int64 // in the change feed, or in the alert feed when Alert
	Alert  bool
	Body   []byte
}

// Source is the CloudEvents source of a bot's events.
func Source(account, bot string) string {
	return "/accounts/" + url.PathEscape(account) + "/bots/" + url.PathEscape(bot)
}

// MessageID is the webhook-id of the delivery of the change at cursor to webhook id. It is a
// function of both, so a delivery re-read after a restart keeps its id.
func MessageID(webhookID string, cursor int64) string {
	return "msg_" + strings.TrimPrefix(webhookID, "wh_") + "_" + strconv.FormatInt(cursor, 10)
}

// SessionMessage renders a change as the CloudEvents JSON object delivered to webhook id:
// data is the session exactly as one element of the read API's array (§2), time its endTime,
// and the extension attribute "cursor" its position in the change feed (what replay takes).
func SessionMessage(webhookID string, ch session.Change) Message {
	typ := TypeSession
	if ch.Kind == session.ChangeUpdated {
		typ = TypeSessionUpdated
	}
	seq := strconv.FormatInt(ch.Seq, 10)
	b := make([]byte, 0, 640)
	b = append(b, `{"specversion":"1.0","id":"session-`...)
	b = append(b, seq...)
	b = append(b, `","source":`...)
	b = appendString(b, Source(ch.State.Account, ch.State.Bot))
	b = append(b, `,"type":"`...)
	b = append(b, typ...)
	b = append(b, `","subject":`...)
	b = appendString(b, ch.State.SessionID)
	b = append(b, `,"time":"`...)
	b = ch.State.End.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","datacontenttype":"application/json","cursor":`...)
	b = append(b, seq...)
	b = append(b, `,"data":`...)
	b = ch.State.AppendViewJSON(b)
	b = append(b, '}')
	return Message{ID: MessageID(webhookID, ch.Seq), Cursor: ch.Seq, Body: b}
}

// appendString appends s as a JSON string. Account, bot and session ids are printable text
// (session.ValidID), so only quotes and backslashes need escaping.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// AlertMessage renders an alert event as the CloudEvents JSON object delivered to webhook id:
// data is the alert (docs/webhooks.md), subject the rule's id, and "alertcursor" its position
// in the alert feed.
func AlertMessage(webhookID string, ev alert.Event) Message {
	seq := strconv.FormatInt(ev.Seq, 10)
	b := make([]byte, 0, 512)
	b = append(b, `{"specversion":"1.0","id":"alert-`...)
	b = append(b, seq...)
	b = append(b, `","source":`...)
	b = appendString(b, Source(ev.Account, ev.Bot))
	b = append(b, `,"type":"`+TypeAlert+`","subject":`...)
	b = appendString(b, ev.RuleID)
	b = append(b, `,"time":"`...)
	b = ev.At.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","datacontenttype":"application/json","alertcursor":`...)
	b = append(b, seq...)
	b = append(b, `,"data":`...)
	b = append(b, ev.Body...)
	b = append(b, '}')
	return Message{ID: "msg_" + strings.TrimPrefix(webhookID, "wh_") + "_a" + seq, Cursor: ev.Seq, Alert: true, Body: b}
}
