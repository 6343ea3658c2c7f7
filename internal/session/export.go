package session

import (
	"bytes"
	"encoding/json"
	"errors"
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
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return q, nil
	}
	var b exportBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return q, fmt.Errorf("body field %q has the wrong type: expected %s", te.Field, jsonKind(te.Type))
		case errors.As(err, &te):
			return q, fmt.Errorf("body must be a JSON object, not a JSON %s", te.Value)
		case err.Error() == `json: unknown field "limit"`:
			return q, fmt.Errorf(`body field "limit" is not accepted by the export: it answers every matching session (resume with "after")`)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return q, fmt.Errorf("body field %s is not known; accepted: channels, statuses, intents, from, to, after",
				strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return q, fmt.Errorf("body must be a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return q, fmt.Errorf("body must hold a single JSON object")
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
