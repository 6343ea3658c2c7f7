package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a self-signed certificate for 127.0.0.1 and localhost, written to two PEM files.
type Cert struct {
	CertFile, KeyFile string
	Serial            *big.Int
	X509              *x509.Certificate
}

// NewCert makes a fresh self-signed certificate (a new key, a random serial) and writes it
// to certFile and keyFile, replacing what they held.
func NewCert(t testing.TB, certFile, keyFile string) Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "intentrt test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own issuer
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return Cert{CertFile: certFile, KeyFile: keyFile, Serial: serial, X509: parsed}
}

// writePEM replaces path with one PEM block, atomically (as a certificate renewal should), so
// that a reload never reads half a file.
func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TLSClient returns an HTTP client that trusts the given certificates and speaks HTTP/2
// (a custom TLS configuration turns net/http's automatic HTTP/2 off unless asked for).
func TLSClient(certs ...Cert) *http.Client {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c.X509)
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
}

// StartTLS runs serve with a fresh self-signed certificate (--tls-cert/--tls-key in t.TempDir())
// and extra args; the Server's Client trusts that certificate and speaks HTTP/2.
func StartTLS(t testing.TB, args ...string) (*Server, Cert) {
	t.Helper()
	dir := t.TempDir()
	cert := NewCert(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	client := TLSClient(cert)
	t.Cleanup(client.CloseIdleConnections)
	args = append([]string{"--tls-cert", cert.CertFile, "--tls-key", cert.KeyFile}, args...)
	return start(t, filepath.Join(dir, "intentrt.db"), client, args), cert
}
