package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Timeout bounds one delivery attempt by default: connecting, sending, and reading the response.
const Timeout = 10 * time.Second

// maxResponse is how much of a receiver's response body is read (and then discarded, but for
// the start of it kept as the last error): enough to reuse the connection, no more.
const maxResponse = 64 << 10

// ErrForbiddenAddress is a connection refused because it would reach a non-public address.
var ErrForbiddenAddress = errors.New("webhook address is not public (serve --webhooks-allow-private allows it)")

// nonPublic lists the special-purpose ranges (RFC 6890 and successors) beyond what netip's
// predicates cover: a webhook must reach the public internet, not the network the server is in.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: would reach IPv4 addresses unchecked
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo among them)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds an IPv4 address
}

// Public says whether ip is an address a webhook may be delivered to by default.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// controlPublic is a net.Dialer Control hook: it runs on the address actually being connected
// to, after name resolution, so that no DNS answer (or rebinding between a check and the
// connection) can steer a delivery into a private network.
func controlPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if !Public(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// NewClient returns the HTTP client of one webhook: its own connections, the attempt timeout
// (Timeout when zero),
// no redirects followed (a 3xx is a failed attempt: the receiver must be configured with its
// final URL), no proxy from the environment (the check must see the receiver's address), and
// unless allowPrivate, connections only to public addresses. resolver may be nil.
func NewClient(allowPrivate bool, resolver *net.Resolver, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = Timeout
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Resolver: resolver}
	if !allowPrivate {
		d.Control = controlPublic
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           2,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    Timeout,
		ResponseHeaderTimeout:  Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
