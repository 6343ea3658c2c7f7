package cli

import "testing"

// Memory is returned once subscribers fell by half and by at least releaseDrop from their
// peak, once per such drop; small or partial drops leave it to the runtime.
func TestReleaseTracker(t *testing.T) {
	var tr releaseTracker
	steps := []struct {
		n    int
		want bool
	}{{100, false}, {0, false}, {5000, false}, {4000, false}, {2600, false}, {2400, true}, {2400, false}, {1000, true}, {1000, false}, {600, false}, {0, true}, {3000, false}, {100, true}}
	for i, s := range steps {
		if got := tr.observe(s.n); got != s.want {
			t.Fatalf("step %d (%d subscribers): %v, want %v", i, s.n, got, s.want)
		}
	}
}
