package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/intentrt/intentrt/internal/cli"
	"github.com/intentrt/intentrt/internal/testserver"
)

// TestOneServePerSQLiteFile: a second serve on the same file is refused with a clear message,
// while the apps commands keep working beside the running server.
func TestOneServePerSQLiteFile(t *testing.T) {
	s := testserver.Start(t)
	var out, errb bytes.Buffer
	err := cli.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", s.DB},
		func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "another intentrt serve is using") {
		t.Fatalf("second serve on %s: %v", s.DB, err)
	}
	if app := s.CreateApp(t, testserver.AppSpec{Account: "acct-lock"}); app.ClientID == "" {
		t.Fatal("apps create beside a running server gave no client id")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	// Once the first server is gone, the file is free again.
	testserver.StartDB(t, s.DB)
}
