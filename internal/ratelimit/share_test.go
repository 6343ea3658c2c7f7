package ratelimit

import "testing"

func TestSharedDividesBudget(t *testing.T) {
	allowed := func(l *Shared, account string, tries int) int {
		n := 0
		for range tries {
			if ok, _ := l.Allow(account); ok {
				n++
			}
		}
		return n
	}
	cases := []struct {
		name             string
		perMinute, nodes int
		overrides        map[string]int
		account          string
		want             int
	}{
		{"one node has the whole budget", 10, 1, nil, "a", 10},
		{"two nodes have half each", 10, 2, nil, "a", 5},
		{"shares round up", 10, 3, nil, "a", 4},
		{"never below one", 2, 5, nil, "a", 1},
		{"overrides are shared too", 10, 2, map[string]int{"big": 40}, "big", 20},
		{"unlimited stays unlimited", 0, 3, nil, "a", 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := NewShared(c.perMinute, c.overrides)
			l.SetNodes(c.nodes)
			if got := allowed(l, c.account, 50); got != c.want {
				t.Fatalf("allowed %d of 50, want %d", got, c.want)
			}
			if l.Nodes() != c.nodes {
				t.Fatalf("nodes %d", l.Nodes())
			}
		})
	}
	// A change of the number of nodes applies to accounts already seen.
	l := NewShared(10, nil)
	allowed(l, "a", 3)
	l.SetNodes(2)
	if got := allowed(l, "a", 50); got != 5 {
		t.Fatalf("after SetNodes(2): %d allowed", got)
	}
}
