// Package api holds intentrt's OpenAPI document, embedded so that the running server can serve
// the exact description of the API it implements.
package api

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 document of every route, as in api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// ServeOpenAPI answers GET /api/openapi.yaml. application/yaml is the registered type (RFC 9512).
func ServeOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(OpenAPI)
}
