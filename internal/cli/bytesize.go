package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag of a size in bytes, given as a number with an optional unit: 64MB, 512KiB,
// 1G, 1048576. KB, MB and GB are powers of 1024 as well, as operators mean them for memory.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

// Get makes it a flag.Getter.
func (b *byteSize) Get() any { return int64(*b) }

func (b *byteSize) Set(s string) error {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q: want a size such as 64MB", s)
	}
	*b = byteSize(n * mult)
	return nil
}
