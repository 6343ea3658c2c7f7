package cli

import "testing"

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"64MB": 64 << 20, "512KiB": 512 << 10, "1G": 1 << 30, "1048576": 1 << 20, " 2 mb ": 2 << 20, "0": 0} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("%q: %d %v, want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1MB", "1.5MB", "64XB", "99999999999GB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("%q accepted as %d", in, b)
		}
	}
}
