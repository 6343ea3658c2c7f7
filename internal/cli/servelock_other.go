//go:build !unix

package cli

// lockServe does nothing where flock(2) is missing; see the unix version for why it exists.
func lockServe(string) (func(), error) { return func() {}, nil }
