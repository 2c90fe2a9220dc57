package cuda

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildFake compiles the fake driver testdata/fakecuda.c (path src) with
// gcc into dir and returns the library's path, for tests: the fake
// implements the driver and cuBLAS entry points on host memory and runs a
// C twin of each kernel, so the whole Go call path runs without a GPU.
//
// With emulate, launches instead run the real kernels.cu, compiled for the
// host by g++ together with testdata/emucuda.cc (next to src), one thread
// per CUDA thread. It returns exec.ErrNotFound (wrapped) when gcc or g++
// is not installed.
func BuildFake(src, dir string, emulate bool) (string, error) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return "", fmt.Errorf("building the fake CUDA driver needs gcc: %w", err)
	}
	if _, err := os.Stat(src); err != nil {
		return "", err
	}
	run := func(name string, args ...string) error {
		if b, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s %v: %v\n%s", name, args, err, b)
		}
		return nil
	}
	if !emulate {
		out := filepath.Join(dir, "libfakecuda.so")
		return out, run(gcc, "-shared", "-fPIC", "-O2", "-Wall", "-o", out, src, "-lm")
	}
	gxx, err := exec.LookPath("g++")
	if err != nil {
		return "", fmt.Errorf("emulating the CUDA kernels needs g++: %w", err)
	}
	out := filepath.Join(dir, "libemucuda.so")
	fo, eo := filepath.Join(dir, "fake_emu.o"), filepath.Join(dir, "emu.o")
	emu := filepath.Join(filepath.Dir(src), "emucuda.cc")
	if err := run(gcc, "-c", "-fPIC", "-O2", "-DFAKECUDA_EMU", "-o", fo, src); err != nil {
		return "", err
	}
	if err := run(gxx, "-c", "-fPIC", "-O1", "-std=c++17", "-Wno-unknown-pragmas", "-o", eo, emu); err != nil {
		return "", err
	}
	return out, run(gxx, "-shared", "-o", out, fo, eo, "-lpthread", "-lm")
}

// FakeLaunches is the number of kernels the fake driver at path has run
// (for tests that check an op ran on the device rather than on the CPU).
func FakeLaunches(path string) (int64, error) {
	l, err := openLib(path, []string{"fakecuda_launches"}, nil)
	if err != nil {
		return 0, err
	}
	// the C function returns long long: read the whole register
	return l.call64("fakecuda_launches"), nil
}

// FakeSet sets a knob of the fake driver at path ("mem_limit", "fail_init",
// "bad_ptx"; see testdata/fakecuda.c).
func FakeSet(path, key string, v int64) error {
	l, err := openLib(path, []string{"fakecuda_set"}, nil)
	if err != nil {
		return err
	}
	k := append([]byte(key), 0)
	if r := l.callBytes("fakecuda_set", k, uintptr(v)); r != 0 {
		return fmt.Errorf("fakecuda_set(%q) = %d", key, r)
	}
	return nil
}
