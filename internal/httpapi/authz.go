package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/intentrt/intentrt/internal/auth"
	"github.com/intentrt/intentrt/internal/session"
)

// The contract's headers "accountId" and "auth" in net/http's canonical form: Header.Get
// canonicalises its key, which for a key not already canonical allocates on every request.
const (
	hdrAccountID = "Accountid"
	hdrAuth      = "Auth"
)

// caller is who a request acts as, once authorised.
type caller struct {
	App     auth.App
	Account string
	Bot     string
}

// authorize checks the request's bot path value, accountId header and token against scope, in the
// contract's order: malformed ids 400, missing accountId 400, bad token 401, wrong account, bot
// or scope 403. On failure it has written the error and returns false. The 403s never say whether
// a bot exists in another account.
func (h *handlers) authorize(w http.ResponseWriter, r *http.Request, scope auth.Scope) (caller, bool) {
	bot := r.PathValue("botId")
	if !session.ValidID(bot) {
		h.writeError(w, r, http.StatusBadRequest, "botId must be 1-128 printable characters")
		return caller{}, false
	}
	account, app, ok := h.authenticate(w, r)
	if !ok {
		return caller{}, false
	}
	switch {
	case app.Account != account:
		h.writeError(w, r, http.StatusForbidden, "the app does not belong to account "+account)
	case !app.HasScope(scope):
		h.writeError(w, r, http.StatusForbidden, fmt.Sprintf("the app lacks the scope %q", scope))
	case !app.CanReach(bot):
		h.writeError(w, r, http.StatusForbidden, "the app may not access bot "+bot)
	default:
		return caller{App: app, Account: account, Bot: bot}, true
	}
	return caller{}, false
}

// authenticate checks the accountId header and the token, in the contract's order (400, then
// 401), and returns the account asked for and the token's app; on failure it has written the
// error. Whether the app may act on that account is the caller's check.
func (h *handlers) authenticate(w http.ResponseWriter, r *http.Request) (string, auth.App, bool) {
	fail := func() (string, auth.App, bool) { return "", auth.App{}, false }
	if len(r.Header[hdrAccountID]) > 1 {
		// Proxies and clients disagree on which of two values counts; refuse to pick one.
		h.writeError(w, r, http.StatusBadRequest, "header accountId must be given once")
		return fail()
	}
	account := r.Header.Get(hdrAccountID)
	if account == "" {
		h.writeError(w, r, http.StatusBadRequest, "header accountId is required")
		return fail()
	}
	if !session.ValidID(account) {
		h.writeError(w, r, http.StatusBadRequest, "header accountId must be 1-128 printable characters")
		return fail()
	}
	info := infoFrom(r.Context())
	if info != nil {
		info.account = account
	}
	if h.authThrottled(w, r) {
		return fail()
	}
	token := r.Header.Get(hdrAuth)
	if token == "" {
		// The scheme name is case-insensitive (RFC 9110 §11.1): "bearer x" is "Bearer x".
		if scheme, v, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(v)
		}
	}
	if token == "" {
		h.writeError(w, r, http.StatusUnauthorized, "a JWT is required in the auth header")
		return fail()
	}
	app, err := h.Tokens.Verify(r.Context(), token)
	if errors.Is(err, auth.ErrInvalidToken) {
		h.authFailed(r)
		h.writeError(w, r, http.StatusUnauthorized, err.Error())
		return fail()
	}
	if err != nil {
		h.writeInternal(w, r, fmt.Errorf("verify token: %w", err))
		return fail()
	}
	if info != nil {
		info.clientID = app.ClientID
	}
	return account, app, true
}
