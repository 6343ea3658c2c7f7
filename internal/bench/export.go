package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"time"
)

// Export is one export of the target bot's every session (NDJSON), through the server: how fast
// the rows stream out and what each costs the server.
type Export struct {
	Rows        int     `json:"rows"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
	ServerCPUUs float64 `json:"serverCpuUsPerRow"`
	RSSBefore   int64   `json:"rssBeforeBytes"`
	RSSAfter    int64   `json:"rssAfterBytes"` // streamed: should not grow with the rows
}

// measureExport exports the target bot (a tenth of the stored sessions) once.
func measureExport(ctx context.Context, srv *child, h http.Header, logf func(string, ...any)) (Export, error) {
	var e Export
	pid := srv.cmd.Process.Pid
	logf("export: every session of the target bot, NDJSON, one request")
	var err error
	if e.RSSBefore, err = procStatusBytes(pid, "VmRSS:"); err != nil {
		return e, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/public/bot/"+targetBot+"/intentrealtimedata/export", nil)
	if err != nil {
		return e, err
	}
	req.Header = h.Clone()
	req.Header.Set("Accept", "application/x-ndjson")
	cpu0, start := processCPU(pid), time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return e, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		return e, nil // no export route on this server
	}
	if resp.StatusCode != http.StatusOK {
		return e, fmt.Errorf("export: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		e.Rows++
		e.Bytes += int64(len(sc.Bytes()) + 1)
	}
	if err := sc.Err(); err != nil {
		return e, fmt.Errorf("export: %w", err)
	}
	e.Rows-- // the last line is the cursor
	e.Seconds = time.Since(start).Seconds()
	if e.Rows > 0 {
		e.ServerCPUUs = float64((processCPU(pid) - cpu0).Microseconds()) / float64(e.Rows)
	}
	e.RSSAfter, err = procStatusBytes(pid, "VmRSS:")
	return e, err
}
