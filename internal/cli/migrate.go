package cli

import (
	"context"
	"fmt"
	"io"
)

func runMigrate(ctx context.Context, args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	dsn := defineDB(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	db, err := openDB(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	before, want, err := db.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if before > want {
		return fmt.Errorf("database schema is at version %d, newer than this binary's %d", before, want)
	}
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(stdout, "schema at version %d (was %d)\n", want, before)
	return nil
}
