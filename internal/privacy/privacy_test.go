package privacy

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestMaskValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+12605554468", "********4468"},
		{"12345", "*2345"},
		{"1234", "****"}, // four or fewer: all masked, or nothing would be hidden
		{"12", "**"},
		{"x", "*"},
		{"", ""},
		{"ünïcødé-42", "******é-42"},
	} {
		if got := MaskValue(tc.in); got != tc.want {
			t.Errorf("MaskValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValueModes(t *testing.T) {
	tr, err := NewTransformer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	const v = "+12605554468"
	if got := tr.Value("acc", Keep, v); got != v {
		t.Errorf("keep: %q", got)
	}
	if got := tr.Value("acc", Drop, v); got != "" {
		t.Errorf("drop: %q", got)
	}
	h := tr.Value("acc", Hash, v)
	if !regexp.MustCompile(`^h:[0-9a-f]{16}$`).MatchString(h) {
		t.Fatalf("hash: %q is not h: and 16 hex characters", h)
	}
	if again := tr.Value("acc", Hash, v); again != h {
		t.Errorf("hash is not stable: %q then %q", h, again)
	}
	if other := tr.Value("acc2", Hash, v); other == h {
		t.Errorf("the same value in two accounts has the same pseudonym %q", h)
	}
	if other := tr.Value("acc", Hash, "+12605554469"); other == h {
		t.Errorf("two values share the pseudonym %q", h)
	}
	tr2, _ := NewTransformer([]byte("another key of thirty-two bytes!"))
	if tr2.Value("acc", Hash, v) == h {
		t.Error("two keys give the same pseudonym")
	}
	for _, m := range Modes {
		if got := tr.Value("acc", m, ""); got != "" {
			t.Errorf("%s of an empty value: %q", m, got)
		}
	}
	if _, err := NewTransformer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Keep, "keep": Keep, "MASK": Mask, "Hash": Hash, "drop": Drop} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("redact"); err == nil || !strings.Contains(err.Error(), "keep, mask, hash, drop") {
		t.Errorf("unknown mode: %v", err)
	}
}

func TestEventsLeavesInputAlone(t *testing.T) {
	tr, _ := NewTransformer(testKey)
	in := []session.Event{{Type: session.TypeStarted, SessionID: "s", ANI: "+12605554468", DNI: "+18005550000", UserID: "user-1234567"},
		{Type: session.TypeIntent, SessionID: "s", Intent: "Book"}}
	out := tr.Events("a", Policy{ANI: Mask, DNI: Drop, UserID: Hash}, in)
	if in[0].ANI != "+12605554468" || in[0].UserID != "user-1234567" {
		t.Fatal("the caller's events were modified")
	}
	if out[0].ANI != "********4468" || out[0].DNI != "" || !strings.HasPrefix(out[0].UserID, "h:") || out[1].Intent != "Book" {
		t.Fatalf("transformed: %+v", out)
	}
	// The idempotency key of an event without eventId is derived from the transformed
	// content: it holds no raw value, and a retry (transformed the same way) is recognised.
	again := tr.Events("a", Policy{ANI: Mask, DNI: Drop, UserID: Hash}, in)
	if out[0].DedupKey() != again[0].DedupKey() || out[0].DedupKey() == in[0].DedupKey() {
		t.Fatal("the dedup key of a transformed event is not stable, or equals the raw one")
	}
	if kept := tr.Events("a", Policy{}, in); &kept[0] != &in[0] {
		t.Fatal("keep-all copied the events")
	}
}

// source is a policy source in memory, counting lookups.
type source struct {
	p       Policy
	err     error
	lookups int
}

func (s *source) AccountPolicy(context.Context, string) (Policy, error) {
	s.lookups++
	return s.p, s.err
}
func (s *source) PseudonymKey(context.Context) ([]byte, error) { return testKey, nil }

func TestRedactorCachesForTTL(t *testing.T) {
	src := &source{p: Policy{ANI: Drop}}
	r := NewRedactor(src, 2*time.Second)
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	b := session.Batch{Account: "a", Events: []session.Event{{ANI: "+12605554468"}}}
	out, err := r.Redact(context.Background(), b)
	if err != nil || out.Events[0].ANI != "" {
		t.Fatalf("redact: %+v %v", out, err)
	}
	src.p = Policy{ANI: Keep}
	if out, _ := r.Redact(context.Background(), b); out.Events[0].ANI != "" || src.lookups != 1 {
		t.Fatalf("within the ttl the cached policy holds: %+v after %d lookups", out.Events[0], src.lookups)
	}
	now = now.Add(2 * time.Second)
	if out, _ := r.Redact(context.Background(), b); out.Events[0].ANI != "+12605554468" {
		t.Fatalf("after the ttl the new policy holds: %+v", out.Events[0])
	}
	src.err = errors.New("storage down")
	now = now.Add(time.Hour)
	if _, err := r.Redact(context.Background(), b); err == nil {
		t.Fatal("a failed policy lookup was taken as keep")
	}
}
