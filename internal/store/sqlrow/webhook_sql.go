package sqlrow

import (
	"strconv"
	"strings"
)

// ProgressSet returns "cursor_seq = P1, epoch = P2, …" for an UPDATE of a webhook's progress,
// with placeholders made by ph from 1-based positions starting at first.
func ProgressSet(first int, ph func(int) string) string {
	cols := strings.Split(ProgressColumns, ", ")
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = " + ph(first+i)
	}
	return strings.Join(parts, ", ")
}

// Question is SQLite's placeholder; Dollar is PostgreSQL's.
func Question(int) string { return "?" }

// Dollar is PostgreSQL's numbered placeholder.
func Dollar(i int) string { return "$" + strconv.Itoa(i) }
