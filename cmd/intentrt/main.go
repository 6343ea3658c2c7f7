// Command intentrt serves the Kore.ai-compatible intent real-time API, ingests session events,
// and manages the apps that may use it. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/intentrt/intentrt/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		code := cli.ExitCode(err)
		if code != 0 { // with -h the flags' help is already printed
			fmt.Fprintln(os.Stderr, "intentrt:", err)
		}
		stop()
		os.Exit(code)
	}
}
