//go:build !(linux && (amd64 || arm64))

package cuda

import (
	"fmt"
	"runtime"
)

type lib struct {
	path string
	syms map[string]uintptr
}

const haveLoader = false

func openLib(path string, names, optional []string) (*lib, error) {
	return nil, fmt.Errorf("no driver: the CUDA loader supports linux/amd64 and linux/arm64, this is %s/%s", runtime.GOOS, runtime.GOARCH)
}

func (l *lib) call(name string, args ...uintptr) int     { return -1 }
func (l *lib) has(name string) bool                      { return false }
func (l *lib) call64(name string, args ...uintptr) int64 { return -1 }
