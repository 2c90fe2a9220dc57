package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
)

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r     io.ReaderAt
	n     atomic.Int64
	calls atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	k, err := c.r.ReadAt(p, off)
	c.n.Add(int64(k))
	c.calls.Add(1)
	return k, err
}

func sameValues(t *testing.T, what string, got, want *Tensor) {
	t.Helper()
	if err := got.Err(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	if g, w := got.Data(), want.Data(); !slices.Equal(g, w) {
		t.Fatalf("%s: values differ from the whole array's slice", what)
	}
}

// halfExact is a [L, H, T, T] tensor whose values float16 holds exactly.
func halfExact(shape ...int) *Tensor {
	r := RandN(7, shape...).Data()
	for i, v := range r {
		r[i] = Float16ToFloat32(Float32ToFloat16(v))
	}
	return New(r, shape...)
}

// TestLoadNPYAtReadsOnlyTheSlice: a head of a [L, H, T, T] .npy file is its
// slice of the whole array, for every dtype and both orders, and reading
// it reads the header and the slice's bytes — nothing else.
func TestLoadNPYAtReadsOnlyTheSlice(t *testing.T) {
	const L, H, T = 3, 4, 6
	all := halfExact(L, H, T, T+1)
	dir := t.TempDir()
	for _, c := range []struct {
		dtype   string
		size    int
		fortran bool
	}{{"<f4", 4, false}, {"<f2", 2, false}, {">f8", 8, false}, {">f4", 4, false}, {"<f4", 4, true}} {
		path := filepath.Join(dir, "a.npy")
		if err := all.SaveNPYAs(path, c.dtype, c.fortran); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		h, err := ReadNPYHeader(f)
		if err != nil {
			t.Fatal(err)
		}
		hdr, _ := f.Seek(0, io.SeekCurrent)
		_ = h
		for _, idx := range [][]int{{2, 3}, {0, 0}, {1}, {1, 2, 5}, nil} {
			cr := &countingReaderAt{r: f}
			got, err := readNPYAt(cr, st.Size(), idx, "test")
			if err != nil {
				t.Fatalf("%s %v: %v", c.dtype, idx, err)
			}
			want := all
			if idx != nil {
				want = all.Index(idx...)
			}
			sameValues(t, c.dtype+" slice", got, want)
			wantBytes := hdr + int64(want.Len()*c.size)
			if c.fortran && len(idx) > 0 {
				wantBytes = st.Size() // no contiguous slices: read whole
			}
			if cr.n.Load() != wantBytes {
				t.Errorf("%s fortran=%v slice %v: read %d bytes, want %d (header %d + slice %d)", c.dtype, c.fortran, idx, cr.n.Load(), wantBytes, hdr, want.Len()*c.size)
			}
		}
		sameValues(t, "LoadNPYAt", LoadNPYAt(path, 2, 1), all.Index(2, 1))
		f.Close()
	}
}

func TestLoadNPYAtErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.npy")
	if err := Zeros(2, 3, 4, 4).SaveNPY(path); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		idx  []int
		want string
	}{
		{[]int{2, 0}, "index 2 is out of range for dimension 0 of shape [2 3 4 4]; use 0 … 1"},
		{[]int{1, -1}, "index -1 is out of range for dimension 1 of shape [2 3 4 4]; use 0 … 2"},
		{[]int{0, 0, 0, 0, 0}, "5 indices for an array of shape [2 3 4 4]; give at most 4"},
	} {
		err := LoadNPYAt(path, c.idx...).Err()
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrShape) {
			t.Errorf("LoadNPYAt %v: %v, want …%s (ErrShape)", c.idx, err, c.want)
		}
	}
	if err := LoadNPYAt(filepath.Join(t.TempDir(), "missing.npy"), 0).Err(); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
}

