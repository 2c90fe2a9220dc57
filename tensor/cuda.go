package tensor

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/attnviz/attnviz/tensor/internal/cuda"
)

// CUDA is the first NVIDIA GPU, registered as "cuda:0". It is always
// registered; the driver (libcuda.so.1, or the file named by the
// environment variable ATTNVIZ_LIBCUDA) is loaded the first time the device
// is used or its Available method is called, which then reports why the
// GPU cannot be used: the library that is missing, or the driver call that
// failed. Move a tensor there with t.To(tensor.CUDA) or t.ToName("cuda"):
//
//	q := tensor.RandN(1, 12, 1024, 64).To(tensor.CUDA)
//	att := tensor.ScaledDotProductAttention(q, k, v, nil) // runs on the GPU
//
// The attention ops, matrix products (cuBLAS when libcublas can be loaded,
// else the package's own tiled kernel), softmax, masking, the elementwise
// ops, reductions, RMSNorm and RoPE run on the GPU; anything else runs on
// the CPU on host copies and its result is moved back, so every operation
// works on CUDA tensors. Reading values (Data, At, String) copies them to
// the host. Device memory is released when the garbage collector finds a
// tensor unreachable.
var CUDA Device = newCUDADevice("cuda:0", cuda.Options{})

func init() { Register(CUDA) }

// cudaDevice implements accelerator on top of internal/cuda.
type cudaDevice struct {
	name string
	opts cuda.Options
	once sync.Once
	dev  *cuda.Device
	err  error
}

func newCUDADevice(name string, o cuda.Options) *cudaDevice {
	return &cudaDevice{name: name, opts: o}
}

func (c *cudaDevice) open() (*cuda.Device, error) {
	c.once.Do(func() {
		c.dev, c.err = cuda.Open(c.opts)
		if c.err != nil {
			c.err = fmt.Errorf("CUDA: %w", c.err)
		}
	})
	return c.dev, c.err
}

// Name is the registry name, "cuda:0".
func (c *cudaDevice) Name() string { return c.name }

// Available loads the driver on first use and reports why it cannot be
// used, or nil.
func (c *cudaDevice) Available() error {
	_, err := c.open()
	return err
}

// String names the device and the GPU behind it (or why there is none).
func (c *cudaDevice) String() string {
	d, err := c.open()
	if err != nil {
		return c.name + " (not available: " + err.Error() + ")"
	}
	return c.name + " " + d.String()
}

// cudaBuf is a tensor's storage on a GPU.
type cudaBuf struct{ b *cuda.Buffer }

func (b cudaBuf) Len() int                     { return b.b.Len() }
func (b cudaBuf) Download(dst []float32) error { return b.b.Download(dst) }

// release gives the memory back to the device's cache now (Workspace.Release).
func (b cudaBuf) release() { b.b.Release() }

// downloadRange copies elements off .. off+len(dst)-1 only, so that
// reading a view (one head of [12, n, n] weights) need not copy the whole
// buffer; host() can use it when the buffer offers it:
//
//	if r, ok := t.buf.(interface{ downloadRange([]float32, int) error }); ok { ... }
func (b cudaBuf) downloadRange(dst []float32, off int) error { return b.b.DownloadAt(dst, off) }

func (c *cudaDevice) upload(data []float32) (deviceBuffer, error) {
	d, err := c.open()
	if err != nil {
		return nil, err
	}
	b, err := d.Upload(data)
	if err != nil {
		return nil, err
	}
	return cudaBuf{b}, nil
}

func (c *cudaDevice) alloc(n int) (deviceBuffer, error) {
	d, err := c.open()
	if err != nil {
		return nil, err
	}
	b, err := d.Alloc(n, true)
	if err != nil {
		return nil, err
	}
	return cudaBuf{b}, nil
}

// Sync waits for the GPU work queued so far (for benchmarks and tests).
func (c *cudaDevice) sync() error {
	d, err := c.open()
	if err != nil {
		return err
	}
	return d.Sync()
}

