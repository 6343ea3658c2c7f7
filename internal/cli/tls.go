package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// certSource holds the serving certificate, read from its files at start and again on each
// SIGHUP. Handshakes take whatever it holds at that moment (GetCertificate), so a renewed
// certificate reaches new connections while those already open keep theirs: nothing is dropped.
type certSource struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// loadCerts reads the certificate and key, failing if either is unreadable or they do not match.
func loadCerts(certFile, keyFile string) (*certSource, error) {
	s := &certSource{certFile: certFile, keyFile: keyFile}
	if err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// reload reads the files again. On an error the certificate served so far stays.
func (s *certSource) reload() error {
	c, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load --tls-cert %s and --tls-key %s: %w", s.certFile, s.keyFile, err)
	}
	s.cur.Store(&c)
	return nil
}

func (s *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.cur.Load(), nil }

// leaf describes the current certificate for the log: its serial number and expiry.
func (s *certSource) leaf() []any {
	c := s.cur.Load()
	if c == nil || len(c.Certificate) == 0 {
		return nil
	}
	l := c.Leaf
	if l == nil {
		var err error
		if l, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil
		}
	}
	return []any{"serial", l.SerialNumber.Text(16), "not_after", l.NotAfter.UTC()}
}

// tlsConfig is the server's TLS configuration: TLS 1.2 at least, certificates from src. The
// protocols offered (h2, then http/1.1) are left to net/http's ServeTLS, which adds HTTP/2.
func tlsConfig(src *certSource) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: src.get}
}

// reloadOnHangup re-reads the certificate on every SIGHUP until the returned stop is called; a
// failed reload is logged and the previous certificate kept. Without TLS (src nil) SIGHUP is
// still caught, and only logged: "systemctl reload" must never end a server that has nothing
// to reload (systemd counts death by SIGHUP as a clean exit and would not restart it).
func reloadOnHangup(src *certSource, log *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-hup:
				if src == nil {
					log.Info("SIGHUP: nothing to reload (no --tls-cert)")
					continue
				}
				if err := src.reload(); err != nil {
					log.Error("tls certificate not reloaded; still serving the previous one", "err", err)
					continue
				}
				log.Info("tls certificate reloaded", src.leaf()...)
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}
