package session

// Batch is the events of one ingest request, all for one bot. A batch is stored whole or not at
// all.
type Batch struct {
	Account string
	Bot     string
	Events  []Event
}

// Result tells a producer what became of its batch.
type Result struct {
	Accepted   int
	Duplicates int
	// Expired counts the events older than the account's retention horizon: acknowledged, never
	// stored (docs/api.md §7 Retention).
	Expired int
}
