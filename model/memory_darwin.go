package model

import (
	"encoding/binary"
	"syscall"
)

// physicalMemory is the machine's RAM in bytes (0 when unknown).
func physicalMemory() int64 {
	s, err := syscall.Sysctl("hw.memsize")
	if err != nil {
		return 0
	}
	b := []byte(s)
	for len(b) < 8 {
		b = append(b, 0) // Sysctl drops the trailing zero bytes
	}
	return int64(binary.LittleEndian.Uint64(b[:8]))
}
