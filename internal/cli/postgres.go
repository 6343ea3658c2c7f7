package cli

import (
	"context"

	"github.com/intentrt/intentrt/internal/store/postgres"
)

// openPostgres opens a PostgreSQL store with the backend's default deadlines.
func openPostgres(ctx context.Context, dsn string) (backend, error) {
	return postgres.Open(ctx, dsn, postgres.Options{})
}
