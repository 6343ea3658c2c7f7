//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package httpapi

import "syscall"

// mapChunk maps anonymous memory from the system: the collector neither scans nor counts it, so
// it does not raise the heap's goal. The chunk is never unmapped (the arena reuses its pages).
// Where mapping fails, the heap serves instead.
func mapChunk(size int) []byte {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, size)
	}
	return b
}
