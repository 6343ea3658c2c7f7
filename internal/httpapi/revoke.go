package httpapi

import (
	"context"
	"errors"

	"github.com/intentrt/intentrt/internal/auth"
)

// AppSource finds an app as it is now (auth.ErrUnknownApp when there is none). The server
// passes the app cache, which every node refreshes from storage within its freshness bound.
type AppSource interface {
	App(ctx context.Context, clientID string) (auth.App, error)
}

// stillAllowed asks whether the app a stream was opened for may still read its bot, and if
// not says why (for the final comment and the log). A token or cookie is checked once, when
// the stream opens; without this a stream opened before a revocation kept delivering until
// its lifetime ended. A storage failure does not end the stream: it says nothing about the
// app, and the next recheck asks again.
func (h *handlers) stillAllowed(ctx context.Context, c caller) string {
	if h.Apps == nil {
		return ""
	}
	now, err := h.Apps.App(ctx, c.App.ClientID)
	switch {
	case errors.Is(err, auth.ErrUnknownApp):
		return "the app no longer exists"
	case err != nil:
		return ""
	case now.Revoked():
		return "the app was revoked"
	case now.ClientSecret != c.App.ClientSecret:
		return "the app's secret changed"
	case now.Account != c.Account || !now.HasScope(auth.ScopeAnalytics) || !now.CanReach(c.Bot):
		return "the app may no longer read this bot"
	}
	return ""
}
