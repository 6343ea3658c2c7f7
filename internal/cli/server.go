package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/intentrt/intentrt/internal/ingest"
)

// server is what "serve" runs: built by buildServer, run by run, and shut down along one
// ordered path.
type server struct {
	log             *slog.Logger
	stdout          io.Writer
	shutdownTimeout time.Duration

	ln        net.Listener
	http      *http.Server
	base      string        // the URL it listens on
	stopping  chan struct{} // closed when HTTP shutdown begins; the stream ends on it
	committer *ingest.Committer
	workers   []worker
	closers   []closer // what buildServer acquired, closed in reverse order
}

// closer is one thing buildServer acquired, with the name it is logged by.
type closer struct {
	name  string
	close func()
}

// onClose registers what close must release, after everything registered later.
func (s *server) onClose(name string, f func()) {
	s.closers = append(s.closers, closer{name, f})
}

// close releases what buildServer acquired, last first: the committer (which drains its queue)
// before the change feed it publishes to, and storage last.
func (s *server) close() {
	if s.ln != nil && s.http == nil {
		s.ln.Close()
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.log.Debug("closing", "what", s.closers[i].name)
		s.closers[i].close()
	}
	s.closers = nil
}

// run serves until ctx ends or the listener fails, with the background workers beside it,
// then shuts down: workers' context cancelled, HTTP drained (new requests refused, those in
// flight finished within the shutdown timeout), workers stopped in reverse order, then what
// buildServer acquired closed in reverse order.
func (s *server) run(ctx context.Context) error {
	served := make(chan error, 1)
	go func() {
		if s.http.TLSConfig != nil { // ServeTLS also offers HTTP/2 (ALPN "h2")
			served <- s.http.ServeTLS(s.ln, "", "")
			return
		}
		served <- s.http.Serve(s.ln)
	}()
	fmt.Fprintf(s.stdout, "intentrt listening on %s\n", s.base)

	wctx, cancelWorkers := context.WithCancel(ctx)
	defer cancelWorkers()
	started, err := startWorkers(wctx, s.workers, s.log)
	if err != nil {
		cancelWorkers()
		s.http.Close()
		stopWorkers(started, s.log)
		s.close()
		return err
	}

	var runErr error
	select {
	case err := <-served:
		runErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		s.log.Info("shutting down: no new requests; finishing those in flight")
	}
	cancelWorkers()
	if runErr == nil {
		sctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
		defer cancel()
		if err := s.http.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			runErr = fmt.Errorf("shutdown: %w", err)
		}
	}
	stopWorkers(started, s.log)
	s.close()
	if runErr == nil {
		s.log.Info("stopped")
	}
	return runErr
}
