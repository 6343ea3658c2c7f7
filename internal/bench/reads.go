package bench

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// measureReads measures, in interleaved slices, the read API of servers (the large database,
// the same with the read cache off, the small one) and a ceiling answering the very bytes the
// read API answers. h authorises on the large databases, hSmall on the small one.
func measureReads(ctx context.Context, r *Report, cfg Config, servers []*child, h, hSmall http.Header, big *database, logf func(string, ...any)) error {
	srv, srvStore, srvSmall := servers[0], servers[1], servers[2]
	const readPath = "/api/public/bot/" + targetBot + "/intentrealtimedata"
	// 1 and 4. Read on 1 M and on 1 k sessions, and the ceiling answering the very bytes the read
	// API answers, in interleaved slices.
	answer, err := fetch(ctx, http.MethodPost, srv.URL+readPath, h)
	if err != nil {
		return err
	}
	bodyFile := filepath.Join(cfg.Dir, "read-answer.json")
	if err := os.WriteFile(bodyFile, answer, 0o600); err != nil {
		return err
	}
	ceil, err := startChild(ctx, cfg.Exe, []string{"bench", "--serve-ceiling", bodyFile}, filepath.Join(cfg.Dir, "ceiling.log"))
	if err != nil {
		return err
	}
	defer ceil.Stop()
	logf("read: ceiling (bare net/http, the same %d bytes), read API (JWT verified, %d sessions, bot with %d of %d stored), "+
		"the same with the read cache off, and that on %d stored; %d connections, %d interleaved rounds of %s each",
		len(answer), session.DefaultLimit, big.targetSessions, cfg.FlatBig, cfg.FlatSmall, cfg.Concurrency, cfg.Rounds, cfg.slice())
	targets := []endpoint{
		staticTarget(http.MethodPost, ceil.URL+readPath, h, nil),
		staticTarget(http.MethodPost, srv.URL+readPath, h, nil),
		staticTarget(http.MethodPost, srvStore.URL+readPath, h, nil),
		staticTarget(http.MethodPost, srvSmall.URL+readPath, hSmall, nil),
		// The summary (contract §3) of the same bot, default window, on the second server of
		// the large database: its heap does not then weigh on the memory figures of the first.
		staticTarget(http.MethodPost, srvStore.URL+readPath+"/summary", h, nil),
	}
	reads := make([]series, len(targets))
	for i, c := range []*child{ceil, srv, srvStore, srvSmall, srvStore} {
		reads[i].pid = c.cmd.Process.Pid
	}
	for _, tr := range targets {
		warm(tr, cfg.Concurrency)
	}
	for range cfg.Rounds {
		for i, tr := range targets {
			reads[i].run(tr, cfg.Concurrency, cfg.slice())
		}
	}
	r.Ceiling, r.Read, r.ReadStore, r.ReadSmall = reads[0].load(), reads[1].load(), reads[2].load(), reads[3].load()
	r.Summary = reads[4].load()
	for _, c := range []*child{ceil, srvStore, srvSmall} {
		if err := c.Stop(); err != nil {
			logf("stop: %v", err)
		}
	}

	return nil
}

// freshnessUnderLoad measures freshness on srv while demo-like traffic goes to other bots.
func freshnessUnderLoad(ctx context.Context, cfg Config, srv *child, h http.Header, logf func(string, ...any)) (Freshness, error) {
	// 5. Freshness, with demo-like background traffic on other bots.
	logf("freshness: %d sessions, from the ingest's 200 to the read API and the stream", cfg.Fresh)
	bgCtx, stopBG := context.WithCancel(ctx)
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		paced(bgCtx, srv.URL, h, 200, func(n int) (string, []byte) {
			e := completed("bg-", n, time.Now())
			return "/api/public/bot/" + otherBot(n%max(cfg.Bots-1, 1)) + "/sessionevents", body([]session.Event{e})
		})
	}()
	f, err := measureFreshness(ctx, srv.URL, h, freshBot, cfg.Fresh)
	stopBG()
	<-bgDone
	if err != nil {
		return Freshness{}, err
	}
	return f, nil
}

// crossNodeFreshness starts a second node (read cache on) on the same database and measures,
// from each ingest's 200 on the first node, when the second node's read API and stream have
// the session: how stale the second node's cache can be (its stream: the feed's delay).
func crossNodeFreshness(ctx context.Context, cfg Config, srv *child, dsn string, h http.Header, logf func(string, ...any)) (*Freshness, error) {
	node2, err := startChild(ctx, cfg.Exe, []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--rate-limit", "0"},
		filepath.Join(cfg.Dir, "serve-node2.log"))
	if err != nil {
		return nil, err
	}
	defer node2.Stop()
	logf("freshness across nodes: %d sessions ingested on one node, polled on another (its read cache on)", cfg.Fresh)
	f, err := measureFreshnessAcross(ctx, srv.URL, node2.URL, h, freshBot+"-x", cfg.Fresh)
	if err != nil {
		return nil, err
	}
	return &f, nil
}
