//go:build !(linux || darwin)

package model

import (
	"errors"
	"os"
)

// mmapFile is not used here: files are read into memory.
func mmapFile(f *os.File, size int64) (*mapping, error) {
	return nil, errors.New("no mmap on this system")
}
