package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// The page's table: more rows than the API's 100 (a phone shows 20 cards and "show more").
const (
	defaultRecent = 200
	maxRecent     = 500
	// searchPage and maxSearched bound a search: it reads the newest sessions of the window in
	// pages until it has its rows or has looked at maxSearched sessions, and says which.
	searchPage  = 500
	maxSearched = 20_000
)

// recentSessions is the page's table: the latest sessions matching the filters, and the stream
// cursor read before them, so that resuming the stream from it misses nothing that they lack.
type recentSessions struct {
	Cursor   string         `json:"cursor"`
	Sessions []session.View `json:"sessions"`
	// Searched and Complete are set for a search: how many sessions of the window were looked
	// at, and whether that was all of them.
	Searched int  `json:"searched,omitempty"`
	Complete bool `json:"complete,omitempty"`
}

// tableQuery is the sessions route's query string: limit, channel (repeatable), intent,
// from/to (RFC 3339, on endTime), q (a search of ANI, userId and sessionId).
type tableQuery struct {
	q      session.Query
	search string
}

func parseTableQuery(v url.Values) (tableQuery, error) {
	t := tableQuery{q: session.Query{Limit: defaultRecent}}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxRecent {
			return t, fmt.Errorf("limit must be between 1 and %d", maxRecent)
		}
		t.q.Limit = n
	}
	for _, c := range v["channel"] {
		if !session.ValidID(c) {
			return t, fmt.Errorf("channel must be a channel id of 1-128 printable characters")
		}
		t.q.Channels = append(t.q.Channels, strings.ToLower(c))
	}
	if s := v.Get("intent"); s != "" {
		if !session.ValidText(s) {
			return t, fmt.Errorf("intent must be an intent name without control characters")
		}
		t.q.Intents = []string{s}
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &t.q.From}, {"to", &t.q.To}} {
		if s := v.Get(f.name); s != "" {
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return t, fmt.Errorf("%s must be an RFC 3339 time, like 2026-11-30T14:00:00Z", f.name)
			}
			*f.dst = tm
		}
	}
	t.search = strings.ToLower(strings.TrimSpace(v.Get("q")))
	if len(t.search) > 256 {
		return t, fmt.Errorf("q must be at most 256 bytes")
	}
	return t, nil
}

// Sessions answers the page's table: the latest sessions matching the filters, searched on the
// server when asked, and the cursor read before them.
func (a *Routes) Sessions(w http.ResponseWriter, r *http.Request) {
	app, bot, ok := a.caller(w, r)
	if !ok || !a.allow(w, r, app.Account) {
		return
	}
	tq, err := parseTableQuery(r.URL.Query())
	if err != nil {
		a.h.WriteError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	tq.q.Account, tq.q.Bot = app.Account, bot
	if a.heads == nil {
		a.h.WriteError(w, r, http.StatusServiceUnavailable, "the live stream is not available on this server")
		return
	}
	head, err := a.heads.Head(r.Context())
	if err != nil {
		a.h.WriteInternal(w, r, fmt.Errorf("dashboard head: %w", err))
		return
	}
	out := recentSessions{Cursor: strconv.FormatInt(head, 10)}
	var states []session.State
	if tq.search == "" {
		states, err = a.latest.Latest(r.Context(), tq.q)
	} else {
		states, out.Searched, out.Complete, err = search(r.Context(), a.latest, tq.q, tq.search)
	}
	if err != nil {
		a.h.WriteInternal(w, r, fmt.Errorf("dashboard sessions: %w", err))
		return
	}
	out.Sessions = make([]session.View, len(states))
	for i := range states {
		out.Sessions[i] = states[i].View()
	}
	w.Header().Set("Cache-Control", "no-store")
	a.h.WriteJSON(w, http.StatusOK, out)
}

// Matches reports whether a session's ANI, userId or sessionId contains the search text
// (lowercase); the page applies the same rule to sessions arriving live.
func Matches(st *session.State, lower string) bool {
	return strings.Contains(strings.ToLower(st.ANI), lower) ||
		strings.Contains(strings.ToLower(st.UserID), lower) ||
		strings.Contains(strings.ToLower(st.Key.SessionID), lower)
}

// search pages through the newest sessions matching q (newest first, as Latest orders them)
// until it has q.Limit matches or has read maxSearched sessions. Storage has no index on these
// fields, so a search is bounded rather than a scan of the bot's whole history; the answer says
// how far it looked. Pages overlap at the boundary instant, which the seen set absorbs.
func search(ctx context.Context, src SessionReader, q session.Query, text string) (found []session.State, searched int, complete bool, err error) {
	want := q.Limit
	q.Limit = searchPage
	seen := map[string]bool{}
	for searched < maxSearched {
		page, err := src.Latest(ctx, q)
		if err != nil {
			return nil, 0, false, err
		}
		before := searched
		for i := range page {
			st := &page[i]
			if seen[st.Key.SessionID] {
				continue
			}
			seen[st.Key.SessionID] = true
			searched++
			if Matches(st, text) {
				found = append(found, *st)
				if len(found) == want {
					return found, searched, false, nil
				}
			}
		}
		if len(page) < searchPage {
			return found, searched, true, nil
		}
		// Next page: sessions ending at or before the last one read. Its instant is read again
		// (others may end at the same nanosecond); if a whole page shares it, step past it.
		last := page[len(page)-1].End
		next := last.Add(time.Nanosecond)
		if page[0].End.Equal(last) || searched == before {
			next = last
		}
		if !q.To.IsZero() && !next.Before(q.To) {
			next = last
		}
		q.To = next
	}
	return found, searched, false, nil
}
