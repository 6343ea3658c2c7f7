package summary

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/session"
)

// DecodeBody reads a summary request body under the strict rules every client JSON body
// follows (session.DecodeObject: exact names, each once, exact types, valid UTF-8, one object);
// an empty body or null is {}, every field taking its default. Every caller decodes through
// here. A problem with one field is an *analytics.FieldError naming it; other errors say what
// is wrong with the body as a whole. All are safe to show the client.
func DecodeBody(body []byte) (analytics.Body, error) {
	var b analytics.Body
	body = bytes.Trim(body, " \t\n\r")
	if len(body) == 0 || string(body) == "null" {
		return b, nil
	}
	if fe := session.DecodeObject(body, &b); fe != nil {
		if fe.Field == "" {
			return b, fmt.Errorf("body %s: send a single JSON object with the fields from, to, bucket, timezone, channels, intent, top", fe.Msg)
		}
		return b, &analytics.FieldError{Field: fe.Field, Msg: fe.Msg}
	}
	return b, nil
}

// ErrorMessage words an error of DecodeBody or Summarize's validation for the client, naming
// the field as every route that takes a summary body does: body field "x": what is wrong.
func ErrorMessage(err error) string {
	var fe *analytics.FieldError
	if errors.As(err, &fe) {
		return fmt.Sprintf("body field %q: %s", fe.Field, fe.Msg)
	}
	return err.Error()
}
