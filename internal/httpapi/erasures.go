package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/erasure"
	"github.com/intentrt/intentrt/internal/store"
)

// Erasures records erasure requests and answers their status (erasure.Service).
type Erasures interface {
	Request(ctx context.Context, account, app string, ids []string) (store.Erasure, error)
	Status(ctx context.Context, account, requestID string) (store.Erasure, error)
}

// maxErasureBody bounds the erasure request: 1 000 ids of up to 256 bytes, quoted and escaped.
const maxErasureBody = 2 << 20

// authorizeErasure checks the caller for the erasure routes: the "Data Erasure" scope, and an
// app that reaches every bot of the account, since an erasure removes the users from all of them.
func (h *handlers) authorizeErasure(w http.ResponseWriter, r *http.Request) (caller, bool) {
	account, app, ok := h.authenticate(w, r)
	if !ok {
		return caller{}, false
	}
	switch {
	case app.Account != account:
		h.writeError(w, r, http.StatusForbidden, "the app does not belong to account "+account)
	case !app.HasScope(auth.ScopeErasure):
		h.writeError(w, r, http.StatusForbidden, fmt.Sprintf("the app lacks the scope %q", auth.ScopeErasure))
	case !app.AllBots:
		h.writeError(w, r, http.StatusForbidden, "an erasure needs an app that reaches every bot of the account (apps create --all-bots)")
	case h.Erasures == nil:
		h.writeError(w, r, http.StatusServiceUnavailable, "erasure is not available on this server")
	default:
		return caller{App: app, Account: account}, true
	}
	return caller{}, false
}

// handleErasureCreate answers POST /api/public/erasures (docs/api.md §7): 202 with the
// request's id; the work runs in the background.
func (h *handlers) handleErasureCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := h.authorizeErasure(w, r)
	if !ok {
		return
	}
	raw, ok := h.readBody(w, r, maxErasureBody)
	if !ok {
		return
	}
	body, err := erasure.DecodeBody(raw)
	if err != nil {
		h.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	e, err := h.Erasures.Request(r.Context(), c.Account, c.App.ClientID, body.UserIDs)
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("record erasure: %w", err))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"requestId": e.RequestID, "status": e.Status})
}

// erasureStatus is the answer of GET /api/public/erasures/{requestId}.
type erasureStatus struct {
	RequestID      string     `json:"requestId"`
	Status         string     `json:"status"`
	UserIDs        int        `json:"userIds"`
	SessionsErased int64      `json:"sessionsErased"`
	RequestedAt    time.Time  `json:"requestedAt"`
	CompletedAt    *time.Time `json:"completedAt"`
}

// handleErasureStatus answers GET /api/public/erasures/{requestId}; another account's request
// is 404, as one that does not exist.
func (h *handlers) handleErasureStatus(w http.ResponseWriter, r *http.Request) {
	c, ok := h.authorizeErasure(w, r)
	if !ok {
		return
	}
	e, err := h.Erasures.Status(r.Context(), c.Account, r.PathValue("requestId"))
	if errors.Is(err, store.ErrNotFound) {
		h.writeError(w, r, http.StatusNotFound, "no erasure request "+r.PathValue("requestId")+" in account "+c.Account)
		return
	}
	if err != nil {
		h.writeInternal(w, r, err)
		return
	}
	out := erasureStatus{RequestID: e.RequestID, Status: e.Status, UserIDs: e.UserCount, SessionsErased: e.SessionsErased,
		RequestedAt: e.RequestedAt.UTC().Truncate(time.Millisecond)}
	if !e.CompletedAt.IsZero() {
		t := e.CompletedAt.UTC().Truncate(time.Millisecond)
		out.CompletedAt = &t
	}
	writeJSON(w, http.StatusOK, out)
}
