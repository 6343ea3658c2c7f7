package sqlite

import (
	"fmt"
	"os"
	"sync"

	"github.com/intentrt/intentrt/internal/store"
)

// openedFiles remembers which files the store opened (the database and its write-ahead log),
// by identity (device and inode on Unix), so that it notices when they are deleted or replaced
// under it. SQLite itself does not: its open descriptors keep an unlinked file alive, commits
// keep succeeding into it, and everything they acknowledged vanishes at the next start. A stat
// per commit is cheap beside the commit's fsync.
type openedFiles struct {
	mu    sync.Mutex
	db    string
	dbFI  os.FileInfo // nil: no file to watch (":memory:")
	wal   string
	walFI os.FileInfo // nil until the log exists: a new database has none before its first write
}

// watchFiles records the database file as it is now, and its log once it appears. The log
// stays while the store's write connection is open, so one seen once must stay the same.
func watchFiles(path string) *openedFiles {
	f := &openedFiles{db: path, wal: path + "-wal"}
	f.dbFI, _ = os.Stat(path)
	f.walFI, _ = os.Stat(f.wal)
	return f
}

// check returns an error wrapping store.ErrUnavailable (503, retry elsewhere or later) when a
// file is no longer the one opened. It never recovers by itself: writes into the orphaned
// files could not survive, and the operator must restart the server on the right files.
func (f *openedFiles) check() error {
	if f.dbFI == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := same(f.db, f.dbFI); err != nil {
		return err
	}
	if f.walFI == nil {
		f.walFI, _ = os.Stat(f.wal)
		return nil
	}
	return same(f.wal, f.walFI)
}

func same(path string, opened os.FileInfo) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: database file %s is gone since it was opened (%v); restart the server", store.ErrUnavailable, path, err)
	}
	if !os.SameFile(fi, opened) {
		return fmt.Errorf("%w: database file %s was replaced since it was opened; restart the server", store.ErrUnavailable, path)
	}
	return nil
}