// TestSafetensorsTensorAtReadsOnlyTheSlice: TensorAt on an opened file
// reads the header and the slice's bytes; F16 and BF16 are converted as
// they arrive and agree with the whole tensor's slice.
func TestSafetensorsTensorAtReadsOnlyTheSlice(t *testing.T) {
	const L, H, T = 2, 3, 5
	all := halfExact(L, H, T, T)
	other := halfExact(4, 4)
	for _, c := range []struct {
		dtype string
		size  int
	}{{"F16", 2}, {"BF16", 2}, {"F32", 4}, {"F64", 8}} {
		var buf bytes.Buffer
		if err := WriteSafetensorsAs(&buf, map[string]*Tensor{"attention": all, "other": other}, map[string]string{"tokens": "[]"}, c.dtype); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		hdrLen := int64(8 + binary.LittleEndian.Uint64(b))
		whole := ReadSafetensors(bytes.NewReader(b))
		if err := whole.Err(); err != nil {
			t.Fatal(err)
		}
		cr := &countingReaderAt{r: bytes.NewReader(b)}
		f, err := openSafetensors(cr, int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if cr.n.Load() != hdrLen {
			t.Errorf("%s: opening read %d bytes, want the %d of the header", c.dtype, cr.n.Load(), hdrLen)
		}
		for _, idx := range [][]int{{1, 2}, {0}, {0, 0, 4}} {
			before := cr.n.Load()
			got := f.TensorAt("attention", idx...)
			want := whole.Tensor("attention").Index(idx...)
			sameValues(t, c.dtype, got, want)
			sameValues(t, c.dtype+" in memory", whole.TensorAt("attention", idx...), want)
			if n := cr.n.Load() - before; n != int64(want.Len()*c.size) {
				t.Errorf("%s slice %v: read %d bytes, want %d", c.dtype, idx, n, want.Len()*c.size)
			}
		}
		sameValues(t, c.dtype+" Tensor", f.Tensor("other"), whole.Tensor("other"))
	}
}

func TestSafetensorsTensorAtErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.safetensors")
	if err := SaveSafetensors(path, map[string]*Tensor{"attention": Zeros(2, 3, 4, 4)}, nil); err != nil {
		t.Fatal(err)
	}
	f := OpenSafetensors(path)
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		idx  []int
		want string
	}{
		{"attention", []int{0, 3}, `safetensors: tensor "attention": index 3 is out of range for dimension 1 of shape [2 3 4 4]; use 0 … 2`},
		{"attn", []int{0}, `safetensors: no tensor named "attn"; the file has "attention"`},
	} {
		if err := f.TensorAt(c.name, c.idx...).Err(); err == nil || err.Error() != c.want {
			t.Errorf("TensorAt(%q, %v): %v, want %s", c.name, c.idx, err, c.want)
		}
	}
	f.Close()
	if err := f.TensorAt("attention", 0, 0).Err(); err == nil || !strings.Contains(err.Error(), "the file is closed") {
		t.Errorf("after Close: %v", err)
	}
}

// TestSafetensorsHeadOfLongRecord: one head of a [32, 32, 4096, 4096] F16
// record (a 32 GiB file, sparse on disk) is read with the bytes of that
// head alone, and holds the values written there.
func TestSafetensorsHeadOfLongRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 32 MiB slice")
	}
	const L, H, T, l, h = 32, 32, 4096, 21, 7
	head := halfExact(T, T)
	path := filepath.Join(t.TempDir(), "long.safetensors")
	if !testutil.WriteSparseRecord(t, path, L, H, T, l, h, head.Data(), map[string]string{"layout": "layers, heads, queries, keys"}) {
		t.Skip("the file system wrote the holes out; not testing a 32 GiB file")
	}
	osf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer osf.Close()
	st, _ := osf.Stat()
	cr := &countingReaderAt{r: osf}
	f, err := openSafetensors(cr, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	hdr := cr.n.Load()
	got := f.TensorAt("attention", l, h)
	sameValues(t, "head", got, head)
	if n := cr.n.Load() - hdr; n != T*T*2 {
		t.Errorf("read %d bytes for the head, want %d", n, T*T*2)
	}
	t.Logf("file %d bytes; read %d (header) + %d (head)", st.Size(), hdr, cr.n.Load()-hdr)
	if err := f.TensorAt("attention").Err(); err == nil || !strings.Contains(err.Error(), "more than a tensor can hold") {
		t.Errorf("the whole record (16 Gi elements) is more than a tensor holds: %v", err)
	}
}
