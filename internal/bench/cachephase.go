package bench

import (
	"fmt"
	"net/http"
	"time"
)

// CacheFill is the memory the read cache takes when every bot of the large database is read
// once (10 000 by default): the cache is bounded by bytes (serve --read-cache-size), so the
// resident set stays bounded however many bots are read.
type CacheFill struct {
	Bots        int     `json:"bots"`
	Success     float64 `json:"success"`
	RSSBefore   int64   `json:"rssBeforeBytes"`
	RSSAfter    int64   `json:"rssAfterBytes"`
	ReadsPerSec float64 `json:"readsPerSec"`
}

// measureCacheFill reads every bot once through srv, 4 connections at a time.
func measureCacheFill(cfg Config, srv *child, h http.Header, logf func(string, ...any)) (CacheFill, error) {
	bots := cfg.Bots - 1 // otherBot(0 … Bots-2); the target bot was read already
	logf("read cache: every one of %d bots read once, RSS before and after", bots)
	f := CacheFill{Bots: bots}
	var err error
	if f.RSSBefore, err = procStatusBytes(srv.cmd.Process.Pid, "VmRSS:"); err != nil {
		return f, err
	}
	ep := counterTarget(srv.URL, h, func(n int) (string, []byte) {
		return "/api/public/bot/" + otherBot(n) + "/intentrealtimedata", nil
	})
	start := time.Now()
	o := driveUntil(ep.host, ep.tr, 4, 10*time.Minute, int64(bots))
	f.ReadsPerSec = float64(o.requests) / time.Since(start).Seconds()
	if o.requests > 0 {
		f.Success = float64(o.ok) / float64(o.requests)
	}
	if o.ok < o.requests {
		return f, fmt.Errorf("read cache fill: %d of %d reads failed: %v %v", o.requests-o.ok, o.requests, o.codes, o.errs)
	}
	f.RSSAfter, err = procStatusBytes(srv.cmd.Process.Pid, "VmRSS:")
	return f, err
}
