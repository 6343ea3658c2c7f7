//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockServe makes sure one serve process at a time uses a SQLite file. Two would both write
// correctly, but each would know only of its own commits: the live stream and the read cache
// of the other would miss sessions. (Several nodes share PostgreSQL instead.) The lock is the
// kernel's, so it goes away with the process, however it ends; the apps commands do not take
// it and work beside a running server.
func lockServe(dsn string) (release func(), err error) {
	if isPostgres(dsn) {
		return func() {}, nil
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path+".serve-lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another intentrt serve is using %s: one server per SQLite file (run several nodes on PostgreSQL)", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
