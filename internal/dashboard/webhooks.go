package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/webhook"
)

// WebhookHealth reports how the webhooks delivering a bot are doing (the server's dispatcher).
type WebhookHealth interface {
	Health(ctx context.Context, account, bot string, now time.Time) ([]webhook.Health, error)
}

// webhookLine is one webhook in the page's health line. Times are null when unknown; the
// server works out the state and the ages, the page only shows them.
type webhookLine struct {
	ID       string          `json:"id"`
	Receiver string          `json:"receiver"`
	AllBots  bool            `json:"allBots"`
	Events   []webhook.Event `json:"events"`
	// State is "failing" (the next delivery keeps failing), "behind" (this node holds a
	// message that has waited more than a minute) or "ok".
	State           string     `json:"state"`
	Pending         int64      `json:"pending"`
	OldestPendingS  *float64   `json:"oldestPendingSeconds"` // null: not delivered by this node
	LastDeliveredAt *time.Time `json:"lastDeliveredAt"`
	FailedAttempts  int        `json:"failedAttempts"`
	FailingSince    *time.Time `json:"failingSince"`
	NextAttemptAt   *time.Time `json:"nextAttemptAt"`
	LastError       string     `json:"lastError,omitempty"`
	LastErrorAt     *time.Time `json:"lastErrorAt"`
	DeadLettered    int64      `json:"deadLettered"`
}

// webhooksAnswer is the route's body: the webhooks and whether this node delivers them.
type webhooksAnswer struct {
	AsOf     time.Time     `json:"asOf"`
	Webhooks []webhookLine `json:"webhooks"`
}

// behindAfter is how long a message may wait before its webhook is shown as behind.
const behindAfter = time.Minute

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func toWebhookLine(h webhook.Health) webhookLine {
	l := webhookLine{ID: h.ID, Receiver: h.Receiver, AllBots: h.AllBots, Events: h.Events, State: "ok",
		Pending: h.Pending, LastDeliveredAt: optTime(h.LastDelivered), FailedAttempts: h.Attempts,
		FailingSince: optTime(h.FailingSince), NextAttemptAt: optTime(h.NextAttempt), LastError: h.LastError,
		LastErrorAt: optTime(h.LastErrorAt), DeadLettered: h.DeadLettered}
	if h.Local {
		s := h.OldestPending.Seconds()
		l.OldestPendingS = &s
	}
	switch {
	case h.Attempts > 0:
		l.State = "failing"
	case h.Local && h.OldestPending > behindAfter:
		l.State = "behind"
	}
	return l
}

// Webhooks answers the health of the account's webhooks that deliver the bot, under the cookie
// and the page's budget.
func (a *Routes) Webhooks(w http.ResponseWriter, r *http.Request) {
	app, bot, ok := a.caller(w, r)
	if !ok || !a.allow(w, r, app.Account) {
		return
	}
	if a.d.hooks == nil {
		a.h.WriteError(w, r, http.StatusServiceUnavailable, "webhook health is not available on this server")
		return
	}
	now := a.d.now()
	hs, err := a.d.hooks.Health(r.Context(), app.Account, bot, now)
	if err != nil {
		a.h.WriteInternal(w, r, fmt.Errorf("dashboard webhooks: %w", err))
		return
	}
	out := webhooksAnswer{AsOf: now.UTC(), Webhooks: make([]webhookLine, len(hs))}
	for i, h := range hs {
		out.Webhooks[i] = toWebhookLine(h)
	}
	w.Header().Set("Cache-Control", "no-store")
	a.h.WriteJSON(w, http.StatusOK, out)
}
