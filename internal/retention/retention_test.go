package retention

import (
	"slices"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/store"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "90d": 90 * 24 * time.Hour, "1d": 24 * time.Hour, "36h": 36 * time.Hour, "15m": 15 * time.Minute, " 7d ": 7 * 24 * time.Hour,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "-5m", "90", "ninety days", "1.5d", "9999999d"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func TestPolicy(t *testing.T) {
	var p Policy
	if p.Enabled() || !p.Horizon("a", time.Now()).IsZero() || p.Rules(time.Now()) != nil {
		t.Fatal("the zero policy keeps everything")
	}
	if err := p.DefaultFlag().Set("30d"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"short=1h", "forever=0"} {
		if err := p.AccountFlag().Set(v); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"noequals", "=1d", "x=abc"} {
		if err := p.AccountFlag().Set(bad); err == nil {
			t.Errorf("--retention-account %q accepted", bad)
		}
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if h := p.Horizon("any", now); !h.Equal(now.Add(-30 * 24 * time.Hour)) {
		t.Errorf("default horizon %v", h)
	}
	if h := p.Horizon("short", now); !h.Equal(now.Add(-time.Hour)) {
		t.Errorf("short horizon %v", h)
	}
	if h := p.Horizon("forever", now); !h.IsZero() {
		t.Errorf("an account kept forever has horizon %v", h)
	}
	rules := p.Rules(now)
	want := []store.PurgeRule{
		{Account: "short", Before: now.Add(-time.Hour)},
		{Except: []string{"forever", "short"}, Before: now.Add(-30 * 24 * time.Hour)},
	}
	if len(rules) != 2 || rules[0].Account != want[0].Account || !rules[0].Before.Equal(want[0].Before) ||
		rules[1].Account != "" || !slices.Equal(rules[1].Except, want[1].Except) || !rules[1].Before.Equal(want[1].Before) {
		t.Fatalf("rules %+v, want %+v", rules, want)
	}
	for d, want := range map[time.Duration]time.Duration{time.Hour: time.Minute, 2 * time.Minute: 30 * time.Second, 2 * time.Second: time.Second} {
		p.Accounts["short"] = d
		if iv := (&Purger{Policy: &p}).Interval(); iv != want {
			t.Errorf("shortest retention %v: interval %v, want %v (a quarter, within 1 s – 1 min)", d, iv, want)
		}
	}
}
