package sqlrow

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/store"
)

// ErasureColumns is the column list, in order, of an erasure request, for ScanErasure.
const ErasureColumns = `request_id, account, app, user_ids, user_count, status, sessions_erased, requested_at, completed_at`

// ScanErasure reads a row selected with ErasureColumns.
func ScanErasure(sc Scanner) (store.Erasure, error) {
	var (
		e         store.Erasure
		ids       string
		req       int64
		completed sql.NullInt64
	)
	if err := sc.Scan(&e.RequestID, &e.Account, &e.App, &ids, &e.UserCount, &e.Status, &e.SessionsErased, &req, &completed); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(ids), &e.UserIDs); err != nil {
		return e, fmt.Errorf("erasure %s: user ids: %w", e.RequestID, err)
	}
	e.RequestedAt = time.Unix(0, req).UTC()
	if completed.Valid {
		e.CompletedAt = time.Unix(0, completed.Int64).UTC()
	}
	return e, nil
}
