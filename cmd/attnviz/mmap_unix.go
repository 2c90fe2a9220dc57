//go:build linux || darwin

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// mapFloats maps n little-endian float32 values at byte off of the file
// read-only and returns them in place: no copy, no zeroed memory, and the
// pages are the page cache's (they count once in the process's RSS). The
// mapping is never undone: the command exits after drawing. ok is false
// where mapping cannot help (the caller reads the values instead).
func mapFloats(f *os.File, off int64, n int) (vals []float32, ok bool) {
	if n == 0 || off%4 != 0 || !littleEndian() {
		return nil, false
	}
	page := int64(os.Getpagesize())
	start := off / page * page
	size := off - start + int64(n)*4
	if int64(int(size)) != size {
		return nil, false
	}
	flags := syscall.MAP_PRIVATE | mapPopulate
	b, err := syscall.Mmap(int(f.Fd()), start, int(size), syscall.PROT_READ, flags)
	if err != nil {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[off-start])), n), true
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}
