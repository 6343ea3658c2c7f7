package cli

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestCORSOriginFlag: the origins come from the command line or, comma separated, from
// INTENTRT_CORS_ORIGIN, normalised to the browser's form; a value that is no origin is a usage
// error naming the flag.
func TestCORSOriginFlag(t *testing.T) {
	env := func(k string) string {
		if k == "INTENTRT_CORS_ORIGIN" {
			return "HTTPS://App.Example.com/, http://localhost:3000"
		}
		return ""
	}
	c, err := parseServe(nil, env, io.Discard)
	if want := []string{"https://app.example.com", "http://localhost:3000"}; err != nil || !reflect.DeepEqual(c.corsOrigins, want) {
		t.Fatalf("from the environment: %q, %v; want %q", c.corsOrigins, err, want)
	}
	_, err = parseServe([]string{"--cors-origin", "app.example.com/x"}, func(string) string { return "" }, io.Discard)
	var u *usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "--cors-origin") {
		t.Fatalf("a bad origin: %v; want a usage error naming --cors-origin", err)
	}
}
