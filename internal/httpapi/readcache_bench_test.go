package httpapi

import (
	"bytes"
	"net/http"
	"testing"
)

type discardRW struct{ h http.Header }

func (d *discardRW) Header() http.Header         { return d.h }
func (d *discardRW) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardRW) WriteHeader(int)             {}

// BenchmarkReadCacheHit is a hit and its write (to a writer that discards it), from several
// goroutines on one hot bot: what the cache adds to a request.
func BenchmarkReadCacheHit(b *testing.B) {
	c := NewReadCache(32 << 20)
	_, gen := c.get("a", "b")
	c.put("a", "b", gen, bytes.Repeat([]byte("x"), 7282))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardRW{h: http.Header{}}
		for pb.Next() {
			e, _ := c.get("a", "b")
			writeCached(w, c, e)
		}
	})
}
