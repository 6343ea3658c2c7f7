// Package privacy holds the personal-data policy of an account: for each personal field of a
// session (ANI, DNI, userId) whether it is kept as sent, masked, replaced by a pseudonym or
// dropped, and the transform that applies it to events before anything else sees them. It is
// domain logic: no SQL, no HTTP; storage supplies the policies and the pseudonym key.
package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/intentrt/intentrt/internal/session"
)

// Mode is what happens to one personal field at ingest.
type Mode string

// The modes of a field. Keep is the default: the value is stored as sent.
const (
	Keep Mode = "keep"
	Mask Mode = "mask"
	Hash Mode = "hash"
	Drop Mode = "drop"
)

// Modes lists the accepted modes in the order messages show them.
var Modes = []Mode{Keep, Mask, Hash, Drop}

// ParseMode reads a mode by name (case-insensitive); the empty string is Keep.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Keep, nil
	}
	for _, m := range Modes {
		if strings.EqualFold(s, string(m)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q; accepted: keep, mask, hash, drop", s)
}

// Policy is an account's choice for each personal field. The zero value keeps everything.
type Policy struct {
	ANI    Mode `json:"ANI"`
	DNI    Mode `json:"DNI"`
	UserID Mode `json:"userId"`
}

// Normal returns p with every unset field spelled out as Keep, so that it compares and prints
// the same whether it was read from storage or built in code.
func (p Policy) Normal() Policy {
	for _, m := range []*Mode{&p.ANI, &p.DNI, &p.UserID} {
		if *m == "" {
			*m = Keep
		}
	}
	return p
}

// KeepsAll reports whether p changes nothing, so that ingest can skip the transform.
func (p Policy) KeepsAll() bool {
	p = p.Normal()
	return p.ANI == Keep && p.DNI == Keep && p.UserID == Keep
}

// KeyLen is the length of the pseudonym key, in bytes.
const KeyLen = 32

// Transformer applies policies under one pseudonym key (one per database).
type Transformer struct {
	key []byte
}

// NewTransformer returns a transformer for key, which must hold at least 16 bytes: shorter
// would make the pseudonyms guessable.
func NewTransformer(key []byte) (*Transformer, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("pseudonym key too short: %d bytes", len(key))
	}
	return &Transformer{key: append([]byte(nil), key...)}, nil
}

// Value transforms one value of account under mode. An empty value stays empty whatever the
// mode: there is nothing personal in it, and a pseudonym of "" would invent a caller.
func (t *Transformer) Value(account string, mode Mode, v string) string {
	if v == "" {
		return ""
	}
	switch mode {
	case Mask:
		return MaskValue(v)
	case Hash:
		return t.pseudonym(account, v)
	case Drop:
		return ""
	}
	return v
}

// MaskValue replaces every character but the last four with '*'. A value of four characters
// or fewer is masked whole: keeping its "last four" would keep all of it. Characters are
// counted as Unicode code points, so a masked value has as many characters as the original.
func MaskValue(v string) string {
	n := utf8.RuneCountInString(v)
	if n <= 4 {
		return strings.Repeat("*", n)
	}
	var b strings.Builder
	b.Grow(len(v))
	i := 0
	for _, r := range v {
		if i < n-4 {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
		i++
	}
	return b.String()
}

// pseudonym is "h:" and the first 16 hex characters of HMAC-SHA256(key, account NUL value).
// The account is part of the message so that the same number yields unrelated pseudonyms in
// two accounts: a tenant cannot link its callers to another's. Within an account the pseudonym
// is stable, so counts per caller still work.
func (t *Transformer) pseudonym(account, v string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(account))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return "h:" + hex.EncodeToString(m.Sum(nil)[:8])
}

// Events returns events with the personal fields of each transformed under p. The slice given
// is not modified: the caller may still hold it.
func (t *Transformer) Events(account string, p Policy, events []session.Event) []session.Event {
	p = p.Normal()
	if p.KeepsAll() {
		return events
	}
	out := make([]session.Event, len(events))
	for i, e := range events {
		e.ANI = t.Value(account, p.ANI, e.ANI)
		e.DNI = t.Value(account, p.DNI, e.DNI)
		e.UserID = t.Value(account, p.UserID, e.UserID)
		out[i] = e
	}
	return out
}
