package tensor

import (
	"fmt"
	"math"

	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

// Activation is a function applied to the output of a Linear layer in the
// same pass as the bias (while the block of results is still in cache).
type Activation int

// The activations Linear can apply.
const (
	NoActivation Activation = iota
	// ActGELU is the exact GELU, x·Φ(x) (PyTorch's nn.GELU(), BERT).
	ActGELU
	// ActGELUTanh is GELU's tanh approximation,
	// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2, ggml_gelu).
	ActGELUTanh
	// ActSiLU is x·σ(x) (the gate of Llama's SwiGLU).
	ActSiLU
)

func (a Activation) String() string {
	switch a {
	case NoActivation:
		return "none"
	case ActGELU:
		return "gelu"
	case ActGELUTanh:
		return "gelu_tanh"
	case ActSiLU:
		return "silu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Linear is a fully connected layer, y = x·Wᵀ + b — PyTorch's nn.Linear,
// with W stored [out, in] as model files store it.
//
// On the CPU the weights are packed once, when the layer is made, into the
// panel layout of the matrix product, so a forward pass does not repack
// every weight matrix on every call as x.MatMul(w.T()) must; the bias and
// an optional activation are applied to each block of results as it is
// computed. The packed copy replaces the plain one: a CPU Linear keeps no
// reference to w. On another device the layer keeps w there and runs
// x.MatMul(w.T()) plus the bias and the activation as ops of that device.
//
// A Linear carries its error like a Tensor: Forward on a failed layer
// returns a tensor with that error.
type Linear struct {
	in, out int
	dev     Device
	// CPU: Wᵀ (in × out) packed in column panels of nr (see cpu.PackB); bias
	// on the host.
	packed []float32
	nr     int
	bias   []float32
	// other devices
	w, b *Tensor
	err  error
}

// NewLinear makes a layer from weights w [out, in] and an optional bias b
// [out] (nil for none), on w's device.
func NewLinear(w, b *Tensor) *Linear {
	if err := w.Err(); err != nil {
		return &Linear{err: err}
	}
	if w.Rank() != 2 {
		return &Linear{err: shapeErr("NewLinear", "want weights [out, in]", "", w.shape)}
	}
	l := &Linear{out: w.shape[0], in: w.shape[1], dev: w.Device()}
	if b != nil {
		if err := b.Err(); err != nil {
			return &Linear{err: err}
		}
		if b.Rank() != 1 || b.shape[0] != l.out {
			return &Linear{err: shapeErr("NewLinear", "want a bias of one value per output", fmt.Sprintf("want bias [%d]", l.out), w.shape, b.shape)}
		}
		if b.Device() != l.dev {
			b = b.To(l.dev)
			if err := b.Err(); err != nil {
				return &Linear{err: err}
			}
		}
	}
	if l.dev != CPU {
		l.w, l.b = w, b
		return l
	}
	if b != nil {
		l.bias = append([]float32(nil), hostSlice(b)...)
	}
	l.nr = cpu.NR()
	l.packed = make([]float32, cpu.PackedBLen(l.in, l.out))
	// Wᵀ is the view (in × out) with row stride 1 and column stride w's
	// row stride.
	cpu.PackBParallel(l.packed, cpu.Mat{Data: w.data, Off: w.offset, RS: w.strides[1], CS: w.strides[0], Rows: l.in, Cols: l.out})
	return l
}

// Err returns the layer's error, or nil.
func (l *Linear) Err() error {
	if l == nil {
		return Errorf(ErrValue, "tensor: nil *Linear")
	}
	return l.err
}

// In and Out are the layer's input and output sizes.
func (l *Linear) In() int { return l.in }

// Out is the number of outputs.
func (l *Linear) Out() int { return l.out }

// Device returns the device the weights live on.
func (l *Linear) Device() Device { return l.dev }

// String describes the layer.
func (l *Linear) String() string {
	if err := l.Err(); err != nil {
		return "Linear(error: " + err.Error() + ")"
	}
	return fmt.Sprintf("Linear(%d → %d, bias %v, %s)", l.in, l.out, l.bias != nil || l.b != nil, l.dev.Name())
}

// Weight returns W [out, in] (a copy on the CPU, rebuilt from the packed
// form).
func (l *Linear) Weight() *Tensor {
	if err := l.Err(); err != nil {
		return Failed(err)
	}
	if l.dev != CPU {
		return l.w
	}
	wt := cpu.UnpackB(l.packed, l.in, l.out, l.nr) // [in, out]
	return newHost(wt, []int{l.in, l.out}).T().Contiguous()
}

// WeightRow copies row i of W (the weights of output i, [in]) into dst
// and returns it (a new slice when dst is too short). A tied language-model
// head reads its token embeddings this way, so the model keeps one copy of
// the matrix. It panics if i is out of range.
func (l *Linear) WeightRow(i int, dst []float32) []float32 {
	if i < 0 || i >= l.out {
		panic(fmt.Sprintf("tensor: Linear.WeightRow(%d) out of range [0, %d)", i, l.out))
	}
	if len(dst) < l.in {
		dst = make([]float32, l.in)
	}
	dst = dst[:l.in]
	if l.dev != CPU {
		copy(dst, l.w.Index(i).Data())
		return dst
	}
	pan := l.packed[i/l.nr*l.in*l.nr:]
	c := i % l.nr
	for p := range dst {
		dst[p] = pan[p*l.nr+c]
	}
	return dst
}

// Bias returns b [out], or nil when the layer has none.
func (l *Linear) Bias() *Tensor {
	if l.Err() != nil {
		return Failed(l.err)
	}
	if l.dev != CPU {
		return l.b
	}
	if l.bias == nil {
		return nil
	}
	return newHost(append([]float32(nil), l.bias...), []int{l.out})
}

// Forward returns x·Wᵀ + b for x [..., in]: [..., out].
func (l *Linear) Forward(x *Tensor) *Tensor { return l.ForwardAct(x, NoActivation) }

// ForwardAct returns act(x·Wᵀ + b).
func (l *Linear) ForwardAct(x *Tensor, act Activation) *Tensor {
	if err := l.Err(); err != nil {
		return Failed(err)
	}
	if err := x.Err(); err != nil {
		return Failed(err)
	}
	if act < NoActivation || act > ActSiLU {
		return Failed(Errorf(ErrValue, "Linear: unknown activation %d", int(act)))
	}
	if x.Rank() == 0 || x.shape[x.Rank()-1] != l.in {
		return Failed(shapeErr("Linear", fmt.Sprintf("want inputs [..., %d]", l.in), "the last dimension must be the layer's input size", x.shape, []int{l.out, l.in}))
	}
	if x.Device() != l.dev {
		return Failed(Errorf(ErrDevice, "Linear: the input is on %s but the weights on %s; move one with To", x.Device().Name(), l.dev.Name()))
	}
	if l.dev != CPU {
		y := x.MatMul(l.w.T())
		if l.b != nil {
			y = y.Add(l.b)
		}
		switch act {
		case ActGELU:
			y = y.GELU()
		case ActGELUTanh:
			y = y.GELUTanh()
		case ActSiLU:
			y = y.SiLU()
		}
		return y
	}
	if l.nr != cpu.NR() {
		// The CPU kernel changed since packing (tests switch kernels):
		// repack for the current one.
		wt := cpu.UnpackB(l.packed, l.in, l.out, l.nr)
		l.packed = make([]float32, cpu.PackedBLen(l.in, l.out))
		l.nr = cpu.NR()
		cpu.PackBParallel(l.packed, cpu.Mat{Data: wt, RS: l.out, CS: 1, Rows: l.in, Cols: l.out})
	}
	r := x.Rank()
	m := numel(x.shape[:r-1])
	outShape := append(append([]int(nil), x.shape[:r-1]...), l.out)
	if err := checkShape("Linear", outShape); err != nil {
		return Failed(err)
	}
	var ad cpu.Mat
	switch r {
	case 1:
		ad = cpu.Mat{Data: x.data, Off: x.offset, RS: l.in, CS: x.strides[0], Rows: 1, Cols: l.in}
	case 2:
		ad = cpu.Mat{Data: x.data, Off: x.offset, RS: x.strides[0], CS: x.strides[1], Rows: m, Cols: l.in}
	default: // the batch's rows stacked: [m, in]
		ad = cpu.Mat{Data: hostSlice(x), RS: l.in, CS: 1, Rows: m, Cols: l.in}
	}
	ws := outWS(x)
	out := allocIn(ws, m*l.out)
	cpu.Linear(out, ad, l.packed, l.in, l.out, l.bias, int(act))
	return newHostIn(ws, out, outShape)
}

// GELU applies the exact GELU, x·Φ(x), element by element (PyTorch's
// F.gelu(x), the activation of BERT).
func (t *Tensor) GELU() *Tensor {
	return apply1(opGELU, []*Tensor{t}, opParams{}, func(in []*Tensor) *Tensor {
		return unaryParallel(in[0], ActGELU)
	})
}

// GELUTanh applies GELU's tanh approximation element by element (PyTorch's
// F.gelu(x, approximate="tanh"), GPT-2's "gelu_new", ggml_gelu).
func (t *Tensor) GELUTanh() *Tensor {
	return apply1(opGELUTanh, []*Tensor{t}, opParams{}, func(in []*Tensor) *Tensor {
		return unaryParallel(in[0], ActGELUTanh)
	})
}

func unaryParallel(t *Tensor, act Activation) *Tensor {
	ws := outWS(t)
	src := hostSlice(t)
	dst := allocIn(ws, len(src))
	copy(dst, src)
	const chunk = 1 << 14
	cpu.ParallelRows((len(dst)+chunk-1)/chunk, chunk, func(r int) {
		cpu.Activate(dst[r*chunk:min(len(dst), (r+1)*chunk)], int(act))
	})
	return newHostIn(ws, dst, t.shape)
}

// LayerNorm normalises each vector along the last dimension to mean 0 and
// variance 1, then scales by weight and adds bias (PyTorch's
// F.layer_norm(x, [d], weight, bias, eps)):
//
//	y = (x − mean(x)) / √(var(x) + eps) · weight + bias
//
// with the biased variance (divided by d). weight and bias are [d]; nil
// means ones and zeros.
func (t *Tensor) LayerNorm(weight, bias *Tensor, eps float32) *Tensor {
	in, d, err := normInputs("LayerNorm", t, eps, normParam{"weight", weight, Ones}, normParam{"bias", bias, Zeros})
	if err != nil {
		return Failed(err)
	}
	return apply1(opLayerNorm, in, opParams{Eps: eps}, func(in []*Tensor) *Tensor {
		s, wd, bd := hostSlice(in[0]), hostSlice(in[1]), hostSlice(in[2])
		ws := outWS(in[0])
		dst := allocIn(ws, len(s))
		rows := 0
		if d > 0 {
			rows = len(s) / d
		}
		cpu.ParallelRows(rows, d, func(r int) {
			layerNormRow(dst[r*d:(r+1)*d], s[r*d:(r+1)*d], wd, bd, eps)
		})
		return newHostIn(ws, dst, in[0].shape)
	})
}

// layerNormRow writes the layer norm of x to dst (which may alias x).
func layerNormRow(dst, x, w, b []float32, eps float32) {
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := sum / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	r := float32(1 / math.Sqrt(ss/float64(len(x))+float64(eps)))
	mf := float32(mean)
	for j, v := range x {
		dst[j] = (v-mf)*r*w[j] + b[j]
	}
}
