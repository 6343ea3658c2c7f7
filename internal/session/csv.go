package session

import "strings"

// CSVHeader is the header row of the CSV export: the eleven keys of the read API, in its order.
var CSVHeader = []string{"intent", "ANI", "DNI", "channel", "startTime", "endTime", "status", "timeHandled", "deflectedTo", "userId", "sessionId"}

// IntentSeparator joins a session's intents in one CSV cell.
const IntentSeparator = "|"

// AppendCSVRecord appends the session's cells, in CSVHeader order, each made safe for a
// spreadsheet by SafeCell. A null deflectedTo is an empty cell.
func (s *State) AppendCSVRecord(rec []string) []string {
	deflected := ""
	if s.DeflectedTo != nil {
		deflected = *s.DeflectedTo
	}
	return append(rec,
		SafeCell(strings.Join(s.IntentNames(), IntentSeparator)), SafeCell(s.ANI), SafeCell(s.DNI),
		SafeCell(s.Channel), FormatTime(s.Start), FormatTime(s.End), string(s.Status),
		FormatHandled(s.HandledSeconds()), SafeCell(deflected), SafeCell(s.UserID), SafeCell(s.SessionID))
}

// SafeCell keeps a spreadsheet from reading a cell as a formula (CSV injection). A cell that
// starts with '=', '+', '-', '@', a tab, a carriage return or a line feed is prefixed with a
// single quote, which spreadsheets show as text and do not evaluate (the OWASP advice) — except
// a phone number in international form: '+' followed by digits only (E.164, like
// +12605554468). Digits alone cannot call a function or reference a cell, so such a cell is
// left readable as it was ingested; anything more after the '+' (a space, a dash, a letter)
// is prefixed.
func SafeCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '+':
		if isPlusDigits(v) {
			return v
		}
		return "'" + v
	case '=', '-', '@', '\t', '\r', '\n':
		return "'" + v
	}
	return v
}

// isPlusDigits reports whether v is '+' followed by one or more ASCII digits.
func isPlusDigits(v string) bool {
	if len(v) < 2 || v[0] != '+' {
		return false
	}
	for i := 1; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
