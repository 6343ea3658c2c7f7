package sqlite

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// viewMigration adds the sessions' pre-rendered view; a database that already holds sessions
// gets their views written in the same transaction, so an upgrade's first read is already right.
const viewMigration = "0006_session_view.sql"

func rebuildViews(ctx context.Context, tx *sql.Tx) error {
	page := `SELECT ` + sqlrow.SessionColumns + ` FROM sessions
		WHERE seq IS NOT NULL AND (account, bot, session_id) > (?, ?, ?)
		ORDER BY account, bot, session_id LIMIT ` + strconv.Itoa(sqlrow.ViewPage)
	update, err := tx.PrepareContext(ctx, `UPDATE sessions SET view = ? WHERE account = ? AND bot = ? AND session_id = ?`)
	if err != nil {
		return mapErr(err)
	}
	defer update.Close()
	read := func(after session.Key) ([]session.State, error) {
		return collectStates(ctx, tx, page, after.Account, after.Bot, after.SessionID)
	}
	write := func(states []session.State) error {
		for i := range states {
			st := &states[i]
			if _, err := update.ExecContext(ctx, sqlrow.View(st), st.Account, st.Bot, st.SessionID); err != nil {
				return mapErr(err)
			}
		}
		return nil
	}
	return sqlrow.RebuildViews(read, write)
}
