package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// viewMigration adds the sessions' pre-rendered view; a database that already holds sessions
// gets their views written in the same transaction, so an upgrade's first read is already right.
const viewMigration = "0007_session_view.sql"

func rebuildViews(ctx context.Context, tx pgx.Tx) error {
	page := `SELECT ` + sqlrow.SessionColumns + ` FROM sessions
		WHERE seq IS NOT NULL AND (account, bot, session_id) > ($1, $2, $3)
		ORDER BY account, bot, session_id LIMIT ` + strconv.Itoa(sqlrow.ViewPage)
	read := func(after session.Key) ([]session.State, error) {
		rows, err := tx.Query(ctx, page, after.Account, after.Bot, after.SessionID)
		if err != nil {
			return nil, mapErr(err)
		}
		defer rows.Close()
		out, err := sqlrow.Collect(rows, sqlrow.ScanState)
		return out, mapErr(err)
	}
	// One statement a page: the views go as arrays beside the keys they belong to.
	write := func(states []session.State) error {
		cols := make([][]string, 4)
		for i := range states {
			st := &states[i]
			cols[0] = append(cols[0], st.Account)
			cols[1] = append(cols[1], st.Bot)
			cols[2] = append(cols[2], st.SessionID)
			cols[3] = append(cols[3], sqlrow.View(st).String)
		}
		_, err := tx.Exec(ctx, `UPDATE sessions s SET view = v.view
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS v(account, bot, session_id, view)
			WHERE s.account = v.account AND s.bot = v.bot AND s.session_id = v.session_id`, cols[0], cols[1], cols[2], cols[3])
		return mapErr(err)
	}
	return sqlrow.RebuildViews(read, write)
}
