package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/intentrt/intentrt/internal/analytics"
)

// DecodeBody reads a summary request body strictly: one JSON object with only the known fields
// (an empty body or null is {}, every field taking its default). Every caller decodes through
// here, so a stricter decoder replaces this one function. A field of the wrong type or an
// unknown field is an *analytics.FieldError naming it; other errors say what is wrong with the
// body as a whole. All are safe to show the client.
func DecodeBody(body []byte) (analytics.Body, error) {
	var b analytics.Body
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return b, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return b, &analytics.FieldError{Field: te.Field, Msg: "wrong type: expected " + kind(te.Type)}
		case errors.As(err, &te):
			return b, fmt.Errorf("body must be a JSON object, not a JSON %s", te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json has no error type for an unknown field, only this text.
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return b, &analytics.FieldError{Field: name,
				Msg: "unknown field; accepted: from, to, bucket, timezone, channels, intent, top"}
		default:
			return b, fmt.Errorf("body must be a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return b, errors.New("body must hold a single JSON object")
	}
	return b, nil
}

func kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return kind(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Slice:
		return "an array of strings"
	default:
		return "a JSON " + t.Kind().String()
	}
}
