package tensor

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

// manifest.json (scripts/make_files.py) holds, for every reference file
// and array in it, the shape and the float32 bits numpy/torch hold.
type refArray struct {
	Shape []int    `json:"shape"`
	Bits  []uint32 `json:"bits"`
}

var (
	manifestOnce sync.Once
	manifestData map[string]map[string]refArray
	manifestErr  error
)

func refManifest(t *testing.T) map[string]map[string]refArray {
	t.Helper()
	manifestOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join("testdata", "files", "manifest.json"))
		if err != nil {
			manifestErr = err
			return
		}
		var m struct {
			Files map[string]map[string]refArray `json:"files"`
		}
		manifestErr = json.Unmarshal(b, &m)
		manifestData = m.Files
	})
	if manifestErr != nil {
		t.Fatalf("reading the reference manifest: %v (regenerate with: make files-ref)", manifestErr)
	}
	return manifestData
}

// forRefFiles calls check with every reference file under prefix: its
// manifest key, path, contents and the arrays the manifest says it holds.
func forRefFiles(t *testing.T, prefix string, check func(key, path string, data []byte, want map[string]refArray)) {
	t.Helper()
	m := refManifest(t)
	for _, key := range refFiles(t, prefix) {
		path := filepath.Join("testdata", "files", key)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		check(key, path, data, m[key])
	}
}

func refFiles(t *testing.T, prefix string) []string {
	var out []string
	for k := range refManifest(t) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no reference files under %s", prefix)
	}
	return out
}

// checkRef compares a tensor with a reference bit for bit (NaN payloads
// included; any NaN matches any NaN only if the bits differ in payload).
func checkRef(t *testing.T, what string, got *Tensor, want refArray) {
	t.Helper()
	if err := got.Err(); err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(got.Shape(), want.Shape) && !(len(got.Shape()) == 0 && len(want.Shape) == 0) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), want.Shape)
		return
	}
	d := got.Data()
	if len(d) != len(want.Bits) {
		t.Errorf("%s: %d values, want %d", what, len(d), len(want.Bits))
		return
	}
	for i, v := range d {
		w := math.Float32frombits(want.Bits[i])
		if math.Float32bits(v) != want.Bits[i] && !(math.IsNaN(float64(v)) && math.IsNaN(float64(w))) {
			t.Errorf("%s: element %d = %g (%#08x), want %g (%#08x)", what, i, v, math.Float32bits(v), w, want.Bits[i])
			return
		}
	}
}

// TestNPYReadsNumpyFiles reads every .npy numpy wrote (float16/32/64 in
// both byte orders, C and Fortran order, header versions 1–3, integers,
// bools, 0-d and empty arrays) and compares bit for bit.
func TestNPYReadsNumpyFiles(t *testing.T) {
	forRefFiles(t, "npy/", func(key, path string, data []byte, want map[string]refArray) {
		checkRef(t, key, LoadNPY(path), want[""])
		got := ReadNPY(iotest.OneByteReader(bytes.NewReader(data))) // the io.Reader path: size unknown
		err := got.Err()
		if err != nil {
			t.Errorf("ReadNPY %s: %v", key, err)
			return
		}
		checkRef(t, key+" (ReadNPY)", got, want[""])
	})
}

// TestNPYWriterMatchesNumpy: what WriteNPYAs writes for the array it read
// is byte for byte what numpy.save wrote, for every float dtype and order.
func TestNPYWriterMatchesNumpy(t *testing.T) {
	for _, key := range refFiles(t, "npy/golden_") {
		path := filepath.Join("testdata", "files", key)
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ReadNPYHeader(bytes.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		x := LoadNPY(path)
		var buf bytes.Buffer
		if err := WriteNPYAs(&buf, x, h.Descr, h.Fortran); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: WriteNPYAs(%q, fortran=%v) differs from numpy.save:\n got %q\nwant %q", key, h.Descr, h.Fortran, head(buf.Bytes()), head(want))
		}
	}
}

func head(b []byte) []byte {
	if len(b) > 160 {
		return b[:160]
	}
	return b
}

