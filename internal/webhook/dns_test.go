package webhook

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

// fakeDNS returns one end of an in-memory DNS "server" that answers every A query with ip and
// every other query with no records: a resolver that sends a public-looking name inside.
func fakeDNS(t *testing.T, ip string) (net.Conn, error) {
	client, server := net.Pipe()
	addr := netip.MustParseAddr(ip).As4()
	go func() {
		defer server.Close()
		for {
			// Go's resolver speaks DNS over TCP framing on a stream conn: a 2-byte length first.
			var lb [2]byte
			if _, err := readFull(server, lb[:]); err != nil {
				return
			}
			q := make([]byte, binary.BigEndian.Uint16(lb[:]))
			if _, err := readFull(server, q); err != nil || len(q) < 12 {
				return
			}
			end := 12
			for end < len(q) && q[end] != 0 {
				end += int(q[end]) + 1
			}
			qtype := binary.BigEndian.Uint16(q[end+1 : end+3])
			resp := append([]byte{}, q[:end+5]...)
			resp[2], resp[3] = 0x81, 0x80 // response, recursion desired and available, no error
			binary.BigEndian.PutUint16(resp[6:8], 0)
			if qtype == 1 {
				binary.BigEndian.PutUint16(resp[6:8], 1)
				resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
				resp = append(resp, addr[:]...)
			}
			out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
			if _, err := server.Write(append(out, resp...)); err != nil {
				return
			}
		}
	}()
	return client, nil
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
