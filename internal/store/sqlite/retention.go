package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	msqlite "modernc.org/sqlite"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

func init() {
	// For the migration that turns stored event ids into the digests Apply now stores.
	msqlite.MustRegisterDeterministicScalarFunction("intentrt_event_id_key", 1, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		id, _ := args[0].(string)
		return session.EventIDKey(id), nil
	})
}

// qTouch keeps the newest event time of a session whose end is not known yet: what retention
// judges an incomplete session's age by (docs/api.md §7).
const qTouch = `UPDATE sessions SET last_ns = max(coalesce(last_ns, ?4), ?4) WHERE account = ?1 AND bot = ?2 AND session_id = ?3`

// touchIncomplete runs qTouch for st if its end is unknown; a completed session is aged by its
// end, so it costs nothing more.
func touchIncomplete(ctx context.Context, stmt *sql.Stmt, st *session.State, events []session.Event) error {
	if !st.End.IsZero() {
		return nil
	}
	if _, err := stmt.ExecContext(ctx, st.Account, st.Bot, st.SessionID, sqlrow.NewestEvent(events)); err != nil {
		return fmt.Errorf("store session age: %w", mapErr(err))
	}
	return nil
}
