package httpapi

import (
	"testing"

	"github.com/intentrt/intentrt/internal/session"
)

func change(account, bot string) []session.Change {
	return []session.Change{{State: session.State{Key: session.Key{Account: account, Bot: bot, SessionID: "s"}}}}
}

// TestReadCacheNeverServesAnAnswerOlderThanACommit walks the orders in which a read and a commit
// of the same bot can interleave: an answer read before a commit's publication must never be
// served after it, whichever of the two finished first.
func TestReadCacheNeverServesAnAnswerOlderThanACommit(t *testing.T) {
	c := NewReadCache(100)
	hit := func(bot string) bool { b, _ := c.get("a", bot); return b != nil }

	_, gen := c.get("a", "b1")
	c.put("a", "b1", gen, []byte("v1"))
	if b, _ := c.get("a", "b1"); string(b) != "v1" {
		t.Fatalf("fresh answer not served: %q", b)
	}

	c.Invalidate(change("a", "b1"))
	if hit("b1") {
		t.Fatal("answer served after a commit of its bot")
	}

	// Read started before a commit, stored after it: dropped.
	_, gen = c.get("a", "b1")
	c.Invalidate(change("a", "b1"))
	c.put("a", "b1", gen, []byte("stale"))
	if hit("b1") {
		t.Fatal("an answer read before a commit was kept")
	}

	// Read started after the commit: kept; a commit of another bot or account leaves it.
	_, gen = c.get("a", "b1")
	c.put("a", "b1", gen, []byte("v2"))
	c.Invalidate(change("a", "b2"))
	c.Invalidate(change("other", "b1"))
	if b, _ := c.get("a", "b1"); string(b) != "v2" {
		t.Fatalf("answer dropped by another bot's commit: %q", b)
	}

	// When the change marks overflow they are forgotten wholesale, and every answer older than
	// that moment counts as changed.
	small := NewReadCache(2)
	_, gen = small.get("a", "keep")
	small.put("a", "keep", gen, []byte("v"))
	_, late := small.get("a", "late")
	small.Invalidate(append(append(change("a", "x"), change("a", "y")...), change("a", "z")...))
	if b, _ := small.get("a", "keep"); b != nil {
		t.Fatal("answer older than the forgotten marks served")
	}
	small.put("a", "late", late, []byte("stale"))
	if b, _ := small.get("a", "late"); b != nil {
		t.Fatal("answer read before the forgotten marks kept")
	}
}
