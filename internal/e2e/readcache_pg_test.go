package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/live"
	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// With two nodes on one PostgreSQL database, each keeps a read cache invalidated by the
// change feed: a node sees its own commit at once (read-your-writes), and the other node's
// cached answer is replaced once the feed brings the commit — never served stale for longer.
func TestMultiNodeReadCache(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := testserver.StartDB(t, dsn)
	b := testserver.StartDB(t, dsn)
	const account, bot = "acct-cache", "st-cache"
	tok := a.CreateApp(t, testserver.AppSpec{Account: account}).Token(t)
	defaultRead := func(s *testserver.Server) map[string]bool { return defaultReadIDs(t, s, tok, account, bot) }
	a.Ingest(t, tok, account, bot, "["+scaleEvents("rc", 0)+"]")
	for range 2 { // both nodes read, and cache, the answer with one session
		for _, s := range []*testserver.Server{a, b} {
			if got := defaultRead(s); !got["rc-00000"] || len(got) != 1 {
				waitFor(t, "the first session on both nodes", func() bool { g := defaultRead(s); return g["rc-00000"] && len(g) == 1 })
			}
		}
	}
	for i, writer := range []*testserver.Server{a, b} {
		other := []*testserver.Server{b, a}[i]
		id := []string{"rc-00001", "rc-00002"}[i]
		writer.Ingest(t, tok, account, bot, "["+scaleEvents("rc", i+1)+"]")
		if !defaultRead(writer)[id] {
			t.Fatalf("the node that committed %s does not read it at once", id)
		}
		start := time.Now()
		for !defaultRead(other)[id] {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("the other node still serves an answer without %s 5 s after its commit", id)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// Another node's commit leaves this node's read cache when its notification arrives, not when
// the change feed reads the commit back: with every feed held, the other node still stops
// serving its cached answer (and reads the commit) once notified. Without the drop on
// notification, the other node would serve the old answer until the feed runs.
func TestMultiNodeReadCacheDropsOnNotify(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := testserver.StartDB(t, dsn)
	b := testserver.StartDB(t, dsn)
	const account, bot = "acct-notify", "st-notify"
	tok := a.CreateApp(t, testserver.AppSpec{Account: account}).Token(t)
	read := func(s *testserver.Server) map[string]bool { return defaultReadIDs(t, s, tok, account, bot) }
	a.Ingest(t, tok, account, bot, "["+scaleEvents("nt", 0)+"]")
	waitFor(t, "the first session on the other node", func() bool { return read(b)["nt-00000"] })
	for range 3 { // cached there now (a read racing the feed's drop is not kept; the next is)
		read(b)
	}
	release := live.HoldFeedsForTest()
	defer release()
	a.Ingest(t, tok, account, bot, "["+scaleEvents("nt", 1)+"]")
	if !read(a)["nt-00001"] {
		t.Fatal("the node that committed does not read its commit at once")
	}
	start := time.Now()
	for !read(b)["nt-00001"] {
		if time.Since(start) > 5*time.Second {
			t.Fatal("with the change feed held, the other node still serves its cached answer 5 s after the commit's notification")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// defaultReadIDs reads bot's default answer on s and returns its session ids.
func defaultReadIDs(t *testing.T, s *testserver.Server, tok, account, bot string) map[string]bool {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, readPath(bot), testserver.Headers(tok, account), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("read: %d %s", resp.StatusCode, body)
	}
	ids := map[string]bool{}
	for _, ks := range decodeSessions(t, body) {
		ids[ks.SessionID] = true
	}
	return ids
}
