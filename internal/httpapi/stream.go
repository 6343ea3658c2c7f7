package httpapi

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/session"
)

// StreamOptions tune the live stream. Zero fields take the defaults named on them.
type StreamOptions struct {
	Heartbeat    time.Duration // 15 s: a ": ping" comment keeps proxies and clients from timing out
	MaxPerApp    int           // 10 open streams per app; one more is a 429
	MaxLifetime  time.Duration // 1 h: the stream then ends and the client resumes by cursor
	IdleTimeout  time.Duration // 30 min without a session sent: the stream ends likewise
	WriteTimeout time.Duration // 30 s: a client that does not read for that long is cut off
	Buffer       int           // 1024 live changes may wait for a slow client before it is dropped
	Page         int           // 500 sessions per storage read while replaying
	// Recheck is how often an open stream asks again whether its app may still read (1 s): with
	// the app cache's 2 s freshness, a revoked app's streams end within about 3 s on every node.
	Recheck time.Duration
}

func (o StreamOptions) withDefaults() StreamOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Heartbeat, 15*time.Second)
	def(&o.MaxLifetime, time.Hour)
	def(&o.IdleTimeout, 30*time.Minute)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.Recheck, time.Second)
	if o.MaxPerApp <= 0 {
		o.MaxPerApp = 10
	}
	if o.Buffer <= 0 {
		o.Buffer = 1024
	}
	if o.Page <= 0 {
		o.Page = 500
	}
	return o
}

// streamSlots counts the open streams of each app. Its zero value is ready to use.
type streamSlots struct {
	mu   sync.Mutex
	open map[string]int
}

func (s *streamSlots) acquire(clientID string, max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[string]int{}
	}
	if s.open[clientID] >= max {
		return false
	}
	s.open[clientID]++
	return true
}

func (s *streamSlots) release(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[clientID]--; s.open[clientID] <= 0 {
		delete(s.open, clientID)
	}
}

// handleStream is contract §4: the read API's authorisation, then serveStream.
func (h *handlers) handleStream(w http.ResponseWriter, r *http.Request) {
	c, ok := h.authorize(w, r, auth.ScopeAnalytics)
	if !ok {
		return
	}
	h.serveStream(w, r, c)
}

// noteCaller records, for the request's log line, who the request acts as. Routes that
// authenticate otherwise than with authorize (the dashboard's cookie) call it.
func (h *handlers) noteCaller(r *http.Request, account, clientID string) {
	if info := infoFrom(r.Context()); info != nil {
		info.account, info.clientID = account, clientID
	}
}

// parseCursor reads the client's resume cursor: the Last-Event-ID header, or the lastEventId
// query parameter for EventSource clients that cannot set headers. ok is false when there is
// none; an error means it is not a cursor this server hands out.
func parseCursor(r *http.Request) (cursor int64, ok bool, err error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("lastEventId")
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, errors.New("Last-Event-ID must be an event id of this stream (a non-negative integer)")
	}
	return n, true, nil
}

// serveStream streams the completed sessions of c's bot as Server-Sent Events, c being already
// authorised. With a cursor it first replays from storage every change after it, then live
// ones; without, it starts at the current head: only sessions completed or updated from now on.
//
// No gap, no duplicate: the subscription to live changes is taken before storage is read, so
// a change committed meanwhile is either in storage or in the subscription (or both, and then
// it is skipped by its cursor). A client too slow to keep up is dropped by the broker; the
// response then ends and the client resumes with Last-Event-ID.
func (h *handlers) serveStream(w http.ResponseWriter, r *http.Request, c caller) {
	h.noteCaller(r, c.Account, c.App.ClientID)
	if h.Changes == nil || h.Live == nil {
		h.writeError(w, r, http.StatusServiceUnavailable, "the live stream is not available on this server")
		return
	}
	opts := h.Stream.withDefaults()
	cursor, resumed, err := parseCursor(r)
	if err != nil {
		h.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if !h.streams.acquire(c.App.ClientID, opts.MaxPerApp) {
		w.Header().Set("Retry-After", "10")
		h.writeError(w, r, http.StatusTooManyRequests,
			fmt.Sprintf("too many open streams for this app (at most %d); close one and retry", opts.MaxPerApp))
		return
	}
	defer h.streams.release(c.App.ClientID)

	ctx := r.Context()
	sub := h.Live.Subscribe(c.Account, c.Bot, opts.Buffer)
	defer sub.Close()
	sw, ok := h.openStream(w, r, opts, cursor, resumed)
	if !ok {
		return
	}
	last, err := h.replay(ctx, sw, c, sw.origin, opts.Page)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, errClientGone) {
			h.Logger.Warn("stream replay", "request_id", requestID(ctx), "err", err)
		}
		return
	}
	sw.liveFrom = last
	h.pump(ctx, sw, sub, c, last, opts)
}

