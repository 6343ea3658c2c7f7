package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/intentrt/intentrt/internal/store"
)

// mapErr turns pgx's errors into the store's, keeping the cause for the log: no rows become
// ErrNotFound, unique violations ErrConflict, and everything that says "the database cannot be
// reached or is overloaded right now" ErrUnavailable (a 503 that tells the client to retry).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),       // insufficient resources (too many connections, disk full)
			strings.HasPrefix(pe.Code, "57"),       // operator intervention (shutdown, cannot connect now, query cancelled)
			pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock: retry helps
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// unavailable reports whether err means the connection to the database failed or timed out.
func unavailable(err error) bool {
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err), pgconn.SafeToRetry(err),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, puddle.ErrClosedPool), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	return false
}
