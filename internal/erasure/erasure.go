// Package erasure answers a data subject's erasure request (docs/api.md §7 Erasure): it decodes
// and records the request, and its Worker removes the users' sessions, one short transaction
// at a time, resuming after a restart. Nothing here logs a user id.
package erasure

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// MaxUserIDs is the most user ids one request may name.
const MaxUserIDs = 1000

// Body is the request body of POST /api/public/erasures.
type Body struct {
	UserIDs []string `json:"userIds"`
}

// FieldError is a problem with one field of the body, safe to show the client.
type FieldError struct{ Field, Msg string }

func (e *FieldError) Error() string { return fmt.Sprintf("body field %q: %s", e.Field, e.Msg) }

// DecodeBody reads the body under the strict rules of every client body
// (session.DecodeObject) and checks the ids.
func DecodeBody(raw []byte) (Body, error) {
	var b Body
	raw = bytes.Trim(raw, " \t\n\r")
	if len(raw) == 0 {
		return b, &FieldError{"userIds", "required: a list of 1 to 1000 user ids"}
	}
	if fe := session.DecodeObject(raw, &b); fe != nil {
		if fe.Field == "" {
			return b, fmt.Errorf("body %s: send one JSON object {\"userIds\": [...]}", fe.Msg)
		}
		return b, &FieldError{fe.Field, fe.Msg}
	}
	if len(b.UserIDs) == 0 || len(b.UserIDs) > MaxUserIDs {
		return b, &FieldError{"userIds", fmt.Sprintf("give 1 to %d user ids, not %d", MaxUserIDs, len(b.UserIDs))}
	}
	for i, id := range b.UserIDs {
		if id == "" || len(id) > 256 {
			return b, &FieldError{fmt.Sprintf("userIds[%d]", i), "a user id is 1-256 bytes"}
		}
	}
	return b, nil
}

// UserIDs transforms requested ids into the form the account's policy stores them in
// (privacy.Redactor).
type UserIDs interface {
	UserIDs(ctx context.Context, account string, ids []string) ([]string, bool, error)
}

// Service records requests and answers their status.
type Service struct {
	Store store.Lifecycle
	Users UserIDs
	// Wake, when set, is signalled after a request is recorded, so this node's worker starts
	// on it at once.
	Wake chan<- struct{}
	Now  func() time.Time
}

// Request records an erasure of ids for account, made by app. The ids are stored as the
// account's current policy stores them (hashed or masked if it says so); under "drop" no
// stored session carries a user id, so the request has nothing to match and is done at once.
func (s *Service) Request(ctx context.Context, account, app string, ids []string) (store.Erasure, error) {
	stored, ok, err := s.Users.UserIDs(ctx, account, ids)
	if err != nil {
		return store.Erasure{}, err
	}
	slices.Sort(stored)
	stored = slices.Compact(stored)
	stored = slices.DeleteFunc(stored, func(id string) bool { return id == "" })
	if !ok {
		stored = nil
	}
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return store.Erasure{}, err
	}
	e := store.Erasure{RequestID: "er-" + hex.EncodeToString(rnd[:]), Account: account, App: app,
		UserIDs: stored, UserCount: len(ids), Status: store.ErasurePending, RequestedAt: s.now()}
	if stored == nil {
		e.UserIDs = []string{}
	}
	if err := s.Store.CreateErasure(ctx, e); err != nil {
		return store.Erasure{}, err
	}
	if s.Wake != nil {
		select {
		case s.Wake <- struct{}{}:
		default:
		}
	}
	return e, nil
}

// Status returns account's request.
func (s *Service) Status(ctx context.Context, account, requestID string) (store.Erasure, error) {
	return s.Store.Erasure(ctx, account, requestID)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Worker runs the open requests, oldest first, a step (one transaction) at a time; a request
// interrupted by a restart or a crash is picked up where its last committed step left it.
type Worker struct {
	Store store.Lifecycle
	Batch int
	Pause time.Duration // between steps: lets ingest and reads in
	// Settle is the wait before the step that finds nothing left and records the request
	// done: on a shared database, the time every node has to hear of the last removals and
	// clear its caches, so that done means gone on every node.
	Settle   time.Duration
	Interval time.Duration // how often open requests are looked for (other nodes' too)
	Wake     <-chan struct{}
	// Removed is told the bots whose sessions went, after each step commits.
	Removed func([]store.BotRef)
	Log     *slog.Logger
}

// Run works until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		w.RunOpen(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.Wake:
		}
	}
}

// RunOpen runs every open request to its end, or until another node holds the work.
func (w *Worker) RunOpen(ctx context.Context) {
	open, err := w.Store.OpenErasures(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.Log.Error("erasure: list requests", "err", err)
		}
		return
	}
	for _, e := range open {
		if !w.run(ctx, e) {
			return
		}
	}
}

// run works on one request; false when it could not finish it (another node's turn, an
// error, shutdown).
func (w *Worker) run(ctx context.Context, e store.Erasure) bool {
	var erased int64
	for {
		r, done, err := w.Store.EraseStep(ctx, e.RequestID, w.Batch, time.Now().UTC())
		if err != nil {
			if ctx.Err() == nil {
				w.Log.Error("erasure", "request", e.RequestID, "account", e.Account, "app", e.App, "users", e.UserCount, "outcome", "failed", "err", err)
			}
			return false
		}
		if r.Busy {
			return false
		}
		erased += int64(r.Sessions)
		if len(r.Bots) > 0 && w.Removed != nil {
			w.Removed(r.Bots)
		}
		if done {
			w.Log.Info("erasure", "request", e.RequestID, "account", e.Account, "app", e.App, "users", e.UserCount,
				"sessions", e.SessionsErased+erased, "outcome", "done")
			return true
		}
		wait := w.Pause
		if r.Sessions < w.Batch {
			wait = max(w.Pause, w.Settle) // the next step should find nothing left
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}