// openStream fixes where the stream starts (the client's cursor, or the head) and sends the
// response's headers. On failure it has answered and returns false.
func (h *handlers) openStream(w http.ResponseWriter, r *http.Request, opts StreamOptions, cursor int64, resumed bool) (*sseWriter, bool) {
	head, err := h.Changes.Head(r.Context())
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("stream head: %w", err))
		return nil, false
	}
	switch {
	case !resumed:
		cursor = head
	case cursor > head:
		// Not a cursor of this database (it was reset, or the client mixes up servers).
		// Starting anywhere would silently lose or repeat sessions.
		h.writeError(w, r, http.StatusBadRequest, "Last-Event-ID is ahead of this stream; reconnect without it")
		return nil, false
	}

	sw := &sseWriter{w: w, rc: http.NewResponseController(w), timeout: opts.WriteTimeout, origin: cursor}
	// The server's WriteTimeout would cut every stream after a minute; a rolling deadline per
	// write replaces it, so that a client that stops reading frees the handler.
	if err := sw.rc.SetWriteDeadline(time.Time{}); err != nil {
		h.writeInternal(w, r, fmt.Errorf("stream: lift write deadline: %w", err))
		return nil, false
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// retry: the reconnection delay EventSource uses after the planned ends below.
	if sw.raw("retry: 1000\n\n") != nil || sw.flush() != nil {
		return nil, false
	}
	return sw, true
}

// pump sends live changes after last until the client goes, is too slow, idles or lives too
// long, its app loses the right to read (revoked), or the server stops.
func (h *handlers) pump(ctx context.Context, sw *sseWriter, sub *live.Subscription, c caller, last int64, opts StreamOptions) {
	heartbeat := time.NewTicker(opts.Heartbeat)
	defer heartbeat.Stop()
	recheck := time.NewTicker(opts.Recheck)
	defer recheck.Stop()
	lifetime := time.NewTimer(opts.MaxLifetime)
	defer lifetime.Stop()
	idle := time.NewTimer(opts.IdleTimeout)
	defer idle.Stop()
	for {
		select {
		case <-sub.Ready():
			sent, err := sendBurst(sw, sub, last)
			if err != nil {
				return
			}
			if sent > last {
				last = sent
				idle.Reset(opts.IdleTimeout)
			}
		case at := <-sub.Notices():
			if sw.notice(at) != nil || sw.flush() != nil {
				return
			}
		case <-heartbeat.C:
			if sw.raw(": ping\n\n") != nil || sw.flush() != nil {
				return
			}
		case <-recheck.C:
			if why := h.stillAllowed(ctx, c); why != "" {
				h.Logger.Info("stream ended", "request_id", requestID(ctx), "why", why)
				_ = sw.raw(": closed: " + why + "\n\n")
				_ = sw.flush()
				return
			}
		case <-sub.Dropped():
			return // too slow: the client resumes from its last id, storage has the rest
		case <-lifetime.C:
			return
		case <-idle.C:
			return
		case <-h.Stopping:
			return
		case <-ctx.Done():
			return
		}
	}
}

// sendBurst sends every change queued, then flushes once: one flush per burst. Changes at or
// below last were already sent by the replay. It returns the new last.
func sendBurst(sw *sseWriter, sub *live.Subscription, last int64) (int64, error) {
	sent := false
	for {
		ch, ok := sub.Next()
		if !ok {
			break
		}
		if ch.Seq <= last {
			continue
		}
		if err := sw.event(ch, ch.Kind); err != nil {
			return last, err
		}
		last, sent = ch.Seq, true
	}
	if !sent {
		return last, nil
	}
	return last, sw.flush()
}

