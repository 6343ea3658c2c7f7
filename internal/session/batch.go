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
}
