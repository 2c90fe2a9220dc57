package tensor

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestConstructorsAndViews(t *testing.T) {
	x := Arange(0, 24, 1).Reshape(2, 3, 4)
	if err := x.Err(); err != nil {
		t.Fatal(err)
	}
	if got := x.At(1, 2, 3); got != 23 {
		t.Fatalf("At(1,2,3) = %v, want 23", got)
	}
	// Index fixes leading dims and shares storage.
	y := x.Index(1)
	if !reflect.DeepEqual(y.Shape(), []int{3, 4}) || y.At(0, 0) != 12 {
		t.Fatalf("Index(1): shape %v first %v", y.Shape(), y.At(0, 0))
	}
	// Transpose is a view: strides swap, data read through the host path is permuted.
	tr := x.Index(0).T()
	if tr.IsContiguous() {
		t.Fatal("transpose should not be contiguous")
	}
	want := []float32{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}
	if got := tr.Data(); !reflect.DeepEqual(got, want) {
		t.Fatalf("T().Data() = %v, want %v", got, want)
	}
	if got := tr.Contiguous().Strides(); !reflect.DeepEqual(got, []int{3, 1}) {
		t.Fatalf("Contiguous strides %v", got)
	}
	// Permute then reshape copies.
	p := x.Permute(2, 0, 1)
	if !reflect.DeepEqual(p.Shape(), []int{4, 2, 3}) || p.At(3, 1, 2) != x.At(1, 2, 3) {
		t.Fatalf("Permute wrong: %v", p.Shape())
	}
	if r := p.Reshape(-1, 6); !reflect.DeepEqual(r.Shape(), []int{4, 6}) || r.At(0, 3) != 12 {
		t.Fatalf("Reshape(-1,6) of permuted: %v %v", r.Shape(), r.Data())
	}
	// Slice and Select.
	s := x.Slice(2, 1, 3)
	if !reflect.DeepEqual(s.Shape(), []int{2, 3, 2}) || s.At(1, 0, 0) != 13 {
		t.Fatalf("Slice: %v", s.Data())
	}
	if sel := x.Select(1, -1); !reflect.DeepEqual(sel.Data(), []float32{8, 9, 10, 11, 20, 21, 22, 23}) {
		t.Fatalf("Select: %v", sel.Data())
	}
	if u := x.Unsqueeze(0); !reflect.DeepEqual(u.Shape(), []int{1, 2, 3, 4}) || u.Squeeze(0).At(1, 1, 1) != 17 {
		t.Fatal("Unsqueeze/Squeeze")
	}
	if r := MustFromRows([][]float32{{1, 2}, {3, 4}}).Rows(); !reflect.DeepEqual(r, [][]float32{{1, 2}, {3, 4}}) {
		t.Fatal("Rows")
	}
	if v := Full(2.5, 2, 2).Data(); !reflect.DeepEqual(v, []float32{2.5, 2.5, 2.5, 2.5}) {
		t.Fatal("Full")
	}
	if a, b := RandN(7, 3, 3).Data(), RandN(7, 3, 3).Data(); !reflect.DeepEqual(a, b) {
		t.Fatal("RandN not reproducible")
	}
	for _, v := range RandU(1, -1, 1, 100).Data() {
		if v < -1 || v >= 1 {
			t.Fatalf("RandU out of range: %v", v)
		}
	}
}

func TestBadInputs(t *testing.T) {
	cases := []struct {
		name string
		t    *Tensor
		kind error
		msg  string
	}{
		{"ragged rows", FromRows([][]float32{{1, 2}, {3}}), ErrShape, "FromRows: row 1 has 1 value but row 0 has 2; every row must have the same length"},
		{"New size", New([]float32{1, 2, 3}, 2, 2), ErrShape, "New: shape holds 4 elements but 3 values were given: [2 2]"},
		{"negative dim", Zeros(2, -1), ErrShape, "Zeros: dimensions must not be negative: [2 -1]"},
		{"huge", Zeros(1<<20, 1<<20), ErrShape, "Zeros: more than 2147483647 elements: [1048576 1048576]; use a smaller shape"},
		{"reshape", Zeros(2, 3).Reshape(4, 2), ErrShape, "Reshape: 6 elements cannot take a shape of 8: [2 3] × [4 2]; the product of the new shape must equal the old one's"},
		{"index", Zeros(2, 3).Index(5), ErrShape, "Index: index 5 out of range for dimension 0 (size 2): [2 3]; valid indices are 0..1"},
		{"permute", Zeros(2, 3).Permute(0, 0), ErrShape, "Permute: [0 0] is not a permutation of 0..1: [2 3]"},
		{"arange", Arange(0, 1, 0), ErrValue, "Arange: step must be a finite non-zero number, got 0"},
		{"randu", RandU(1, 1, 1, 2), ErrValue, "RandU: want lo < hi, got lo=1 hi=1"},
		{"propagates", FromRows([][]float32{{1}, {}}).T().Reshape(-1), ErrShape, "FromRows: row 1 has 0 values but row 0 has 1; every row must have the same length"},
		{"unknown device", Zeros(1).ToName("tpu"), ErrDevice, `tensor: no device "tpu"; devices here: `},
	}
	for _, c := range cases {
		err := c.t.Err()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: %v is not %v", c.name, err, c.kind)
		}
		if !strings.HasPrefix(err.Error(), c.msg) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, err.Error(), c.msg)
		}
		if !strings.HasPrefix(c.t.String(), "tensor error: ") {
			t.Errorf("%s: String() = %q", c.name, c.t.String())
		}
	}
	var se *ShapeError
	if !errors.As(Zeros(2).Reshape(3).Err(), &se) || se.Op != "Reshape" || !reflect.DeepEqual(se.Shapes, [][]int{{2}, {3}}) {
		t.Fatalf("errors.As ShapeError: %+v", se)
	}
}

