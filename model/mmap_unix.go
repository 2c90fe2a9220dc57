//go:build linux || darwin

package model

import (
	"os"
	"syscall"
)

// mmapFile maps a file read-only. Pages come from the page cache as they
// are touched; drop hands those of a decoded tensor back (MADV_DONTNEED on
// a private read-only map just forgets them: they are read again if needed).
func mmapFile(f *os.File, size int64) (*mapping, error) {
	if int64(int(size)) != size {
		return nil, syscall.EFBIG
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	page := os.Getpagesize()
	m := newMapping(data)
	m.unmap = syscall.Munmap
	m.drop = func(b []byte) {
		if len(b) == 0 {
			return
		}
		// the whole pages inside b, found by their offset in data
		off := cap(data) - cap(b)
		lo := (off + page - 1) / page * page
		hi := (off + len(b)) / page * page
		if hi > lo {
			syscall.Madvise(data[lo:hi], syscall.MADV_DONTNEED)
		}
	}
	return m, nil
}
