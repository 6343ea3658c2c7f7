package sqlrow

import (
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/privacy"
	"github.com/intentrt/intentrt/internal/store"
)

// AccountColumns is the column list, in order, of an account row.
const AccountColumns = `account, ani_mode, dni_mode, user_id_mode, updated_at`

// AccountArgs returns the values of an account row in AccountColumns order.
func AccountArgs(account string, p privacy.Policy, at time.Time) []any {
	p = p.Normal()
	return []any{account, string(p.ANI), string(p.DNI), string(p.UserID), at.UnixNano()}
}

// ScanAccount reads a row selected with AccountColumns. A mode this binary does not know is
// an error rather than "keep": guessing would store personal data someone asked to hide.
func ScanAccount(sc Scanner) (store.Account, error) {
	var (
		a          store.Account
		ani, dni   string
		user       string
		updatedNs  int64
		parseError error
	)
	if err := sc.Scan(&a.ID, &ani, &dni, &user, &updatedNs); err != nil {
		return a, err
	}
	for _, f := range []struct {
		v   string
		dst *privacy.Mode
	}{{ani, &a.Policy.ANI}, {dni, &a.Policy.DNI}, {user, &a.Policy.UserID}} {
		m, err := privacy.ParseMode(f.v)
		if err != nil && parseError == nil {
			parseError = fmt.Errorf("account %q: %w", a.ID, err)
		}
		*f.dst = m
	}
	a.UpdatedAt = time.Unix(0, updatedNs).UTC()
	return a, parseError
}
