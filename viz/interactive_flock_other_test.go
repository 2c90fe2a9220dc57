//go:build !unix

package viz

import "os"

func flock(f *os.File) error { return nil }
