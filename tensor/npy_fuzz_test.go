package tensor

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Fuzz targets for the three readers. `go test` runs the seeds and the
// saved regression inputs in testdata/fuzz/; `make fuzz-files` (or
// go test -run '^$' -fuzz '^FuzzReadNPY$' -fuzztime 1m ./tensor/) explores.

// seed adds every file under testdata/files/<dir> and what write writes as
// seeds.
func seed(f *testing.F, dir string, write func(w io.Writer) error) {
	addSeedFiles(f, dir)
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
}

// refused reports whether a reader refused its input, failing t when the
// error does not say the format is bad.
func refused(t *testing.T, err error) bool {
	if err != nil && !errors.Is(err, ErrFormat) {
		t.Fatalf("error without ErrFormat: %v", err)
	}
	return err != nil
}

// addSeedFiles adds every file under testdata/files/<dir> as a seed.
func addSeedFiles(f *testing.F, dir string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "files", dir, "*"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, c := range badFileCases() {
		if c.format == map[string]string{"npy": "npy", "npz": "npz", "st": "safetensors"}[dir] {
			f.Add(c.data)
		}
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func FuzzReadNPY(f *testing.F) {
	seed(f, "npy", func(w io.Writer) error { return WriteNPYAs(w, Arange(0, 6, 1).Reshape(2, 3), "<f2", true) })
	f.Fuzz(func(t *testing.T, data []byte) {
		x := ReadNPY(bytes.NewReader(data))
		if refused(t, x.Err()) {
			return
		}
		// What we read, we write and read back unchanged (float32).
		var out bytes.Buffer
		if err := WriteNPY(&out, x); err != nil {
			t.Fatal(err)
		}
		y := ReadNPY(&out)
		if err := y.Err(); err != nil {
			t.Fatalf("reading our own output: %v", err)
		}
		if !reflect.DeepEqual(x.Shape(), y.Shape()) || !sameBits(x.Data(), y.Data()) {
			t.Fatalf("round trip changed %v into %v", x.Shape(), y.Shape())
		}
	})
}
