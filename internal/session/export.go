package session

import (
	"fmt"
	"strconv"
	"strings"
)

// ExportQuery selects what an export answers: the read API's filters (its Limit unused) and the
// cursor after which to start.
type ExportQuery struct {
	Query
	After int64
}

// exportBody is the export's body: the read API's filters plus after, and no limit.
type exportBody struct {
	Channels []string `json:"channels"`
	Statuses []string `json:"statuses"`
	Intents  []string `json:"intents"`
	From     *string  `json:"from"`
	To       *string  `json:"to"`
	After    *string  `json:"after"`
}

// ParseExport reads the export's optional body. Errors name the field and are safe to show.
func ParseExport(body []byte) (ExportQuery, error) {
	var q ExportQuery
	body = trimJSONSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return q, nil
	}
	var b exportBody
	// The strict rules of every client body (DecodeObject), with a word on the one field a
	// read API client will try.
	if fe := DecodeObject(body, &b); fe != nil {
		switch {
		case fe.Field == "limit" && strings.Contains(fe.Msg, "not a known field"):
			return q, fmt.Errorf(`body field "limit" is not accepted by the export: it answers every matching session (resume with "after")`)
		case fe.Field == "":
			return q, fmt.Errorf("body %s: send a single JSON object", fe.Msg)
		}
		return q, fmt.Errorf("body %s", fe)
	}
	qb := queryBody{Channels: b.Channels, Statuses: b.Statuses, Intents: b.Intents, From: b.From, To: b.To}
	if err := qb.filters(&q.Query); err != nil {
		return q, err
	}
	if err := qb.window(&q.Query); err != nil {
		return q, err
	}
	if b.After != nil {
		n, err := strconv.ParseInt(*b.After, 10, 64)
		if err != nil || n < 0 {
			return q, fmt.Errorf(`after must be the cursor of a previous export (a string of digits, like "1234")`)
		}
		q.After = n
	}
	return q, nil
}