// --- dispatch ---------------------------------------------------------------------

// errCUFallback is returned by an op handler that cannot run a case natively
// (too many dimensions, an unusual layout); apply then uses the CPU.
var errCUFallback = fmt.Errorf("cuda: not handled natively")

// cuCodes is the code that selects each op in the kernel that runs it
// (ew_unary, ew_binary, reduce_*, rope).
var cuCodes = map[opKind]cuda.Code{
	opAdd:             cuda.BinaryAdd,
	opSub:             cuda.BinarySub,
	opMul:             cuda.BinaryMul,
	opDiv:             cuda.BinaryDiv,
	opMaskedFill:      cuda.BinaryMaskedFill,
	opScale:           cuda.UnaryAffine,
	opExp:             cuda.UnaryExp,
	opSiLU:            cuda.UnarySiLU,
	opSum:             cuda.ReduceSum,
	opMax:             cuda.ReduceMax,
	opMean:            cuda.ReduceMean,
	opArgmax:          cuda.ReduceArgmax,
	opRoPEInterleaved: cuda.RoPEInterleaved,
	opRoPEHalf:        cuda.RoPEHalf,
}

func (c *cudaDevice) run(op opKind, in []*Tensor, p opParams) (out []*Tensor, ok bool, err error) {
	d, err := c.open()
	if err != nil {
		return nil, true, err
	}
	for _, t := range in {
		if _, isCU := t.buf.(cudaBuf); !isCU && t.Len() > 0 {
			return nil, false, nil
		}
	}
	k := &cuKernels{c: c, d: d, ws: outWS(in...)}
	// Temporaries (strided inputs made contiguous, tables) go back to the
	// device's cache as soon as the op's launches are queued: the stream
	// runs them in order, so the next allocation may reuse them at once.
	defer k.releaseTemps()
	switch op {
	case opAdd, opSub, opMul, opDiv, opMaskedFill:
		out, err = k.binary(op, in[0], in[1], p.Fill)
	case opScale, opExp, opSiLU:
		out, err = k.unary(in[0], cuCodes[op], p.Scale, p.Shift)
	case opSum, opMax, opMean, opArgmax:
		out, err = k.reduce(op, in[0], p.Dim)
	case opSoftmax:
		out, err = k.softmax(in[0], p.Dim, p.Scale)
	case opMatMul:
		out, err = k.matmulOp(in[0], in[1])
	case opRMSNorm:
		out, err = k.rmsnorm(in[0], in[1], p.Eps)
	case opRoPEInterleaved, opRoPEHalf:
		out, err = k.rope(in[0], p.Base, p.Pos, cuCodes[op])
	case opSDPA:
		var m *Tensor
		if len(in) == 4 {
			m = in[3]
		}
		out, err = k.sdpa(in[0], in[1], in[2], m, p.Scale)
	default:
		return nil, false, nil
	}
	if err == errCUFallback {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return out, true, nil
}

// cuKernels holds the device for one op's launches.
type cuKernels struct {
	c     *cudaDevice
	d     *cuda.Device
	ws    *Workspace     // where results are made, or nil
	temps []*cuda.Buffer // released when the op returns
}

// temp allocates a buffer that lives only for this op.
func (k *cuKernels) temp(n int, zero bool) (*cuda.Buffer, error) {
	b, err := k.d.Alloc(n, zero)
	if err == nil {
		k.temps = append(k.temps, b)
	}
	return b, err
}

func (k *cuKernels) releaseTemps() {
	for _, b := range k.temps {
		b.Release()
	}
	k.temps = nil
}

// cuPtr is the device address of t's first element (its offset applied).
func cuPtr(t *Tensor) cuda.Ptr {
	b, ok := t.buf.(cudaBuf)
	if !ok {
		return 0
	}
	return b.b.Ptr(t.offset)
}

// newOuts is newOut for each shape in turn (none for a nil shape).
func (k *cuKernels) newOuts(shapes ...[]int) ([]*Tensor, []cuda.Ptr, error) {
	ts, ps := make([]*Tensor, len(shapes)), make([]cuda.Ptr, len(shapes))
	for i, s := range shapes {
		if s == nil {
			continue
		}
		var err error
		if ts[i], ps[i], err = k.newOut(s); err != nil {
			return nil, nil, err
		}
	}
	return ts, ps, nil
}

// newOut allocates an uninitialised contiguous result of the given shape.
func (k *cuKernels) newOut(shape []int) (*Tensor, cuda.Ptr, error) {
	if err := checkShape("cuda", shape); err != nil {
		return nil, 0, err
	}
	b, err := k.d.Alloc(numel(shape), false)
	if err != nil {
		return nil, 0, err
	}
	t := &Tensor{shape: append([]int(nil), shape...), strides: rowMajorStrides(shape), buf: cudaBuf{b}, dev: k.c}
	if k.ws != nil {
		k.ws.trackDevice(cudaBuf{b})
		t.ws = wsTag{out: k.ws, owner: k.ws, gen: k.ws.gen}
	}
	return t, b.Ptr(0), nil
}

// cuLayout collapses the dimensions of shape (and the operands' strides
// along it) that can be walked as one, drops size-1 dimensions, and
// returns the kernel's Layout; ok is false when more than MaxDims remain.
func cuLayout(shape []int, sa, sb []int) (cuda.Layout, bool) {
	var L cuda.Layout
	type dim struct{ n, a, b int }
	var ds []dim
	for i, n := range shape {
		if n == 1 {
			continue
		}
		x := dim{n: n, a: sa[i]}
		if sb != nil {
			x.b = sb[i]
		}
		if len(ds) > 0 {
			p := &ds[len(ds)-1]
			if p.a == x.a*x.n && p.b == x.b*x.n {
				p.n *= x.n
				p.a, p.b = x.a, x.b
				continue
			}
		}
		ds = append(ds, x)
	}
	if len(ds) == 0 {
		ds = []dim{{n: 1, a: 1, b: 1}}
	}
	if len(ds) > cuda.MaxDims {
		return L, false
	}
	L.ND = int64(len(ds))
	for i, x := range ds {
		L.Shape[i], L.SA[i], L.SB[i] = int64(x.n), int64(x.a), int64(x.b)
	}
	return L, true
}

func cuGrid(n int64, per int64) cuda.Dim3 {
	g := (n + per - 1) / per
	if g < 1 {
		g = 1
	}
	if g > 1<<20 {
		g = 1 << 20
	}
	return cuda.Dim3{X: uint32(g), Y: 1, Z: 1}
}

var cuBlock = cuda.Dim3{X: 256, Y: 1, Z: 1}

func cuRowGrid(rows int) cuda.Dim3 {
	g := rows
	if g < 1 {
		g = 1
	}
	if g > 1<<20 {
		g = 1 << 20
	}
	return cuda.Dim3{X: uint32(g), Y: 1, Z: 1}
}

// contiguous returns the address of t's elements in row-major order,
// copying on the device when t is a strided view.
func (k *cuKernels) contiguous(t *Tensor) (cuda.Ptr, *Tensor, error) {
	if t.IsContiguous() {
		return cuPtr(t), t, nil
	}
	L, ok := cuLayout(t.shape, t.strides, nil)
	if !ok {
		return 0, nil, errCUFallback
	}
	if err := checkShape("cuda", t.shape); err != nil {
		return 0, nil, err
	}
	b, err := k.temp(t.Len(), false)
	if err != nil {
		return 0, nil, err
	}
	o := &Tensor{shape: t.shape, strides: rowMajorStrides(t.shape), buf: cudaBuf{b}, dev: k.c}
	op := b.Ptr(0)
	n := int64(t.Len())
	if n > 0 {
		if err := k.d.Launch("ew_unary", cuGrid(n, 256), cuBlock, op, cuPtr(t), L, n, cuda.UnaryCopy, float32(0), float32(0)); err != nil {
			return 0, nil, err
		}
	}
	return op, o, nil
}

func (k *cuKernels) unary(x *Tensor, code cuda.Code, p, q float32) ([]*Tensor, error) {
	L, ok := cuLayout(x.shape, x.strides, nil)
	if !ok {
		return nil, errCUFallback
	}
	o, op0, err := k.newOut(x.shape)
	if err != nil {
		return nil, err
	}
	n := int64(x.Len())
	if n > 0 {
		if err := k.d.Launch("ew_unary", cuGrid(n, 256), cuBlock, op0, cuPtr(x), L, n, code, p, q); err != nil {
			return nil, err
		}
	}
	return []*Tensor{o}, nil
}

func (k *cuKernels) binary(op opKind, a, b *Tensor, value float32) ([]*Tensor, error) {
	shape := a.shape // MaskedFill: the mask broadcasts to a's shape
	if op != opMaskedFill {
		var ok bool
		if shape, ok = broadcastShapes(a.shape, b.shape); !ok {
			return nil, errCUFallback // the op checked this; let the CPU path say it
		}
	}
	code := cuCodes[op]
	L, ok := cuLayout(shape, bstrides(a.shape, a.strides, shape), bstrides(b.shape, b.strides, shape))
	if !ok {
		return nil, errCUFallback
	}
	o, op0, err := k.newOut(shape)
	if err != nil {
		return nil, err
	}
	n := int64(numel(shape))
	if n > 0 {
		if err := k.d.Launch("ew_binary", cuGrid(n, 256), cuBlock, op0, cuPtr(a), cuPtr(b), L, n, code, value); err != nil {
			return nil, err
		}
	}
	return []*Tensor{o}, nil
}

func (k *cuKernels) reduce(op opKind, x *Tensor, dim int) ([]*Tensor, error) {
	if dim < 0 || dim >= len(x.shape) {
		return nil, errCUFallback
	}
	shape := append(append([]int(nil), x.shape[:dim]...), x.shape[dim+1:]...)
	return k.alongDim("reduce", x, dim, shape, cuCodes[op])
}

func (k *cuKernels) softmax(x *Tensor, dim int, scale float32) ([]*Tensor, error) {
	return k.alongDim("softmax", x, dim, x.shape, scale)
}

// alongDim runs the kernel pair name_rows (one block per row, when dim is
// the last of the non-trivial dimensions) or name_mid over dimension dim
// of x into a new tensor of the given shape; arg is the kernels' last
// argument.
func (k *cuKernels) alongDim(name string, x *Tensor, dim int, shape []int, arg any) ([]*Tensor, error) {
	if dim < 0 || dim >= len(x.shape) {
		return nil, errCUFallback
	}
	xp, _, err := k.contiguous(x)
	if err != nil {
		return nil, err
	}
	outer, red, inner := numel(x.shape[:dim]), x.shape[dim], numel(x.shape[dim+1:])
	o, op0, err := k.newOut(shape)
	if err != nil {
		return nil, err
	}
	if numel(shape) == 0 {
		return []*Tensor{o}, nil
	}
	if inner == 1 {
		err = k.d.Launch(name+"_rows", cuRowGrid(outer), cuBlock, op0, xp, int64(outer), int64(red), arg)
	} else {
		err = k.d.Launch(name+"_mid", cuGrid(int64(outer*inner), 256), cuBlock, op0, xp, int64(outer), int64(red), int64(inner), arg)
	}
	if err != nil {
		return nil, err
	}
	return []*Tensor{o}, nil
}

func (k *cuKernels) rmsnorm(x, w *Tensor, eps float32) ([]*Tensor, error) {
	if len(x.shape) == 0 {
		return nil, errCUFallback
	}
	xp, _, err := k.contiguous(x)
	if err != nil {
		return nil, err
	}
	wp, _, err := k.contiguous(w)
	if err != nil {
		return nil, err
	}
	cols := x.shape[len(x.shape)-1]
	o, op0, err := k.newOut(x.shape)
	if err != nil {
		return nil, err
	}
	if x.Len() == 0 {
		return []*Tensor{o}, nil
	}
	rows := x.Len() / cols
	if err := k.d.Launch("rmsnorm_rows", cuRowGrid(rows), cuBlock, op0, xp, wp, int64(rows), int64(cols), eps); err != nil {
		return nil, err
	}
	return []*Tensor{o}, nil
}

// rope applies rotary embeddings with cos/sin tables computed on the host
// in float64, exactly as the CPU implementation does.
func (k *cuKernels) rope(x *Tensor, base float32, offset int, mode cuda.Code) ([]*Tensor, error) {
	r := len(x.shape)
	if r < 2 || x.shape[r-1]%2 != 0 {
		return nil, errCUFallback
	}
	xp, _, err := k.contiguous(x)
	if err != nil {
		return nil, err
	}
	T, d := x.shape[r-2], x.shape[r-1]
	o, op0, err := k.newOut(x.shape)
	if err != nil {
		return nil, err
	}
	if x.Len() == 0 {
		return []*Tensor{o}, nil
	}
	half := d / 2
	tab := make([]float32, 2*T*half)
	for t := 0; t < T; t++ {
		for i := 0; i < half; i++ {
			theta := math.Pow(float64(base), -2*float64(i)/float64(d))
			s, c := math.Sincos(float64(offset+t) * theta)
			tab[t*half+i], tab[T*half+t*half+i] = float32(c), float32(s)
		}
	}
	tb, err := k.d.Upload(tab)
	if err != nil {
		return nil, err
	}
	k.temps = append(k.temps, tb)
	rows := x.Len() / d
	if err := k.d.Launch("rope", cuGrid(int64(rows*half), 256), cuBlock, op0, xp, tb.Ptr(0), int64(rows), int64(T), int64(d), mode); err != nil {
		return nil, err
	}
	runtime.KeepAlive(tb)
	return []*Tensor{o}, nil
}

// deviceClone returns a contiguous copy of t made on the GPU (one strided
// copy kernel, no trip through the host). Clone, Contiguous and Reshape of
// a view can use it when the device offers it:
//
//	if dc, ok := t.dev.(interface{ deviceClone(*Tensor, *Workspace) (*Tensor, error) }); ok { ... }
//
// The copy is made in ws when it is not nil (Contiguous of a marked tensor).
//
// It returns (nil, nil) when the layout has too many dimensions for the
// kernel, so the caller falls back to the host path.
func (c *cudaDevice) deviceClone(t *Tensor, ws *Workspace) (*Tensor, error) {
	d, err := c.open()
	if err != nil {
		return nil, err
	}
	if _, ok := t.buf.(cudaBuf); !ok && t.Len() > 0 {
		return nil, nil
	}
	k := &cuKernels{c: c, d: d, ws: ws}
	out, err := k.unary(t, cuda.UnaryCopy, 0, 0)
	if err == errCUFallback { // too many dimensions for the kernel
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// copyInto copies the contiguous src into the contiguous dst on the GPU.
func (c *cudaDevice) copyInto(dst, src *Tensor) error {
	d, err := c.open()
	if err != nil {
		return err
	}
	if _, ok := dst.buf.(cudaBuf); !ok {
		return Errorf(ErrDevice, "tensor: copy into a tensor with no %s storage", c.name)
	}
	if _, ok := src.buf.(cudaBuf); !ok {
		return Errorf(ErrDevice, "tensor: copy from a tensor with no %s storage", c.name)
	}
	return d.Copy(cuPtr(dst), cuPtr(src), src.Len())
}
