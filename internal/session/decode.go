package session

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// ErrTooManyEvents is returned when a request holds more events than the configured maximum.
var ErrTooManyEvents = errors.New("too many events in one request")

// DecodeJSON reads events from a JSON array (or, for producers that send one event alone, a
// single JSON object). The whole batch is validated: the first bad event fails it.
func DecodeJSON(data []byte, maxEvents int) ([]Event, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, &FieldError{Index: -1, Msg: "body is empty: send a JSON array of events"}
	}
	if data[0] == '{' {
		e, fe := decodeOne(data, 0)
		if fe != nil {
			return nil, fe
		}
		return []Event{e}, nil
	}
	if data[0] != '[' {
		return nil, &FieldError{Index: -1, Msg: "body must be a JSON array of events"}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, &FieldError{Index: -1, Msg: "body is not a valid JSON array: " + jsonMsg(err)}
	}
	if maxEvents > 0 && len(raws) > maxEvents {
		return nil, fmt.Errorf("%w: %d events, at most %d", ErrTooManyEvents, len(raws), maxEvents)
	}
	out := make([]Event, 0, len(raws))
	for i, raw := range raws {
		e, fe := decodeOne(raw, i)
		if fe != nil {
			return nil, fe
		}
		out = append(out, e)
	}
	return out, nil
}

// DecodeNDJSON reads one event per line; blank lines are skipped and do not count as events.
func DecodeNDJSON(r io.Reader, maxEvents int) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var out []Event
	i := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if maxEvents > 0 && i >= maxEvents {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyEvents, maxEvents)
		}
		e, fe := decodeOne(line, i)
		if fe != nil {
			// A reader that failed (a body over its size limit) hands the scanner a cut-off last
			// line: the failure, not the broken JSON, is what the producer must hear about.
			if err := sc.Err(); err != nil {
				return nil, err
			}
			return nil, fe
		}
		out = append(out, e)
		i++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &FieldError{Index: -1, Msg: "body holds no events: send one JSON event per line"}
	}
	return out, nil
}

func decodeOne(raw []byte, index int) (Event, *FieldError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Event{}, &FieldError{Index: index, Msg: "must be a JSON object"}
	}
	var w wireEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Event{}, wireError(err, index)
	}
	if dec.More() {
		return Event{}, &FieldError{Index: index, Msg: "holds more than one JSON value"}
	}
	e, fe := w.validate()
	if fe != nil {
		fe.Index = index
		return Event{}, fe
	}
	return e, nil
}

// wireError names the field behind a JSON decoding error where the decoder tells it.
func wireError(err error, index int) *FieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &FieldError{Index: index, Field: te.Field, Msg: "has the wrong type: expected " + jsonKind(te.Type)}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return &FieldError{Index: index, Field: strings.Trim(f, `"`), Msg: "is not a known field"}
	}
	return &FieldError{Index: index, Msg: "is not valid JSON: " + jsonMsg(err)}
}

func jsonMsg(err error) string { return strings.TrimPrefix(err.Error(), "json: ") }

// jsonKind names a Go type the way a producer writing JSON thinks of it; Go's own names
// ("[]string", "json.RawMessage") mean nothing to a producer.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	default:
		return "a JSON " + t.Kind().String()
	}
}
