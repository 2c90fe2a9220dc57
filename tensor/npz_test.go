package tensor

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestNPZReadsNumpyFiles reads numpy.savez (stored) and
// numpy.savez_compressed (deflated) archives holding float16/32/64,
// Fortran-ordered, empty and 0-d arrays.
func TestNPZReadsNumpyFiles(t *testing.T) {
	forRefFiles(t, "npz/", func(key, path string, data []byte, want map[string]refArray) {
		z := LoadNPZ(path)
		if err := z.Err(); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		all := z.Tensors()
		if len(all) != len(want) {
			t.Errorf("%s: %d arrays, want %d", key, len(all), len(want))
		}
		names, err := NPZNames(path)
		if err != nil || !reflect.DeepEqual(names, []string{"attention", "bias", "empty", "fortran", "half", "scalar"}) {
			t.Errorf("%s: NPZNames = %v, %v", key, names, err)
		}
		for name, w := range want {
			checkRef(t, key+":"+name, all[name], w)
			checkRef(t, key+":"+name+" (LoadNPZTensor)", LoadNPZTensor(path, name), w)
		}
		all2 := ReadNPZ(bytes.NewReader(data), int64(len(data)))
		if err := all2.Err(); err != nil || len(all2.Names()) != len(all) {
			t.Errorf("ReadNPZ %s: %v", key, err)
		}
	})
}

func TestNPZMissingName(t *testing.T) {
	path := filepath.Join("testdata", "files", "npz", "savez.npz")
	err := LoadNPZTensor(path, "atention").Err()
	want := `LoadNPZTensor ` + path + `: no array named "atention"; the file has "attention", "bias", "empty", "fortran", "half", "scalar"`
	if err == nil || err.Error() != want || !errors.Is(err, ErrNotFound) {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func TestNPZRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := map[string]*Tensor{
		"attention": RandU(1, 0, 1, 2, 4, 4).Softmax(-1),
		"tokens":    Arange(0, 4, 1),
		"scalar":    Scalar(7),
		"empty":     Zeros(0, 3),
		"view":      Arange(0, 6, 1).Reshape(2, 3).T(),
	}
	for _, compressed := range []bool{false, true} {
		p := filepath.Join(dir, "x.npz")
		save := SaveNPZ
		if compressed {
			save = SaveNPZCompressed
		}
		if err := save(p, in); err != nil {
			t.Fatal(err)
		}
		z := LoadNPZ(p)
		if err := z.Err(); err != nil {
			t.Fatal(err)
		}
		out := z.Tensors()
		for k, v := range in {
			if !reflect.DeepEqual(out[k].Shape(), v.Shape()) || !reflect.DeepEqual(out[k].Data(), v.Data()) {
				t.Errorf("compressed=%v %s: got %v want %v", compressed, k, out[k], v)
			}
		}
		// Deterministic bytes.
		var a, b bytes.Buffer
		if err := WriteNPZ(&a, in, compressed); err != nil {
			t.Fatal(err)
		}
		if err := WriteNPZ(&b, in, compressed); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Error("WriteNPZ is not deterministic")
		}
	}
	// A bad tensor: error, and nothing written.
	p := filepath.Join(dir, "bad.npz")
	err := SaveNPZ(p, map[string]*Tensor{"ok": Scalar(1), "bad": New([]float32{1, 2}, 3)})
	if err == nil || !errors.Is(err, ErrShape) || !strings.HasPrefix(err.Error(), `SaveNPZ `+p+`: array "bad": New: shape holds 3 elements but 2 values were given`) {
		t.Fatalf("got %v", err)
	}
	if _, e := os.Stat(p); !os.IsNotExist(e) {
		t.Fatalf("a failed SaveNPZ left %s behind", p)
	}
	if err := SaveNPZ(p, map[string]*Tensor{"": Scalar(1)}); err == nil || err.Error() != `SaveNPZ `+p+`: an array has an empty name; give every tensor a name` {
		t.Fatalf("got %v", err)
	}
}

// TestNumpyReadsOurFiles checks, when Debian's python3-numpy is installed,
// that numpy.load reads what SaveNPY/SaveNPZ wrote. Skipped otherwise: the
// byte-for-byte comparison with numpy's own files above covers .npy.
func TestNumpyReadsOurFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("python3-numpy not installed")
	}
	dir := t.TempDir()
	x := Arange(0, 12, 1).Reshape(3, 4).Scale(0.5)
	if err := x.SaveNPYAs(filepath.Join(dir, "f.npy"), "<f2", true); err != nil {
		t.Fatal(err)
	}
	if err := SaveNPZCompressed(filepath.Join(dir, "z.npz"), map[string]*Tensor{"a": x, "s": Scalar(2)}); err != nil {
		t.Fatal(err)
	}
	script := `
import numpy as np, sys
d = sys.argv[1]
f = np.load(d + "/f.npy")
assert f.dtype == np.float16 and f.flags.f_contiguous and f.shape == (3, 4), (f.dtype, f.shape)
assert (f == np.arange(12).reshape(3, 4) * 0.5).all()
z = np.load(d + "/z.npz")
assert sorted(z.files) == ["a", "s"], z.files
assert (z["a"] == f).all() and z["s"].shape == () and z["s"] == 2
print("ok")
`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("numpy could not read our files: %v\n%s", err, out)
	}
}
