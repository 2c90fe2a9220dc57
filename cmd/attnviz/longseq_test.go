package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/internal/testutil"
	"github.com/attnviz/attnviz/tensor"
)

// readBytes is the bytes this process has read with read(2)-like calls so
// far (rchar of /proc/self/io), or -1 where there is no such file.
func readBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// TestRenderReadsOnlyTheHead: `render -layer L -head H` of a [L, H, T, T]
// file reads that head's bytes (float16 files, converted as read) or maps
// them in place (float32), not the whole file; the figure is the one of
// the head stored alone. The bytes are counted by the kernel (rchar).
func TestRenderReadsOnlyTheHead(t *testing.T) {
	if readBytes() < 0 {
		t.Skip("no /proc/self/io")
	}
	const L, H, T, l, h = 6, 8, 96, 4, 5
	dir := t.TempDir()
	att := demo.Stack(L, H, T)
	// float16-exact values, so every file holds the same numbers
	vals := att.Data()
	for i, v := range vals {
		vals[i] = tensor.Float16ToFloat32(tensor.Float32ToFloat16(v))
	}
	att = tensor.New(vals, L, H, T, T)
	head := att.Index(l, h)
	if err := head.SaveNPY(filepath.Join(dir, "head.npy")); err != nil {
		t.Fatal(err)
	}
	// (the head picked from the stack is named in its title: the head alone gets the same title)
	if code, _, stderr := runMain(dir, "render", "-title", "Attention weights — layer 4, head 5", "-o", "$D/alone.png", "$D/head.npy"); code != 0 {
		t.Fatal(stderr)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "alone.png"))
	headBytes := int64(T * T)
	for _, c := range []struct {
		file  string
		save  func(path string) error
		bytes int64 // the most the render may read
	}{
		{"a16.npy", func(p string) error { return att.SaveNPYAs(p, "<f2", false) }, 2*headBytes + 4096},
		{"a32.npy", func(p string) error { return att.SaveNPY(p) }, 4096}, // mapped: only the header is read
		{"a16.safetensors", func(p string) error {
			return tensor.SaveSafetensorsAs(p, map[string]*tensor.Tensor{"attention": att}, nil, "F16")
		}, 2*headBytes + 4096},
		{"a32.safetensors", func(p string) error {
			return tensor.SaveSafetensors(p, map[string]*tensor.Tensor{"attention": att}, nil)
		}, 4096},
		{"abf16.safetensors", func(p string) error {
			return tensor.SaveSafetensorsAs(p, map[string]*tensor.Tensor{"attention": att}, nil, "BF16")
		}, 2*headBytes + 4096},
	} {
		path := filepath.Join(dir, c.file)
		if err := c.save(path); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(path)
		r0 := readBytes()
		code, _, stderr := runMain(dir, "render", "-layer", "4", "-head", "5", "-o", "$D/out.png", "$D/"+c.file)
		read := readBytes() - r0
		if code != 0 {
			t.Fatalf("%s: %s", c.file, stderr)
		}
		if read > c.bytes {
			t.Errorf("%s (%d bytes): the render read %d bytes, want at most %d", c.file, st.Size(), read, c.bytes)
		}
		t.Logf("%s: file %d bytes, head %d values, read %d bytes", c.file, st.Size(), T*T, read)
		got, _ := os.ReadFile(filepath.Join(dir, "out.png"))
		if c.file != "abf16.safetensors" && !bytes.Equal(got, want) {
			t.Errorf("%s: the head's figure differs from the figure of the head stored alone", c.file)
		}
	}
}

// TestRenderHeadOfLongRecord: one head of a [32, 32, 4096, 4096] float16
// record (a 32 GiB safetensors file, sparse on disk) renders as the same
// head stored alone does, reading only its 32 MiB.
func TestRenderHeadOfLongRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 4096² head")
	}
	const L, H, T, l, h = 32, 32, 4096, 30, 2
	dir := t.TempDir()
	head := demo.Attention(T)
	vals := head.Data()
	for i, v := range vals {
		vals[i] = tensor.Float16ToFloat32(tensor.Float32ToFloat16(v))
	}
	head = tensor.New(vals, T, T)
	if !testutil.WriteSparseRecord(t, filepath.Join(dir, "long.safetensors"), L, H, T, l, h, head.Data(), nil) {
		t.Skip("the file system wrote the holes out; not testing a 32 GiB file")
	}
	if err := tensor.SaveSafetensorsAs(filepath.Join(dir, "head.safetensors"), map[string]*tensor.Tensor{"attention": head}, nil, "F16"); err != nil {
		t.Fatal(err)
	}
	r0 := readBytes()
	if code, _, stderr := runMain(dir, "render", "-layer", "30", "-head", "2", "-o", "$D/long.png", "$D/long.safetensors"); code != 0 {
		t.Fatal(stderr)
	}
	read := readBytes() - r0
	if code, _, stderr := runMain(dir, "render", "-title", "Attention weights — layer 30, head 2", "-o", "$D/alone.png", "$D/head.safetensors"); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "long.png"))
	b, _ := os.ReadFile(filepath.Join(dir, "alone.png"))
	if !bytes.Equal(a, b) {
		t.Errorf("the head of the long record draws differently from the head stored alone")
	}
	if r0 >= 0 && read > 2*T*T+64<<10 {
		t.Errorf("read %d bytes for a head of %d", read, 2*T*T)
	}
	t.Logf("record of %d bytes on disk (sparse): read %d bytes", int64(L*H)*2*T*T, read)
}
