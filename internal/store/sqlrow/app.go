package sqlrow

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
)

// AppArgs returns the values of an app in the column order every SQL backend uses:
// client_id, client_secret, account, bots, all_bots, scopes, enforce_jti, created_at, revoked_at.
func AppArgs(app auth.App) ([]any, error) {
	bots := app.Bots
	if bots == nil {
		bots = []string{}
	}
	b, err := json.Marshal(bots)
	if err != nil {
		return nil, fmt.Errorf("encode bots: %w", err)
	}
	sc, err := json.Marshal(app.Scopes)
	if err != nil {
		return nil, fmt.Errorf("encode scopes: %w", err)
	}
	var revoked sql.NullInt64
	if app.RevokedAt != nil {
		revoked = sql.NullInt64{Int64: app.RevokedAt.UnixNano(), Valid: true}
	}
	return []any{app.ClientID, app.ClientSecret, app.Account, string(b), app.AllBots, string(sc), app.EnforceJTI,
		app.CreatedAt.UnixNano(), revoked}, nil
}

// ScanApp reads a row in AppArgs column order.
func ScanApp(sc Scanner) (auth.App, error) {
	var (
		app          auth.App
		bots, scopes string
		created      int64
		revoked      sql.NullInt64
	)
	if err := sc.Scan(&app.ClientID, &app.ClientSecret, &app.Account, &bots, &app.AllBots, &scopes, &app.EnforceJTI, &created, &revoked); err != nil {
		return app, err
	}
	if err := json.Unmarshal([]byte(bots), &app.Bots); err != nil {
		return app, fmt.Errorf("decode bots of %s: %w", app.ClientID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &app.Scopes); err != nil {
		return app, fmt.Errorf("decode scopes of %s: %w", app.ClientID, err)
	}
	app.CreatedAt = time.Unix(0, created).UTC()
	if revoked.Valid {
		t := time.Unix(0, revoked.Int64).UTC()
		app.RevokedAt = &t
	}
	return app, nil
}
