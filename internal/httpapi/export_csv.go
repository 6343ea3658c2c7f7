package httpapi

import (
	"bufio"
	"encoding/csv"

	"github.com/intentrt/intentrt/internal/session"
)

// csvExport writes RFC 4180 CSV (CRLF line ends, quotes where needed) through encoding/csv,
// with the cells made spreadsheet-safe by the domain's rules.
type csvExport struct {
	w   *csv.Writer
	rec []string
}

func newCSVExport(bw *bufio.Writer) *csvExport {
	w := csv.NewWriter(bw)
	w.UseCRLF = true // RFC 4180's line end
	return &csvExport{w: w, rec: make([]string, 0, len(session.CSVHeader))}
}

func (e *csvExport) header() error { return e.w.Write(session.CSVHeader) }

func (e *csvExport) session(st *session.State) error {
	e.rec = st.AppendCSVRecord(e.rec[:0])
	return e.w.Write(e.rec)
}

func (e *csvExport) flush() error {
	e.w.Flush()
	return e.w.Error()
}

// end writes nothing: CSV has no closing line (it is resumed with "from", or with the
// Export-Cursor header as "after").
func (e *csvExport) end(int64) error { return nil }
