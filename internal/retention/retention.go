// Package retention is how long sessions are kept (docs/api.md §7 Retention): the policy read
// from serve's flags, the horizon the committer judges events by, and the background purge
// that removes what is older, a small batch per transaction.
package retention

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/intentrt/intentrt/internal/store"
)

// Policy is how long each account's sessions are kept. Zero keeps them forever.
type Policy struct {
	Default  time.Duration
	Accounts map[string]time.Duration // overrides of Default
}

// ParseDuration reads a retention: "90d" (days), any Go duration ("36h", "15m"), or "0" (keep
// forever). A negative one is refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var (
		d   time.Duration
		err error
	)
	switch {
	case s == "0":
		return 0, nil
	case strings.HasSuffix(s, "d"):
		var n int64
		n, err = strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64)
		if err == nil && (n < 0 || n > 100_000) {
			err = fmt.Errorf("out of range")
		}
		d = time.Duration(n) * 24 * time.Hour
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("retention %q: use days (90d), a duration (36h) or 0 (keep forever)", s)
	}
	return d, nil
}

// Enabled reports whether anything is ever purged.
func (p *Policy) Enabled() bool {
	if p.Default > 0 {
		return true
	}
	for _, d := range p.Accounts {
		if d > 0 {
			return true
		}
	}
	return false
}

// For is the retention of account.
func (p *Policy) For(account string) time.Duration {
	if d, ok := p.Accounts[account]; ok {
		return d
	}
	return p.Default
}

// Horizon is the instant before which account's events and sessions are expired at now; zero
// when the account keeps everything.
func (p *Policy) Horizon(account string, now time.Time) time.Time {
	d := p.For(account)
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(-d)
}

// Rules are the purges the policy asks for at now: one per account with its own retention,
// and one for every other account under the default.
func (p *Policy) Rules(now time.Time) []store.PurgeRule {
	accounts := make([]string, 0, len(p.Accounts))
	for a := range p.Accounts {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	var rules []store.PurgeRule
	for _, a := range accounts {
		if d := p.Accounts[a]; d > 0 {
			rules = append(rules, store.PurgeRule{Account: a, Before: now.Add(-d)})
		}
	}
	if p.Default > 0 {
		rules = append(rules, store.PurgeRule{Except: accounts, Before: now.Add(-p.Default)})
	}
	return rules
}

// DefaultFlag is the flag.Value of --retention.
func (p *Policy) DefaultFlag() *DefaultFlag { return (*DefaultFlag)(p) }

// AccountFlag is the flag.Value of --retention-account ACCOUNT=D (repeatable).
func (p *Policy) AccountFlag() *AccountFlag { return (*AccountFlag)(p) }

// DefaultFlag sets Policy.Default.
type DefaultFlag Policy

func (f *DefaultFlag) String() string {
	if f == nil || f.Default == 0 {
		return "0"
	}
	return f.Default.String()
}

// Get returns the retention, for flag.Getter.
func (f *DefaultFlag) Get() any { return f.Default }

// Set reads a retention.
func (f *DefaultFlag) Set(s string) error {
	d, err := ParseDuration(s)
	if err == nil {
		f.Default = d
	}
	return err
}

// AccountFlag adds to Policy.Accounts.
type AccountFlag Policy

func (f *AccountFlag) String() string { return "" }

// Set reads ACCOUNT=D.
func (f *AccountFlag) Set(s string) error {
	acct, v, ok := strings.Cut(s, "=")
	if !ok || acct == "" {
		return fmt.Errorf("%q: use ACCOUNT=D (90d, 36h or 0)", s)
	}
	d, err := ParseDuration(v)
	if err != nil {
		return err
	}
	if f.Accounts == nil {
		f.Accounts = map[string]time.Duration{}
	}
	f.Accounts[acct] = d
	return nil
}
