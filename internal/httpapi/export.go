package httpapi

import (
	"bufio"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
)

// exportPage is how many sessions the export reads from storage at a time and flushes to the
// client together: memory is bounded by one page, whatever the row count.
const exportPage = 1000

// The export's formats.
const (
	typeNDJSON = "application/x-ndjson"
	typeCSV    = "text/csv"
)

// exportEncoder writes the export in one format.
type exportEncoder interface {
	header() error
	session(st *session.State) error
	// flush hands what the encoder buffers to the writer below, once per page.
	flush() error
	// end writes the format's closing (NDJSON: the cursor line) once every page is written.
	end(cursor int64) error
}

// handleExport streams every completed session of the bot that matches the filters, in cursor
// order, page by page. It counts as one request toward the read rate limit.
//
// The range is fixed when the export starts: sessions with a cursor above "after" and at most
// the head at that moment. Each session is thus sent at most once per export, and the cursor
// handed out (that head) is exact: a session completed or updated later has a higher cursor and
// comes in the next export. An error after the first bytes cannot change the status: the
// response is then cut off (no final chunk; NDJSON also lacks its cursor line), so a client
// never mistakes a partial export for a whole one.
func (h *handlers) handleExport(w http.ResponseWriter, r *http.Request) {
	c, ok := h.authorize(w, r, auth.ScopeAnalytics)
	if !ok || !h.allowRate(w, r, c.Account) {
		return
	}
	format, ok := negotiateExport(r.Header.Get("Accept"))
	if !ok {
		h.writeError(w, r, http.StatusNotAcceptable, "Accept must allow application/x-ndjson or text/csv")
		return
	}
	body, ok := h.readBody(w, r, maxReadBody)
	if !ok {
		return
	}
	q, err := session.ParseExport(body)
	if err != nil {
		h.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	q.Account, q.Bot = c.Account, c.Bot
	if h.Export == nil {
		h.writeError(w, r, http.StatusServiceUnavailable, "the export is not available on this server")
		return
	}
	head, err := h.Export.Head(r.Context())
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("export: read head: %w", err))
		return
	}
	if q.After > head {
		h.writeError(w, r, http.StatusBadRequest, "after is not a cursor of this service (it is beyond the newest one)")
		return
	}
	// The first page is read before anything is sent, so that a storage failure at the start
	// is still a clean JSON error.
	page, err := h.Export.Export(r.Context(), q.Query, q.After, head, exportPage)
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("export: %w", err))
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", format+"; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	hdr.Set("Export-Cursor", strconv.FormatInt(head, 10))
	if format == typeCSV {
		hdr.Set("Content-Disposition", `attachment; filename="`+exportFileName(c.Bot)+`.csv"`)
	}
	w.WriteHeader(http.StatusOK)
	if err := h.streamExport(w, r, q, head, page, format); err != nil {
		if info := infoFrom(r.Context()); info != nil {
			info.cause = err
		}
		if r.Context().Err() == nil { // not merely a client that went away
			h.Logger.Warn("export cut short", "request_id", requestID(r.Context()), "account", c.Account, "bot", c.Bot, "err", err)
		}
		// Headers are gone: cut the response so that the client sees it incomplete.
		panic(http.ErrAbortHandler)
	}
}

// streamExport writes page and every following one, flushing after each.
func (h *handlers) streamExport(w http.ResponseWriter, r *http.Request, q session.ExportQuery, head int64, page []session.State, format string) error {
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 64<<10)
	var enc exportEncoder = &ndjsonExport{w: bw}
	if format == typeCSV {
		enc = newCSVExport(bw)
	}
	if err := enc.header(); err != nil {
		return err
	}
	for {
		// A deadline per page rather than for the whole answer: an export of millions of rows
		// takes longer than the server's write timeout, but a client that stops reading is
		// still let go.
		_ = rc.SetWriteDeadline(time.Now().Add(60 * time.Second))
		for i := range page {
			if err := enc.session(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			break
		}
		if err := flush(enc, bw, rc); err != nil {
			return err
		}
		var err error
		if page, err = h.Export.Export(r.Context(), q.Query, page[len(page)-1].Seq, head, exportPage); err != nil {
			return err
		}
	}
	if err := enc.end(head); err != nil {
		return err
	}
	return flush(enc, bw, rc)
}

func flush(enc exportEncoder, bw *bufio.Writer, rc *http.ResponseController) error {
	if err := enc.flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return rc.Flush()
}

// negotiateExport picks the export's format from Accept: NDJSON when none is asked for, else
// the first of the listed types the export offers (wildcards included), ignoring q-values of
// zero. ok is false when nothing listed is offered.
func negotiateExport(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return typeNDJSON, true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] == "0" || params["q"] == "0.0" || params["q"] == "0.000" {
			continue
		}
		switch mt {
		case typeNDJSON, "application/*", "*/*":
			return typeNDJSON, true
		case typeCSV, "text/*":
			return typeCSV, true
		}
	}
	return "", false
}

// exportFileName makes a bot id safe inside a Content-Disposition filename.
func exportFileName(bot string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, "sessions-"+bot)
}

// ndjsonExport writes one §2 object per line, then {"cursor":"…"}.
type ndjsonExport struct {
	w   *bufio.Writer
	buf []byte
}

func (e *ndjsonExport) header() error { return nil }

func (e *ndjsonExport) flush() error { return nil }

func (e *ndjsonExport) session(st *session.State) error {
	e.buf = append(st.AppendViewJSON(e.buf[:0]), '\n')
	_, err := e.w.Write(e.buf)
	return err
}

func (e *ndjsonExport) end(cursor int64) error {
	_, err := fmt.Fprintf(e.w, "{\"cursor\":\"%d\"}\n", cursor)
	return err
}
