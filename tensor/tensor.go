package tensor

import (
	"fmt"
	"math"
	"math/rand"
	"strings"

	"github.com/attnviz/attnviz/internal/english"
)

// Tensor is an N-dimensional array of float32 on a Device.
//
// Memory layout: element (i0, i1, ..., ik) of a tensor with Shape s and
// Strides st is stored at
//
//	storage[Offset + i0*st[0] + i1*st[1] + ... + ik*st[k]]
//
// A freshly made tensor is contiguous (row-major: the last index varies
// fastest, st[k] == 1). Views (Index, Select, Slice, Transpose, Permute, and
// Reshape of a contiguous tensor) share storage with their source and only
// change shape, strides and offset; Contiguous copies when needed.
//
// A Tensor carries its error: an operation given bad input returns a
// tensor whose Err is non-nil, and operations on such a tensor pass the
// error on (the rule is in the package doc, under Errors).
type Tensor struct {
	shape   []int
	strides []int
	offset  int
	data    []float32    // host storage when dev is CPU
	dev     Device       // never nil for a valid tensor
	buf     deviceBuffer // storage on a non-CPU device
	err     error
	ws      wsTag // the Workspace the tensor belongs to, if any
}

// Err returns the error carried by t, or nil. A nil *Tensor and the zero
// Tensor (a Tensor{} literal, which holds nothing) have an error too.
func (t *Tensor) Err() error {
	switch {
	case t == nil:
		return Errorf(ErrValue, "tensor: nil tensor")
	case t.dev == nil && t.err == nil:
		return Errorf(ErrValue, "tensor: zero Tensor value; make tensors with New, Zeros, FromRows or another constructor")
	}
	if t.err == nil && t.released() {
		return errReleased()
	}
	return t.err
}

// Must returns t, or panics with its error.
func (t *Tensor) Must() *Tensor {
	if err := t.Err(); err != nil {
		panic(err)
	}
	return t
}

// Failed returns a tensor that carries err. Packages building on tensor
// use it to report errors in the same style.
func Failed(err error) *Tensor {
	if err == nil {
		err = Errorf(ErrValue, "tensor: Failed called with a nil error")
	}
	return &Tensor{err: err, dev: CPU}
}

// Shape returns a copy of the tensor's dimensions.
func (t *Tensor) Shape() []int {
	if t == nil {
		return nil
	}
	return append([]int(nil), t.shape...)
}

// Strides returns a copy of the tensor's strides, in elements.
func (t *Tensor) Strides() []int {
	if t == nil {
		return nil
	}
	return append([]int(nil), t.strides...)
}

// Offset is the index in storage of the first element (0 for a nil
// tensor).
func (t *Tensor) Offset() int {
	if t == nil {
		return 0
	}
	return t.offset
}

// Rank is the number of dimensions (0 for a scalar).
func (t *Tensor) Rank() int {
	if t == nil {
		return 0
	}
	return len(t.shape)
}

// Dim returns the size of dimension d; negative d counts from the end.
// A tensor that carries an error (nil, zero, failed) has no dimensions:
// Dim returns 0. It panics if d is out of range for a tensor without an
// error, as indexing a slice does.
func (t *Tensor) Dim(d int) int {
	if t.Err() != nil {
		return 0
	}
	nd, ok := normDim(d, len(t.shape))
	if !ok {
		panic(fmt.Sprintf("tensor: Dim(%d) out of range for shape %v", d, t.shape))
	}
	return t.shape[nd]
}

// Len is the number of elements (the product of the shape).
func (t *Tensor) Len() int {
	if t == nil {
		return 0
	}
	return numel(t.shape)
}

// Device returns the device that holds the tensor's elements.
func (t *Tensor) Device() Device {
	if t == nil || t.dev == nil {
		return CPU
	}
	return t.dev
}

// IsContiguous reports whether the elements are laid out row-major with no
// gaps, starting at Offset. A nil tensor is not.
func (t *Tensor) IsContiguous() bool {
	return t != nil && isContiguous(t.shape, t.strides)
}