func TestString(t *testing.T) {
	got := MustFromRows([][]float32{{1, 0.5}, {-2, 3}}).String()
	want := "tensor([[1, 0.5],\n        [-2, 3]], shape=[2 2])"
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if s := Arange(0, 10, 1).String(); s != "tensor([0, 1, 2, ..., 7, 8, 9], shape=[10])" {
		t.Fatalf("long: %q", s)
	}
}

func TestDefaultDeviceEnv(t *testing.T) {
	t.Setenv("ATTNVIZ_DEVICE", "nosuch")
	if Default() != CPU {
		t.Fatal("unknown ATTNVIZ_DEVICE must fall back to cpu")
	}
	if err := DefaultErr(); err == nil || !strings.Contains(err.Error(), "ATTNVIZ_DEVICE=nosuch") {
		t.Fatalf("DefaultErr = %v", err)
	}
	os.Unsetenv("ATTNVIZ_DEVICE")
	if d, err := Lookup("CPU"); err != nil || d != CPU {
		t.Fatal("Lookup cpu")
	}
}

// fakeDev is an accelerator whose storage is host memory; it checks that
// ops without a native implementation fall back to the CPU and come back.
type fakeDev struct{ runs []opKind }

type fakeBuf []float32

func (b fakeBuf) Len() int                     { return len(b) }
func (b fakeBuf) Download(dst []float32) error { copy(dst, b); return nil }
func (b fakeBuf) downloadRange(dst []float32, off int) error {
	copy(dst, b[off:off+len(dst)])
	return nil
}

func (f *fakeDev) Name() string     { return "fake:0" }
func (f *fakeDev) Available() error { return nil }
func (f *fakeDev) upload(d []float32) (deviceBuffer, error) {
	return fakeBuf(append([]float32(nil), d...)), nil
}
func (f *fakeDev) alloc(n int) (deviceBuffer, error) { return make(fakeBuf, n), nil }
func (f *fakeDev) run(op opKind, in []*Tensor, p opParams) ([]*Tensor, bool, error) {
	f.runs = append(f.runs, op)
	return nil, false, nil
}

func TestDeviceSeam(t *testing.T) {
	dev := &fakeDev{}
	x := MustFromRows([][]float32{{1, 2}, {3, 4}}).To(dev)
	if x.Device() != Device(dev) || x.buf == nil {
		t.Fatal("To(dev) did not move")
	}
	if got := x.T().Data(); !reflect.DeepEqual(got, []float32{1, 3, 2, 4}) {
		t.Fatalf("host path through device view: %v", got)
	}
	if x.At(1, 0) != 3 {
		t.Fatal("At on device")
	}
	// A view reads only its span: one "head" of a [2, 2, 3] tensor, transposed.
	big := Arange(0, 12, 1).Reshape(2, 2, 3).To(dev)
	if got := big.Index(1).T().Data(); !reflect.DeepEqual(got, []float32{6, 9, 7, 10, 8, 11}) {
		t.Fatalf("partial download of a view: %v", got)
	}
	if got := big.Index(1).Slice(1, 1, 3).Data(); !reflect.DeepEqual(got, []float32{7, 8, 10, 11}) {
		t.Fatalf("partial download of a slice: %v", got)
	}
	const opTwice = opKind(len(opNames)) // an op no device knows
	out := apply1(opTwice, []*Tensor{x}, opParams{}, func(in []*Tensor) *Tensor {
		d := in[0].Data()
		for i := range d {
			d[i] *= 2
		}
		return newHost(d, in[0].shape)
	})
	if out.Device() != Device(dev) || !reflect.DeepEqual(out.Data(), []float32{2, 4, 6, 8}) || len(dev.runs) != 1 {
		t.Fatalf("fallback: %v on %s, runs %v", out.Data(), out.Device().Name(), dev.runs)
	}
	mixed := apply1(opAdd, []*Tensor{x, Zeros(2, 2)}, opParams{}, nil)
	if !errors.Is(mixed.Err(), ErrDevice) || !strings.Contains(mixed.Err().Error(), "Add: tensors are on different devices (fake:0 and cpu); move one with t.To(fake:0)") {
		t.Fatalf("mixed devices: %v", mixed.Err())
	}
	if back := x.To(CPU); back.Device() != CPU || !reflect.DeepEqual(back.Data(), []float32{1, 2, 3, 4}) {
		t.Fatal("To(CPU)")
	}
}
