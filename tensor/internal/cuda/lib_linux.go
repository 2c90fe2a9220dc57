//go:build linux && (amd64 || arm64)

package cuda

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// lib is a dlopen'ed shared library (the driver or cuBLAS).
type lib struct {
	path   string
	handle uintptr
	syms   map[string]uintptr
}

const haveLoader = true

// openLib opens path with RTLD_NOW|RTLD_LOCAL (local, so that a fake driver
// and a real one can be open in the same process without their symbols
// interposing) and resolves the named symbols; a missing symbol is an error
// unless it is listed in optional.
func openLib(path string, names, optional []string) (*lib, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("cannot load %s: %w", path, err)
	}
	l := &lib{path: path, handle: h, syms: map[string]uintptr{}}
	for _, n := range names {
		p, err := purego.Dlsym(h, n)
		if err != nil || p == 0 {
			purego.Dlclose(h)
			return nil, fmt.Errorf("%s has no symbol %s (driver too old?): %w", path, n, err)
		}
		l.syms[n] = p
	}
	for _, n := range optional {
		if p, err := purego.Dlsym(h, n); err == nil && p != 0 {
			l.syms[n] = p
		}
	}
	return l, nil
}

// call invokes symbol name with integer-class arguments and returns the
// C int result (CUresult / cublasStatus_t).
func (l *lib) call(name string, args ...uintptr) int {
	fn := l.syms[name]
	if fn == 0 {
		return -1
	}
	r, _, _ := purego.SyscallN(fn, args...)
	return int(int32(uint32(r)))
}

func (l *lib) has(name string) bool { return l.syms[name] != 0 }

// call64 invokes symbol name and returns its 64-bit integer result.
func (l *lib) call64(name string, args ...uintptr) int64 {
	fn := l.syms[name]
	if fn == 0 {
		return -1
	}
	r, _, _ := purego.SyscallN(fn, args...)
	return int64(r)
}
