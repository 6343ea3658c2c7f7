// Package analytics is the domain of the real-time summary (docs/api.md §6, decisions in
// docs/analytics.md): the request and its window of local-time buckets, the per-minute aggregate
// rows a store keeps current when it commits sessions, the handling-time histogram those rows
// carry, and the assembly of a summary from the rows. It imports no HTTP and no SQL.
package analytics

// The summary's time zones come from the IANA database. A minimal container image has no
// /usr/share/zoneinfo, and a zone that loads on a laptop but not in production is an outage, so
// the database is linked into the binary (about 450 kB).
import _ "time/tzdata"
