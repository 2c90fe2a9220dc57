//go:build !linux && !darwin

package model

// physicalMemory: unknown here; the default budget is then no limit.
func physicalMemory() int64 { return 0 }
