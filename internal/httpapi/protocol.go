package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path"
	"strings"
)

// ErrorBody is the contract's error body for status and msg, for the few answers written
// outside a handler (the connection-level errors of net/http, rewritten by the CLI's listener).
func ErrorBody(status int, msg string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(errorBody{Errors: []errorItem{{Msg: msg, Code: status}}})
	return b.Bytes()
}

// guard answers, with the contract's JSON error, the requests that ServeMux would otherwise
// answer itself in plain text or HTML: CONNECT (a 405 in text) and paths with "." or ".."
// segments (a redirect to the cleaned path). The route table's "/" answers the rest of what
// no pattern matches with a JSON 404, so these two are all that is left to the mux.
func (h *handlers) guard(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			h.writeError(w, r, http.StatusMethodNotAllowed, "method CONNECT is not served: this is not a proxy")
			return
		}
		if p := r.URL.Path; !canonical(p) {
			h.writeError(w, r, http.StatusBadRequest, "the path must be absolute, without \".\" or \"..\" segments")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// canonical reports whether p is what ServeMux serves without redirecting: absolute, and
// unchanged by path.Clean apart from a trailing slash (doubled slashes are collapsed before).
func canonical(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}
