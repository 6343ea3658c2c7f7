//go:build unix

package cli

import "syscall"

// raiseFileLimit raises the soft limit of open files to the hard limit (Go's runtime does so
// too on Linux since 1.19; doing it here states it and covers every Unix), and returns the
// soft limit in force, 0 if it cannot be read.
func raiseFileLimit() uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	if r.Cur < r.Max {
		raised := r
		raised.Cur = r.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			r = raised
		}
	}
	return uint64(r.Cur)
}
