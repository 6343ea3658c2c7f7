package cli

import (
	"fmt"
	"io"

	"github.com/intentrt/intentrt/internal/buildinfo"
)

// runVersion prints the version, commit and Go version of this binary on one line.
func runVersion(args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("version: unexpected argument %q", fs.Arg(0))}
	}
	fmt.Fprintln(stdout, buildinfo.Read())
	return nil
}
