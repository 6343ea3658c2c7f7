package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

type ctxKey struct{}

// reqInfo collects, while a request runs, what its log line will say.
type reqInfo struct {
	id       string
	account  string
	clientID string
	errMsg   string
	cause    error
	// clientGone: the client went away before the answer was ready (see writeInternal).
	clientGone bool
}

// nosniff is the X-Content-Type-Options header's value, shared: net/http only reads it.
var nosniff = []string{"nosniff"}

// reqState is what the middleware keeps for one request, allocated together.
type reqState struct {
	info     reqInfo
	sw       statusWriter
	idHeader [1]string // the X-Request-Id header's value slice
}

func infoFrom(ctx context.Context) *reqInfo {
	info, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return info
}

// requestID returns the id of the request that ctx belongs to.
func requestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// statusWriter remembers the status and size of a response. It passes Flush and deadline
// control through (Unwrap) so that the stream keeps working behind it.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestIDs makes request ids: a counter scrambled by a bijection (an odd multiplier, then a
// random key), so that ids are unique within the process, look unrelated and differ between
// processes, without crypto/rand's cost on every request.
var requestIDs struct {
	key uint64
	n   atomic.Uint64
}

func init() {
	var b [8]byte
	_, _ = rand.Read(b[:])
	requestIDs.key = binary.LittleEndian.Uint64(b[:])
}

func newRequestID() string {
	v := requestIDs.n.Add(1)*0x9E3779B97F4A7C15 ^ requestIDs.key
	var b [16]byte
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return false
		}
	}
	return true
}

// middleware wraps the mux: request id, doubled-slash paths, panic recovery, metrics and one
// log line per request. The log line names the account and app, never a token or secret.
func (h *handlers) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &reqState{} // one allocation for what every request needs
		info := &st.info
		if info.id = r.Header.Get("X-Request-Id"); !validRequestID(info.id) {
			info.id = newRequestID()
		}
		st.idHeader[0] = info.id
		hd := w.Header()
		hd["X-Request-Id"] = st.idHeader[:]
		// No answer of this server is meant to be sniffed into another type (an error body
		// echoing a path rendered as HTML, say).
		hd["X-Content-Type-Options"] = nosniff
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		// An older Kore page printed ".../{botId}//intentrealtimedata"; the mux would redirect
		// such a path, so it is collapsed here and served as is.
		if strings.Contains(r.URL.Path, "//") {
			r.URL.Path = collapseSlashes(r.URL.Path)
			r.URL.RawPath = ""
		}
		sw := &st.sw
		sw.ResponseWriter = w
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					// A response cut off on purpose (an export that lost storage mid-way) is
					// still logged and counted before net/http drops the connection.
					h.logRequest(r, sw, info, start)
					panic(p)
				}
				h.Logger.Error("panic", "request_id", info.id, "panic", p)
				if sw.status == 0 {
					h.writeError(sw, r, http.StatusInternalServerError, "internal error (request "+info.id+")")
				}
			}
			h.logRequest(r, sw, info, start)
		}()
		next.ServeHTTP(sw, r)
	})
}

func (h *handlers) logRequest(r *http.Request, sw *statusWriter, info *reqInfo, start time.Time) {
	took := time.Since(start)
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	h.counted.observe(h.Metrics, route, status, took)
	level, outcome := slog.LevelInfo, ""
	switch {
	case info.clientGone:
		outcome = "client_gone"
	case status >= 500:
		level = slog.LevelError
	}
	if level == slog.LevelInfo && h.RequestLog != nil {
		if !h.Logger.Enabled(r.Context(), level) {
			return
		}
		l := reqLine{at: start.Add(took), id: info.id, method: r.Method, path: r.URL.Path, remote: r.RemoteAddr,
			account: info.account, clientID: info.clientID, errMsg: info.errMsg, outcome: outcome,
			status: status, bytes: sw.bytes, took: took}
		if info.cause != nil {
			l.cause = info.cause.Error()
		}
		h.RequestLog.write(&l)
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", info.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Int64("bytes", sw.bytes), slog.Float64("took_ms", float64(took.Microseconds())/1000),
		slog.String("remote", r.RemoteAddr),
	}
	for _, a := range [...]slog.Attr{slog.String("account", info.account), slog.String("client_id", info.clientID),
		slog.String("error", info.errMsg), slog.String("outcome", outcome)} {
		if a.Value.String() != "" {
			attrs = append(attrs, a)
		}
	}
	if info.cause != nil {
		attrs = append(attrs, slog.String("cause", info.cause.Error()))
	}
	h.Logger.LogAttrs(r.Context(), level, "request", attrs...)
}

func collapseSlashes(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
