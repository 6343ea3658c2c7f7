package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/intentrt/intentrt/internal/store"
)

// TestClosedIsUnavailable: a store used after Close answers ErrUnavailable (a 503), recognised
// by database/sql's own error value rather than its text.
func TestClosedIsUnavailable(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Ping(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("ping after close: %v", err)
	}
}
