//go:build !linux

package bench

import "os/exec"

// dieWithParent is Linux-only; elsewhere the children are stopped by the bench itself.
func dieWithParent(cmd *exec.Cmd) {}