func isContiguous(shape, strides []int) bool {
	want := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && strides[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

func rowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

func normDim(d, rank int) (int, bool) {
	if d < 0 {
		d += rank
	}
	return d, d >= 0 && d < rank
}

// maxElements bounds the size of a tensor made by a constructor (2^31
// elements, 8 GiB of float32), so a mistyped shape gives an error instead
// of exhausting memory.
const maxElements = math.MaxInt32

func checkShape(op string, shape []int) error {
	n := 1
	for _, s := range shape {
		if s < 0 {
			return shapeErr(op, "dimensions must not be negative", "", shape)
		}
		if s != 0 && n > maxElements/s {
			return shapeErr(op, fmt.Sprintf("more than %d elements", maxElements), "use a smaller shape", shape)
		}
		n *= s
	}
	return nil
}

// newHost wraps host data (not copied) as a contiguous CPU tensor.
func newHost(data []float32, shape []int) *Tensor {
	return &Tensor{shape: append([]int(nil), shape...), strides: rowMajorStrides(shape), data: data, dev: CPU}
}

// onDefault moves a freshly made CPU tensor to the default device.
func onDefault(t *Tensor) *Tensor {
	if d := Default(); d != CPU && t.err == nil {
		return t.To(d)
	}
	return t
}

// New returns a tensor with the given shape holding data (copied), in
// row-major order. With no shape, data becomes a 1-D tensor. A shape whose
// size differs from len(data) gives a tensor carrying an ErrShape error.
func New(data []float32, shape ...int) *Tensor {
	return wrap("New", data, shape, true)
}

// Wrap is New without the copy: the tensor takes data over (the caller
// must not change it afterwards). On a GPU default device it is copied
// there as New would. Readers of big files use it so the values exist once.
func Wrap(data []float32, shape ...int) *Tensor {
	return wrap("Wrap", data, shape, false)
}

func wrap(op string, data []float32, shape []int, copyData bool) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	if err := checkShape(op, shape); err != nil {
		return Failed(err)
	}
	if numel(shape) != len(data) {
		return Failed(shapeErr(op, fmt.Sprintf("shape holds %s but %s given", english.Count(numel(shape), "element"), english.Count(len(data), "value")+" "+english.Verb(len(data) != 1, "was")), "", shape))
	}
	if copyData {
		data = append([]float32(nil), data...)
	}
	return onDefault(newHost(data, shape))
}

// FromRows makes a 2-D tensor from rows of equal length:
//
//	w := tensor.FromRows([][]float32{{.9, .1}, {.3, .7}})
//
// Ragged rows give a tensor carrying an ErrShape error.
func FromRows(rows [][]float32) *Tensor {
	if len(rows) == 0 {
		return onDefault(newHost(nil, []int{0, 0}))
	}
	n := len(rows[0])
	data := make([]float32, 0, len(rows)*n)
	for i, r := range rows {
		if len(r) != n {
			return Failed(shapeErr("FromRows", fmt.Sprintf("row %d has %s but row 0 has %d", i, english.Count(len(r), "value"), n), "every row must have the same length"))
		}
		data = append(data, r...)
	}
	return onDefault(newHost(data, []int{len(rows), n}))
}

// MustFromRows is FromRows that panics on ragged rows; for literals in
// examples and notebooks.
func MustFromRows(rows [][]float32) *Tensor { return FromRows(rows).Must() }

// Scalar returns a 0-D tensor holding v.
func Scalar(v float32) *Tensor { return onDefault(newHost([]float32{v}, nil)) }

// Full returns a tensor of the given shape with every element v.
func Full(v float32, shape ...int) *Tensor { return full("Full", v, shape) }

func full(op string, v float32, shape []int) *Tensor {
	if err := checkShape(op, shape); err != nil {
		return Failed(err)
	}
	d := make([]float32, numel(shape))
	if v != 0 {
		for i := range d {
			d[i] = v
		}
	}
	return onDefault(newHost(d, shape))
}

// Zeros returns a tensor of zeros.
func Zeros(shape ...int) *Tensor { return full("Zeros", 0, shape) }

// Ones returns a tensor of ones.
func Ones(shape ...int) *Tensor { return full("Ones", 1, shape) }

// Arange returns the 1-D tensor start, start+step, ... up to but not
// including stop, as torch.arange does.
func Arange(start, stop, step float32) *Tensor {
	if step == 0 || math.IsNaN(float64(step)) || math.IsInf(float64(step), 0) {
		return Failed(Errorf(ErrValue, "Arange: step must be a finite non-zero number, got %v", step))
	}
	if math.IsNaN(float64(start)) || math.IsInf(float64(start), 0) || math.IsNaN(float64(stop)) || math.IsInf(float64(stop), 0) {
		return Failed(Errorf(ErrValue, "Arange: start and stop must be finite numbers, got %v and %v", start, stop))
	}
	x := math.Ceil(float64((stop - start) / step))
	if x > maxElements { // also +Inf when stop - start overflows float32
		return Failed(Errorf(ErrValue, "Arange: %v..%v by %v makes too many elements", start, stop, step))
	}
	n := max(int(x), 0)
	d := make([]float32, n)
	for i := range d {
		d[i] = start + float32(i)*step
	}
	return onDefault(newHost(d, []int{n}))
}

// RandN returns a tensor of samples from the standard normal distribution,
// reproducible for a given seed.
func RandN(seed int64, shape ...int) *Tensor {
	if err := checkShape("RandN", shape); err != nil {
		return Failed(err)
	}
	r := rand.New(rand.NewSource(seed))
	d := make([]float32, numel(shape))
	for i := range d {
		d[i] = float32(r.NormFloat64())
	}
	return onDefault(newHost(d, shape))
}

// RandU returns a tensor of samples uniform in [lo, hi), reproducible for a
// given seed.
func RandU(seed int64, lo, hi float32, shape ...int) *Tensor {
	if err := checkShape("RandU", shape); err != nil {
		return Failed(err)
	}
	if !(hi > lo) {
		return Failed(Errorf(ErrValue, "RandU: want lo < hi, got lo=%v hi=%v", lo, hi))
	}
	r := rand.New(rand.NewSource(seed))
	d := make([]float32, numel(shape))
	for i := range d {
		d[i] = lo + (hi-lo)*float32(r.Float64())
	}
	return onDefault(newHost(d, shape))
}

// --- host access -----------------------------------------------------------

// Data returns the elements in row-major order as a new host slice, from
// whatever device holds them. It is the one path by which viz, the file
// writers and users read a tensor. It returns nil when t carries an error
// or the device copy fails (see DataErr).
func (t *Tensor) Data() []float32 {
	d, _ := t.DataErr()
	return d
}

// DataErr is Data with the error: the tensor's own error or the device's.
func (t *Tensor) DataErr() ([]float32, error) {
	if err := t.Err(); err != nil {
		return nil, err
	}
	h, err := t.host()
	if err != nil {
		return nil, err
	}
	if h.IsContiguous() {
		n := h.Len()
		return append([]float32(nil), h.data[h.offset:h.offset+n]...), nil
	}
	out := make([]float32, h.Len())
	h.gather(out)
	return out, nil
}

// ReadOnlyData is DataErr without the copy where one is not needed: when t
// is contiguous in CPU memory that no Workspace will hand out again, the
// slice shares t's storage (the caller must not change it); otherwise it
// is a fresh copy, as from DataErr. Figures of long sequences read their
// values this way: a 16384² matrix is 1 GiB.
func (t *Tensor) ReadOnlyData() ([]float32, error) {
	if err := t.Err(); err != nil {
		return nil, err
	}
	if t.Device() == CPU && t.ws.owner == nil && t.IsContiguous() {
		n := t.Len()
		return t.data[t.offset : t.offset+n : t.offset+n], nil
	}
	return t.DataErr()
}

// host returns t itself if it is on the CPU, or a CPU view of a copy of
// its device storage (same shape, strides and offset).
func (t *Tensor) host() (*Tensor, error) {
	if t.Device() == CPU || t.buf == nil {
		return t, nil
	}
	// Copy only the span of storage the view can reach (one head of a
	// [L, H, T, T] record, not the whole record) when the buffer can.
	if r, ok := t.buf.(interface{ downloadRange([]float32, int) error }); ok {
		lo, hi := t.offset, t.offset
		if numel(t.shape) > 0 {
			for i, s := range t.shape {
				if st := t.strides[i] * (s - 1); st > 0 {
					hi += st
				} else {
					lo += st
				}
			}
			hi++
		}
		part := make([]float32, hi-lo)
		if err := r.downloadRange(part, lo); err != nil {
			return nil, Errorf(ErrDevice, "tensor: copying from %s to the host failed: %w", t.dev.Name(), err)
		}
		return &Tensor{shape: t.shape, strides: t.strides, offset: t.offset - lo, data: part, dev: CPU}, nil
	}
	all := make([]float32, t.buf.Len())
	if err := t.buf.Download(all); err != nil {
		return nil, Errorf(ErrDevice, "tensor: copying from %s to the host failed: %w", t.dev.Name(), err)
	}
	return &Tensor{shape: t.shape, strides: t.strides, offset: t.offset, data: all, dev: CPU}, nil
}

// gather copies a strided CPU tensor into out in row-major order.
func (t *Tensor) gather(out []float32) {
	rank := len(t.shape)
	if rank == 0 {
		out[0] = t.data[t.offset]
		return
	}
	if numel(t.shape) == 0 {
		return
	}
	idx := make([]int, rank)
	inner := t.shape[rank-1]
	is := t.strides[rank-1]
	k := 0
	for {
		off := t.offset
		for i := 0; i < rank-1; i++ {
			off += idx[i] * t.strides[i]
		}
		if is == 1 {
			copy(out[k:k+inner], t.data[off:off+inner])
		} else {
			for j := 0; j < inner; j++ {
				out[k+j] = t.data[off+j*is]
			}
		}
		k += inner
		// advance the outer index
		i := rank - 2
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < t.shape[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// At returns the element at the given index, one value per dimension;
// negative indices count from the end. It panics if the index has the
// wrong length or is out of range, or if t carries an error.
func (t *Tensor) At(idx ...int) float32 {
	if err := t.Err(); err != nil {
		panic(err)
	}
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: At needs %d indices for shape %v, got %d", len(t.shape), t.shape, len(idx)))
	}
	off := t.offset
	for i, x := range idx {
		if x < 0 {
			x += t.shape[i]
		}
		if x < 0 || x >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %d out of range for dimension %d of shape %v", idx[i], i, t.shape))
		}
		off += x * t.strides[i]
	}
	if t.Device() != CPU && t.buf != nil {
		h, err := t.host()
		if err != nil {
			panic(err)
		}
		return h.data[off]
	}
	return t.data[off]
}

// Item returns the single element of a tensor with one element.
// It panics if t does not hold exactly one element (or carries an error).
func (t *Tensor) Item() float32 {
	if err := t.Err(); err != nil {
		panic(err)
	}
	if t.Len() != 1 {
		panic(fmt.Sprintf("tensor: Item needs exactly one element, shape is %v", t.shape))
	}
	return t.Data()[0]
}

// Rows returns a 2-D tensor as [][]float32 (a copy); nil if t is not 2-D
// or carries an error.
func (t *Tensor) Rows() [][]float32 {
	if t.Err() != nil || len(t.shape) != 2 {
		return nil
	}
	d := t.Data()
	r, c := t.shape[0], t.shape[1]
	out := make([][]float32, r)
	for i := range out {
		out[i] = d[i*c : (i+1)*c : (i+1)*c]
	}
	return out
}

// Clone returns a contiguous copy of t on the same device. The copy
// belongs to no Workspace: it is how a result made in one is kept past
// Workspace.Release.
func (t *Tensor) Clone() *Tensor { return t.cloneIn(nil) }

// cloneIn is Clone with the copy made in ws (nil: on its own).
func (t *Tensor) cloneIn(ws *Workspace) *Tensor {
	if t.Err() != nil {
		return t
	}
	if ws != nil && t.Device() == CPU {
		d := ws.floats(t.Len())
		t.gather(d)
		return newHostIn(ws, d, t.shape)
	}
	// A device that can copy strided data itself keeps it there.
	if dc, ok := t.Device().(interface {
		deviceClone(*Tensor, *Workspace) (*Tensor, error)
	}); ok && t.buf != nil {
		c, err := dc.deviceClone(t, ws)
		if err != nil {
			return Failed(err)
		}
		if c != nil {
			return c
		}
	}
	d, err := t.DataErr()
	if err != nil {
		return Failed(err)
	}
	c := newHost(d, t.shape)
	if t.Device() != CPU {
		return c.To(t.Device())
	}
	return c
}

// To returns t on device d: t itself when it is already there, otherwise a
// contiguous copy.
func (t *Tensor) To(d Device) *Tensor {
	if t.Err() != nil {
		return t
	}
	if d == nil {
		d = CPU
	}
	if d == t.Device() {
		return t
	}
	if err := d.Available(); err != nil {
		return Failed(Errorf(ErrDevice, "To(%s): %w", d.Name(), err))
	}
	data, err := t.DataErr()
	if err != nil {
		return Failed(err)
	}
	if d == CPU {
		return newHost(data, t.shape)
	}
	acc, ok := d.(accelerator)
	if !ok {
		return Failed(Errorf(ErrDevice, "To(%s): device cannot hold tensors", d.Name()))
	}
	buf, err := acc.upload(data)
	if err != nil {
		return Failed(Errorf(ErrDevice, "To(%s): %w", d.Name(), err))
	}
	return &Tensor{shape: append([]int(nil), t.shape...), strides: rowMajorStrides(t.shape), buf: buf, dev: d}
}

// ToName is To with a device name ("cpu", "cuda"); an unknown or
// unavailable device gives a tensor carrying the reason.
func (t *Tensor) ToName(name string) *Tensor {
	d, err := Lookup(name)
	if err != nil {
		return Failed(err)
	}
	return t.To(d)
}

// String formats the tensor as PyTorch does, eliding the middle of long
// dimensions, followed by its shape and device. A tensor that carries an
// error formats as the error.
func (t *Tensor) String() string {
	if err := t.Err(); err != nil {
		return "tensor error: " + err.Error()
	}
	d, err := t.DataErr()
	if err != nil {
		return "tensor error: " + err.Error()
	}
	var b strings.Builder
	b.WriteString("tensor(")
	if len(t.shape) == 0 {
		b.WriteString(fmtVal(d[0]))
	} else {
		formatRec(&b, d, t.shape, 0, 0)
	}
	fmt.Fprintf(&b, ", shape=%v", t.shape)
	if t.Device() != CPU {
		fmt.Fprintf(&b, ", device=%s", t.Device().Name())
	}
	b.WriteString(")")
	return b.String()
}

func fmtVal(v float32) string {
	switch {
	case math.IsInf(float64(v), 1):
		return "inf"
	case math.IsInf(float64(v), -1):
		return "-inf"
	case math.IsNaN(float64(v)):
		return "nan"
	}
	return fmt.Sprintf("%.4g", v)
}

func formatRec(b *strings.Builder, d []float32, shape []int, dim, off int) {
	n := shape[dim]
	stride := numel(shape[dim+1:])
	b.WriteString("[")
	show := func(i int) {
		if dim == len(shape)-1 {
			b.WriteString(fmtVal(d[off+i]))
		} else {
			formatRec(b, d, shape, dim+1, off+i*stride)
		}
	}
	sep := ", "
	if dim < len(shape)-1 {
		sep = ",\n" + strings.Repeat(" ", 8+dim)
	}
	if n <= 6 {
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(sep)
			}
			show(i)
		}
	} else {
		for i := 0; i < 3; i++ {
			show(i)
			b.WriteString(sep)
		}
		b.WriteString("...")
		for i := n - 3; i < n; i++ {
			b.WriteString(sep)
			show(i)
		}
	}
	b.WriteString("]")
}
