package bench

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel send the child SIGTERM if the bench dies first (killed, timed
// out), so that no server under test is left running.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
