package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a server under test running as a separate process (the real binary), so that its
// memory can be read from /proc and its CPU is not mixed with the load generator's heap and GC.
type child struct {
	cmd  *exec.Cmd
	URL  string
	done chan error
	log  *os.File

	stopOnce sync.Once
	stopErr  error
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// startChild runs exe with args, writing its stderr to logPath, and waits for the line
// "... listening on http://HOST:PORT" on its stdout.
func startChild(ctx context.Context, exe string, args []string, logPath string) (*child, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = logf
	cmd.Env = childEnv()
	dieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", strings.Join(args, " "), err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1), log: logf}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
		c.done <- cmd.Wait()
	}()
	select {
	case c.URL = <-found:
		return c, nil
	case err := <-c.done:
		logf.Close()
		return nil, fmt.Errorf("%s exited before listening (%v); its log: %s", strings.Join(args, " "), err, tail(logPath))
	case <-time.After(60 * time.Second):
		c.kill()
		return nil, fmt.Errorf("%s did not listen within 60 s; its log: %s", strings.Join(args, " "), tail(logPath))
	case <-ctx.Done():
		c.kill()
		return nil, ctx.Err()
	}
}

// childEnv is the bench's environment without INTENTRT_ settings, so that the child runs with
// the flags the bench gives it and the defaults for everything else.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INTENTRT_") {
			env = append(env, kv)
		}
	}
	return env
}

// PeakRSS returns the child's peak resident set (VmHWM) in bytes.
func (c *child) PeakRSS() (int64, error) {
	return procStatusBytes(c.cmd.Process.Pid, "VmHWM:")
}

// procStatusBytes reads a "kB" line of /proc/PID/status.
func procStatusBytes(pid int, key string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, key)
}

// Stop sends SIGTERM, as an operator would, and waits for a clean exit. Later calls return
// what the first one did.
func (c *child) Stop() error {
	c.stopOnce.Do(func() {
		defer c.log.Close()
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case c.stopErr = <-c.done:
		case <-time.After(60 * time.Second):
			c.kill()
			c.stopErr = errors.New("server did not stop within 60 s of SIGTERM")
		}
	})
	return c.stopErr
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}
