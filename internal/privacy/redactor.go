package privacy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/intentrt/intentrt/internal/session"
)

// Source is where the policies and the key live (storage).
type Source interface {
	AccountPolicy(ctx context.Context, account string) (Policy, error)
	PseudonymKey(ctx context.Context) ([]byte, error)
}

// Redactor applies each account's current policy to ingest batches. Policies are cached for a
// short time, so that ingest costs no storage round trip per batch while a policy set with
// "intentrt accounts set" still takes effect on a running server within ttl (the contract
// allows 5 s). The key never changes, so it is read once.
type Redactor struct {
	src Source
	ttl time.Duration
	now func() time.Time

	keyMu sync.Mutex // guards tr, read once
	tr    *Transformer

	mu      sync.Mutex
	entries map[string]policyEntry
}

type policyEntry struct {
	p  Policy
	at time.Time
}

// maxCached bounds the cache; when full it is emptied (accounts are few in practice).
const maxCached = 100_000

// NewRedactor caches src's policies for ttl.
func NewRedactor(src Source, ttl time.Duration) *Redactor {
	return &Redactor{src: src, ttl: ttl, now: time.Now, entries: map[string]policyEntry{}}
}

// Redact returns b with its account's policy applied to every event. A storage failure is an
// error, never "keep": ingest must refuse rather than store what it was asked to hide.
func (r *Redactor) Redact(ctx context.Context, b session.Batch) (session.Batch, error) {
	p, err := r.policy(ctx, b.Account)
	if err != nil {
		return b, err
	}
	if p.KeepsAll() {
		return b, nil
	}
	tr, err := r.transformer(ctx)
	if err != nil {
		return b, err
	}
	b.Events = tr.Events(b.Account, p, b.Events)
	return b, nil
}

func (r *Redactor) policy(ctx context.Context, account string) (Policy, error) {
	now := r.now()
	r.mu.Lock()
	e, ok := r.entries[account]
	r.mu.Unlock()
	if ok && now.Sub(e.at) < r.ttl {
		return e.p, nil
	}
	p, err := r.src.AccountPolicy(ctx, account)
	if err != nil {
		return Policy{}, fmt.Errorf("read personal-data policy: %w", err)
	}
	p = p.Normal()
	r.mu.Lock()
	if len(r.entries) >= maxCached {
		clear(r.entries)
	}
	r.entries[account] = policyEntry{p: p, at: now}
	r.mu.Unlock()
	return p, nil
}

func (r *Redactor) transformer(ctx context.Context) (*Transformer, error) {
	r.keyMu.Lock()
	defer r.keyMu.Unlock()
	if r.tr != nil {
		return r.tr, nil
	}
	key, err := r.src.PseudonymKey(ctx)
	if err != nil {
		return nil, err
	}
	tr, err := NewTransformer(key)
	if err != nil {
		return nil, err
	}
	r.tr = tr
	return tr, nil
}
