//go:build !unix

package cli

// raiseFileLimit does nothing where there is no RLIMIT_NOFILE; 0 means "not known".
func raiseFileLimit() uint64 { return 0 }
