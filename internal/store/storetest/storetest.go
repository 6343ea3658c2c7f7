// Package storetest is the conformance suite every storage backend passes: the same tests, run
// against SQLite always and against a real PostgreSQL when one is configured. Each subtest gets a
// fresh database from the backend's open function, so no test depends on another's data.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/session"
	"github.com/intentrt/intentrt/internal/store"
)

// Open returns a store on a fresh, migrated database that lives until the test ends.
type Open func(t *testing.T) store.Store

// Run runs every conformance test against the backend that open provides.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Schema", testSchema},
		{"ApplyAssembles", testApplyAssembles},
		{"OrderTolerant", testOrderTolerant},
		{"Idempotent", testIdempotent},
		{"Isolation", testIsolation},
		{"CursorOrder", testCursorOrder},
		{"ConcurrentApply", testConcurrentApply},
		{"ApplyCancelledStoresNothing", testApplyCancelled},
		{"LatestOrder", testLatestOrder},
		{"LatestFilters", testLatestFilters},
		{"ChangesSince", testChangesSince},
		{"RoundTrip", testRoundTrip},
		{"ViewsMatchRendering", testViewsMatchRendering},
		{"ViewsAfterHistories", testViewsAfterHistories},
		{"SummaryMatchesBruteForce", testSummaryMatchesBruteForce},
		{"Apps", testApps},
		{"RevokeApp", testRevokeApp},
		{"JTI", testJTI},
		{"Accounts", testAccounts},
		{"PseudonymKey", testPseudonymKey},
		{"Export", testExport},
		{"PurgeMatchesBruteForce", testPurgeMatchesBruteForce},
		{"EraseMatchesBruteForce", testEraseMatchesBruteForce},
		{"Webhooks", testWebhooks},
		{"WebhookChanges", testWebhookChanges},
		{"Leases", testLeases},
		{"Alerts", testAlerts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// events decodes a JSON array of events as the ingest API would, failing the test if invalid.
func events(t *testing.T, js string) []session.Event {
	t.Helper()
	evs, err := session.DecodeJSON([]byte(js), 0)
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return evs
}

// completed is a session.completed event for sid ending at end (a minute after its start).
func completed(sid, channel, status string, end time.Time, intents ...string) string {
	quoted := make([]string, len(intents))
	for i, in := range intents {
		quoted[i] = fmt.Sprintf("%q", in)
	}
	return fmt.Sprintf(`{"type":"session.completed","sessionId":%q,"channel":%q,"ANI":"+1555","DNI":"+1800","userId":"u-%s",
		"startTime":%q,"endTime":%q,"intents":[%s],"status":%q}`, sid, channel, sid,
		end.Add(-time.Minute).Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), strings.Join(quoted, ","), status)
}

func apply(t *testing.T, s store.Store, batches ...session.Batch) ([]session.Result, []session.Change) {
	t.Helper()
	res, ch, err := s.Apply(context.Background(), batches)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(res) != len(batches) {
		t.Fatalf("apply returned %d results for %d batches", len(res), len(batches))
	}
	return res, ch
}

func batch(t *testing.T, account, bot, js string) session.Batch {
	t.Helper()
	return session.Batch{Account: account, Bot: bot, Events: events(t, js)}
}

func latest(t *testing.T, s store.Store, q session.Query) []session.State {
	t.Helper()
	out, err := s.Latest(context.Background(), q)
	if err != nil {
		t.Fatalf("latest %+v: %v", q, err)
	}
	checkLatestJSON(t, s, q, out) // every read of the suite checks the stored views too
	return out
}

func sessionIDs(states []session.State) string {
	ids := make([]string, len(states))
	for i, st := range states {
		ids[i] = st.SessionID
	}
	return strings.Join(ids, ",")
}

func head(t *testing.T, s store.Store) int64 {
	t.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	return h
}

func testSchema(t *testing.T, s store.Store) {
	m, ok := s.(store.Migrator)
	if !ok {
		t.Fatal("the store does not version its schema (store.Migrator)")
	}
	ctx := context.Background()
	have, want, err := m.SchemaVersion(ctx)
	if err != nil || want < 1 || have != want {
		t.Fatalf("schema version have %d want %d err %v", have, want, err)
	}
	if err := m.Migrate(ctx); err != nil { // migrating an up-to-date database changes nothing
		t.Fatalf("migrate again: %v", err)
	}
	if have2, _, _ := m.SchemaVersion(ctx); have2 != have {
		t.Fatalf("version moved from %d to %d", have, have2)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if h := head(t, s); h != 0 {
		t.Fatalf("head of an empty database is %d, want 0", h)
	}
}
