package httpapi

import "testing"

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://app.example.com", "https://app.example.com"},
		{"HTTPS://App.Example.COM/", "https://app.example.com"},
		{"https://app.example.com:443", "https://app.example.com"},
		{"http://app.example.com:80", "http://app.example.com"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"https://[::1]:8443", "https://[::1]:8443"},
		{"*", "*"},
		{"app.example.com", ""},
		{"ftp://app.example.com", ""},
		{"https://app.example.com/path", ""},
		{"https://app.example.com?q=1", ""},
		{"https://user@app.example.com", ""},
		{"https://app.example.com:0", ""},
		{"https://", ""},
		{"", ""},
	} {
		got, err := NormalizeOrigin(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("NormalizeOrigin(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
