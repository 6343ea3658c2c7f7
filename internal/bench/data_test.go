package bench

import (
	"reflect"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// TestBodyDecodesToTheSameEvents checks that the bodies the load generator posts are valid
// ingest requests that decode to exactly the events the direct-store baselines apply: the
// HTTP and the direct runs store the same rows.
func TestBodyDecodesToTheSameEvents(t *testing.T) {
	_, events := batchEvents("b-", 7, 50, 100, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	got, err := session.DecodeJSON(body(events), 0)
	if err != nil {
		t.Fatalf("generated body refused: %v", err)
	}
	if !reflect.DeepEqual(got, events) {
		for i := range got {
			if !reflect.DeepEqual(got[i], events[i]) {
				t.Fatalf("event %d:\n got %#v\nwant %#v", i, got[i], events[i])
			}
		}
		t.Fatalf("decoded %d events, generated %d", len(got), len(events))
	}
}

// TestQuantiles pins the nearest-rank quantiles the freshness figures use.
func TestQuantiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := quantiles(ds); p50 != 50 || p99 != 99 {
		t.Fatalf("p50 %v p99 %v, want 50 and 99", p50, p99)
	}
	if p50, p99 := quantiles(nil); p50 != 0 || p99 != 0 {
		t.Fatalf("empty: %v %v", p50, p99)
	}
}