var errClientGone = errors.New("client gone")

// replay sends every change after cursor that storage holds, page by page, until a page comes
// back short; it returns the cursor of the last change sent.
func (h *handlers) replay(ctx context.Context, sw *sseWriter, c caller, cursor int64, page int) (int64, error) {
	last := cursor
	for {
		changes, err := h.Changes.ChangesSince(ctx, c.Account, c.Bot, last, page)
		if err != nil {
			return last, err
		}
		for _, ch := range changes {
			if err := sw.event(ch, sw.replayKind(ch)); err != nil {
				return last, errClientGone
			}
			last = ch.Seq
		}
		if err := sw.flush(); err != nil {
			return last, errClientGone
		}
		if len(changes) < page {
			return last, nil
		}
		select {
		case <-h.Stopping:
			return last, errClientGone
		default:
		}
	}
}

// sseWriter writes Server-Sent Events with a rolling write deadline and decides their names.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     []byte

	// origin is the client's cursor; replayed remembers the sessions the replay has sent
	// (by a hash of their id), so that each is named "session" once and "session.updated"
	// after. liveFrom is where the replay ended.
	origin   int64
	liveFrom int64
	replayed map[uint64]struct{}
}

// maxReplayTracked bounds the sessions a response remembers having replayed (~50 bytes each).
const maxReplayTracked = 200_000

func sessionHash(id string) uint64 {
	f := fnv.New64a()
	f.Write([]byte(id))
	return f.Sum64()
}

// replayKind names a replayed change relative to what this client has seen: "session" for a
// session that completed after its cursor and that this response has not sent yet. Storage
// names a change relative to the page's own cursor, which is wrong across pages when a
// session is updated while the replay runs.
func (s *sseWriter) replayKind(ch session.Change) session.ChangeKind {
	if ch.State.CompletedSeq <= s.origin {
		return session.ChangeUpdated
	}
	k := sessionHash(ch.State.SessionID)
	if _, seen := s.replayed[k]; seen {
		return session.ChangeUpdated
	}
	if s.replayed == nil {
		s.replayed = map[uint64]struct{}{}
	}
	// Bounded memory for a client that replays a huge backlog: past the bound, a session
	// updated while it is being replayed may be named "session" twice (its data is right).
	if len(s.replayed) < maxReplayTracked {
		s.replayed[k] = struct{}{}
	}
	return session.ChangeCompleted
}

// event writes one change. A live update of a session that completed within the replayed
// range but that the replay did not send (it moved past the replay's reads) is its first
// sight for this client, so it is named "session".
func (s *sseWriter) event(ch session.Change, kind session.ChangeKind) error {
	if kind == session.ChangeUpdated && s.liveFrom > 0 && ch.State.CompletedSeq > s.origin && ch.State.CompletedSeq <= s.liveFrom {
		kind = s.replayKind(ch)
	}
	// The read API's encoding (no HTML escaping, no reflection), on one line: JSON never needs
	// a raw newline.
	s.buf = s.buf[:0]
	s.buf = append(s.buf, "id: "...)
	s.buf = strconv.AppendInt(s.buf, ch.Seq, 10)
	s.buf = append(s.buf, "\nevent: "...)
	s.buf = append(s.buf, kind...)
	s.buf = append(s.buf, "\ndata: "...)
	s.buf = ch.State.AppendViewJSON(s.buf)
	s.buf = append(s.buf, "\n\n"...)
	return s.write(s.buf)
}

// notice writes a summary.changed event (docs/api.md §6): the bot's summary figures changed,
// as of at. It has no id: it is not a change of the feed, and a client resuming by cursor
// refreshes its figures anyway.
func (s *sseWriter) notice(at time.Time) error {
	s.buf = append(s.buf[:0], "event: summary.changed\ndata: {\"asOf\":\""...)
	s.buf = analytics.AppendTime(s.buf, at, time.UTC)
	s.buf = append(s.buf, "\"}\n\n"...)
	return s.write(s.buf)
}

func (s *sseWriter) raw(text string) error { return s.write([]byte(text)) }

func (s *sseWriter) write(b []byte) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	_, err := s.w.Write(b)
	return err
}

func (s *sseWriter) flush() error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	return s.rc.Flush()
}
