package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store/sqlrow"
)

// qTouchMany keeps the newest event time of sessions whose end is not known yet: what retention
// judges an incomplete session's age by (docs/api.md §7). One statement per group commit,
// queued after the sessions' upsert.
const qTouchMany = `UPDATE sessions s SET last_ns = GREATEST(COALESCE(s.last_ns, v.t), v.t)
	FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS v(a, b, sid, t)
	WHERE s.account = v.a AND s.bot = v.b AND s.session_id = v.sid`

// sessionAges collects, for the incomplete sessions of a commit, the newest time of their events.
type sessionAges struct {
	accounts, bots, sids []string
	times                []int64
}

func (a *sessionAges) add(st *session.State, events []session.Event) {
	if !st.End.IsZero() {
		return // aged by its end
	}
	a.accounts = append(a.accounts, st.Account)
	a.bots = append(a.bots, st.Bot)
	a.sids = append(a.sids, st.SessionID)
	a.times = append(a.times, sqlrow.NewestEvent(events))
}

func (a *sessionAges) queue(pipe *pgx.Batch) {
	if len(a.sids) > 0 {
		pipe.Queue(qTouchMany, a.accounts, a.bots, a.sids, a.times)
	}
}
