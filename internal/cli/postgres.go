package cli

import (
	"context"
	"errors"
)

// openPostgres opens a PostgreSQL store.
func openPostgres(ctx context.Context, dsn string) (backend, error) {
	return nil, errors.New("PostgreSQL storage is not built into this version yet")
}