// TestNPYRoundTrip writes and reads back every dtype and order.
func TestNPYRoundTrip(t *testing.T) {
	x := RandN(3, 2, 3, 5).Scale(100)
	x = x.Add(Full(0.5, 2, 3, 5)) // values that need all float32 bits
	shapes := []*Tensor{x, Scalar(-2.5), Zeros(0, 4), Arange(0, 7, 1), x.Transpose(0, 2)}
	for _, src := range shapes {
		for _, dt := range []string{"<f2", "<f4", "<f8", ">f2", ">f4", ">f8", "float32", "f8"} {
			for _, fortran := range []bool{false, true} {
				var buf bytes.Buffer
				if err := WriteNPYAs(&buf, src, dt, fortran); err != nil {
					t.Fatalf("WriteNPYAs %s: %v", dt, err)
				}
				h, err := ReadNPYHeader(bytes.NewReader(buf.Bytes()))
				if err != nil || h.Fortran != fortran || !reflect.DeepEqual(h.Shape, src.Shape()) && len(h.Shape)+len(src.Shape()) > 0 {
					t.Fatalf("%s fortran=%v: header %+v, %v", dt, fortran, h, err)
				}
				got := ReadNPY(&buf)
				err = got.Err()
				if err != nil {
					t.Fatalf("%s: %v", dt, err)
				}
				want := src.Data()
				if strings.HasSuffix(dt, "f2") { // float16: rounded once
					for i := range want {
						want[i] = Float16ToFloat32(Float32ToFloat16(want[i]))
					}
				}
				if !reflect.DeepEqual(got.Data(), want) && len(want) > 0 {
					t.Errorf("%s fortran=%v shape %v: round trip changed values", dt, fortran, src.Shape())
				}
				if got.Rank() != src.Rank() {
					t.Errorf("%s: rank %d, want %d", dt, got.Rank(), src.Rank())
				}
			}
		}
	}
}

func TestNPYSaveLoadAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.npy")
	x := MustFromRows([][]float32{{.9, .1}, {.3, .7}})
	if err := x.SaveNPY(p); err != nil {
		t.Fatal(err)
	}
	if got := LoadNPY(p); !reflect.DeepEqual(got.Data(), x.Data()) {
		t.Fatalf("LoadNPY = %v", got)
	}
	// A failed save leaves the old file and no temporary behind.
	bad := Failed(Errorf(ErrValue, "boom"))
	if err := bad.SaveNPY(p); err == nil || !errors.Is(err, ErrValue) {
		t.Fatalf("saving a failed tensor: %v", err)
	}
	if err := x.SaveNPYAs(p, "<i4", false); err == nil || err.Error() != `SaveNPY `+p+`: cannot write dtype "<i4"; use "<f2" (float16), "<f4" (float32) or "<f8" (float64)` {
		t.Fatalf("bad dtype: %v", err)
	}
	if got := LoadNPY(p); !reflect.DeepEqual(got.Data(), x.Data()) {
		t.Fatalf("old file damaged: %v", got)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries after failed saves, want 1", len(ents))
	}
	// Saving into a missing directory fails cleanly.
	err := x.SaveNPY(filepath.Join(dir, "no", "such", "dir", "w.npy"))
	if err == nil || !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing dir: %v", err)
	}
	// A missing file is ErrNotFound and also fs.ErrNotExist.
	if err := LoadNPY(filepath.Join(dir, "missing.npy")).Err(); !errors.Is(err, ErrNotFound) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestNPYWritesViews: the writers read through DataErr, so any view works.
func TestNPYWritesViews(t *testing.T) {
	x := Arange(0, 24, 1).Reshape(2, 3, 4)
	v := x.Permute(2, 0, 1).Slice(0, 1, 3)
	var buf bytes.Buffer
	if err := WriteNPY(&buf, v); err != nil {
		t.Fatal(err)
	}
	got := ReadNPY(&buf)
	err := got.Err()
	if err != nil || !reflect.DeepEqual(got.Data(), v.Data()) || !reflect.DeepEqual(got.Shape(), []int{2, 2, 3}) {
		t.Fatalf("got %v, %v", got, err)
	}
}

// TestWriteFileAtomic: a writer that fails half-way leaves neither a
// partial file nor a temporary file, and an existing file stays intact.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.bin")
	fail := func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 1<<20)) // more than the buffer: reaches the disk
		return Errorf(ErrValue, "npy: disk on fire")
	}
	err := writeFileAtomic("SaveNPY", p, fail)
	if err == nil || err.Error() != "SaveNPY "+p+": disk on fire" || !errors.Is(err, ErrValue) {
		t.Fatalf("got %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %v behind", ents[0].Name())
	}
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeFileAtomic("SaveNPY", p, fail)
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("old file became %q", b)
	}
	if err := writeFileAtomic("SaveNPY", p, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("replaced file: %q mode %v (the old mode should be kept)", b, st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d entries, want 1", len(ents))
	}
	// A directory is refused, for reading and writing.
	if err := Scalar(1).SaveNPY(dir); err == nil || err.Error() != "SaveNPY: "+dir+" is a directory; give a file name" {
		t.Fatalf("save to a directory: %v", err)
	}
	for _, err := range []error{LoadNPY(dir).Err(), LoadNPZ(dir).Err(), LoadSafetensors(dir).Err()} {
		if err == nil || !strings.HasSuffix(err.Error(), dir+" is a directory; give the path of a file") || !errors.Is(err, ErrValue) {
			t.Errorf("load a directory: %v", err)
		}
	}
}
