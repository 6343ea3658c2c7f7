// Package sqlrow holds what the SQL backends share below the store interface: the column
// order and codecs of a session row and an app row, the row collector, and the loader of
// numbered .sql migrations. Only backends import it; callers of the store never see SQL.
package sqlrow

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/intentrt/intentrt/internal/session"
)

// SessionColumns is the column list, in order, that every SQL backend selects for a session, so
// that ScanState can read a row of any of them.
const SessionColumns = `account, bot, session_id, channel, ani, dni, user_id, start_ns, end_ns, status, deflected_to, time_handled, intents, seq, completed_seq`

// SessionWriteColumns is SessionColumns and the pre-rendered view: what every write of a session
// row sets (StateArgs gives the values in this order), so that the view never lags the row.
const SessionWriteColumns = SessionColumns + `, view`

// Scanner is what *sql.Row, *sql.Rows and pgx rows have in common.
type Scanner interface {
	Scan(dest ...any) error
}

// ScanState reads a row selected with SessionColumns.
func ScanState(sc Scanner) (session.State, error) {
	var (
		st                 session.State
		start, end         sql.NullInt64
		handled, seq, cseq sql.NullInt64
		deflected          sql.NullString
		intents            string
		status             string
	)
	if err := sc.Scan(&st.Account, &st.Bot, &st.SessionID, &st.Channel, &st.ANI, &st.DNI, &st.UserID,
		&start, &end, &status, &deflected, &handled, &intents, &seq, &cseq); err != nil {
		return st, err
	}
	if start.Valid {
		st.Start = time.Unix(0, start.Int64).UTC()
	}
	if end.Valid {
		st.End = time.Unix(0, end.Int64).UTC()
	}
	st.Status = session.Status(status)
	if deflected.Valid {
		d := deflected.String
		st.DeflectedTo = &d
	}
	if handled.Valid {
		h := handled.Int64
		st.TimeHandled = &h
	}
	if ins, ok := decodeIntents(intents); ok {
		st.Intents = ins
	} else if err := json.Unmarshal([]byte(intents), &st.Intents); err != nil {
		return st, fmt.Errorf("decode intents of session %q: %w", st.SessionID, err)
	}
	st.Seq, st.CompletedSeq = seq.Int64, cseq.Int64
	return st, nil
}

// StateArgs returns the values of st in SessionWriteColumns order, for an INSERT.
func StateArgs(st *session.State) []any {
	intents := st.Intents
	if intents == nil {
		intents = []session.Intent{}
	}
	enc, _ := json.Marshal(intents) // a slice of plain structs always encodes
	return []any{st.Account, st.Bot, st.SessionID, st.Channel, st.ANI, st.DNI, st.UserID,
		nanos(st.Start), nanos(st.End), string(st.Status), nullString(st.DeflectedTo), nullInt(st.TimeHandled),
		string(enc), nullSeq(st.Seq), nullSeq(st.CompletedSeq), View(st)}
}

// View is the value of the view column for st: the session as the read API sends it
// (session.State.AppendViewJSON), so that a read appends the stored bytes instead of decoding
// fifteen columns and encoding them again. Only completed sessions (those with a cursor) are
// ever read; an incomplete one stores NULL, which saves its bytes on every write until then.
func View(st *session.State) sql.NullString {
	if st.Seq == 0 {
		return sql.NullString{}
	}
	return sql.NullString{String: string(st.AppendViewJSON(nil)), Valid: true}
}

// ViewPage is how many sessions an upgrade renders the views of at a time (RebuildViews): a
// bounded page, so that a database of millions of sessions is rewritten in bounded memory.
const ViewPage = 1000

// RebuildViews fills the view column of every completed session, for the migration that adds it
// to a database already holding sessions: read returns the completed sessions after a key, in key
// order, at most ViewPage of them (the empty key is below every stored one: a session id is never
// empty); write stores their views (View) in the same transaction.
func RebuildViews(read func(after session.Key) ([]session.State, error), write func([]session.State) error) error {
	var after session.Key
	for {
		page, err := read(after)
		if err != nil {
			return fmt.Errorf("read sessions: %w", err)
		}
		if len(page) > 0 {
			if err := write(page); err != nil {
				return fmt.Errorf("store views: %w", err)
			}
		}
		if len(page) < ViewPage {
			return nil
		}
		after = page[len(page)-1].Key
	}
}

func nanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

func nullInt(n *int64) sql.NullInt64 {
	if n == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *n, Valid: true}
}

func nullSeq(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }

// GroupBySession splits a batch's new events by session, keeping the order in which sessions
// first appear, so that each session is read and written once per batch.
func GroupBySession(events []session.Event) (order []string, groups map[string][]session.Event) {
	groups = make(map[string][]session.Event)
	for _, e := range events {
		if _, ok := groups[e.SessionID]; !ok {
			order = append(order, e.SessionID)
		}
		groups[e.SessionID] = append(groups[e.SessionID], e)
	}
	return order, groups
}

// decodeIntents reads the intents column as StateArgs writes it (json.Marshal of
// []session.Intent: [{"n":"name","t":"RFC 3339 time","r":1}] with r omitted when 0) without
// reflection: the read API decodes it for each of the 25 rows of every answer, and
// encoding/json was a third of the storage read's CPU. Anything else (escapes in a name, another
// key order) returns false, and the caller falls back to encoding/json.
func decodeIntents(s string) ([]session.Intent, bool) {
	if len(s) < 2 || s[0] != '[' {
		return nil, false
	}
	out := []session.Intent{}
	s = s[1:]
	if s == "]" {
		return out, true
	}
	for {
		var (
			in  session.Intent
			ok  bool
			raw string
		)
		if s, ok = strings.CutPrefix(s, `{"n":`); !ok {
			return nil, false
		}
		if in.Name, s, ok = cutString(s); !ok {
			return nil, false
		}
		if s, ok = strings.CutPrefix(s, `,"t":`); !ok {
			return nil, false
		}
		if raw, s, ok = cutString(s); !ok {
			return nil, false
		}
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return nil, false
		}
		in.At = t
		if rest, ok := strings.CutPrefix(s, `,"r":`); ok {
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			n, err := strconv.Atoi(rest[:i])
			if err != nil || n == 0 {
				return nil, false
			}
			in.Rank, s = n, rest[i:]
		}
		if s, ok = strings.CutPrefix(s, "}"); !ok {
			return nil, false
		}
		out = append(out, in)
		switch {
		case s == "]":
			return out, true
		case strings.HasPrefix(s, ","):
			s = s[1:]
		default:
			return nil, false
		}
	}
}

// cutString reads a JSON string without escapes at the start of s and returns it and the rest.
func cutString(s string) (v, rest string, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", s, false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			if !utf8.ValidString(s[1:i]) {
				return "", s, false // encoding/json would replace the bad bytes
			}
			return s[1:i], s[i+1:], true
		case c == '\\' || c < 0x20:
			return "", s, false
		}
	}
	return "", s, false
}

// ChangesAfter turns sessions read from the change feed into the changes a reader at cursor
// after has not seen, named by whether it has seen the session at all.
func ChangesAfter(states []session.State, after int64) []session.Change {
	out := make([]session.Change, len(states))
	for i, st := range states {
		out[i] = session.Change{Seq: st.Seq, Kind: st.KindSince(after), State: st}
	}
	return out
}

// Rows is what *sql.Rows and pgx.Rows have in common for reading a result.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect reads every row with scan, never returning a nil slice on success (the read API
// answers [] rather than null). The caller closes rows and maps the error to its driver's.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
