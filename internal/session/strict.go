package session

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// strictOptions are the rules for every JSON body a client sends. The go-json-experiment module
// (the upstream of encoding/json/v2, which Go 1.26 ships only behind GOEXPERIMENT=jsonv2; the
// module turns into aliases of it when that experiment is on) already matches names
// case-sensitively, refuses duplicate names, and refuses invalid UTF-8 and lone UTF-16
// surrogates by default; unknown names are refused here too. Loose decoding let "SESSIONID" or a
// second "status" through, and turned "s\xff" and "s\ud800" into the same "s\ufffd".
var strictOptions = json.RejectUnknownMembers(true)

// DecodeObject decodes data, one JSON object a client sent, into v (a pointer to a struct whose
// fields carry json tags) under the rules every JSON body of the API follows: names exactly as
// documented (case-sensitive; an unknown name is refused), each name at most once, strings of
// valid UTF-8 without lone surrogate escapes, values of exactly the expected JSON type (no
// number in a string), and nothing after the object. The error, if any, names the field (as a
// path such as "intents[3]" when it is nested) and says what is wrong and what is expected; its
// Index is -1, for the caller to set when the object is one of many.
func DecodeObject(data []byte, v any) *FieldError {
	data = trimJSONSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return &FieldError{Index: -1, Msg: "must be a JSON object"}
	}
	// Unmarshal (not a Decoder of our own) reuses the module's pooled decoders: an event batch
	// calls this once per event.
	if err := json.Unmarshal(data, v, strictOptions); err != nil {
		return strictError(err)
	}
	return nil
}

// trimJSONSpace trims the whitespace JSON allows (space, tab, line feed, carriage return) and no
// other: bytes.TrimSpace would also take a form feed or U+00A0 for space, letting through what no
// JSON parser accepts.
func trimJSONSpace(b []byte) []byte { return bytes.Trim(b, " \t\n\r") }

// strictError turns a decoding error into a FieldError a producer can act on.
func strictError(err error) *FieldError {
	var (
		syn *jsontext.SyntacticError
		sem *json.SemanticError
	)
	switch {
	case errors.As(err, &syn):
		fe := &FieldError{Index: -1, Field: fieldPath(syn.JSONPointer)}
		switch {
		case syn.JSONPointer == "" && syn.Err != nil && strings.Contains(syn.Err.Error(), "after top-level value"):
			fe.Msg = "holds more than one JSON value"
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			fe.Msg = "appears more than once: give each field once"
		case syn.Err != nil && strings.Contains(syn.Err.Error(), "surrogate"):
			fe.Msg = `must be valid UTF-8 text: it holds a lone UTF-16 surrogate escape (\uD800 to \uDFFF without its pair)`
		case syn.Err != nil && strings.Contains(syn.Err.Error(), "UTF-8") && fe.Field == "":
			fe.Msg = "holds a field name that is not valid UTF-8 text"
		case syn.Err != nil && strings.Contains(syn.Err.Error(), "UTF-8"):
			fe.Msg = "must be valid UTF-8 text"
		default:
			fe.Msg = "is not valid JSON: " + syntaxDetail(err)
		}
		return fe
	case errors.As(err, &sem):
		fe := &FieldError{Index: -1, Field: fieldPath(sem.JSONPointer)}
		switch {
		case errors.Is(sem.Err, json.ErrUnknownName):
			fe.Msg = "is not a known field"
		case sem.GoType != nil:
			fe.Msg = "has the wrong type: expected " + jsonKind(sem.GoType)
		default:
			fe.Msg = "is not valid: " + strings.TrimPrefix(sem.Error(), "json: ")
		}
		return fe
	}
	return &FieldError{Index: -1, Msg: "is not valid JSON: " + syntaxDetail(err)}
}

// syntaxDetail says what is wrong with JSON text, without the decoder's package prefix and byte
// offsets.
func syntaxDetail(err error) string {
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "it ends too early"
	case errors.As(err, &syn) && syn.Err != nil:
		return syn.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "jsontext: ")
}

// fieldPath renders a JSON pointer the way a producer reads a field: "intents[3]" rather than
// "/intents/3". The first token is always a name, since the decoded value is an object; a later
// token of digits only is taken for an array index.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	first := true
	for tok := range p.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 0); err == nil && !first {
			b.WriteString("[" + tok + "]")
		} else {
			if !first {
				b.WriteByte('.')
			}
			b.WriteString(tok)
		}
		first = false
	}
	return b.String()
}

// jsonKind names a Go type the way a producer writing JSON thinks of it; Go's own names
// ("[]string", "int64") mean nothing to a producer.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "a JSON " + t.Kind().String()
	}
}
