package tensor

// The operations an accelerator sees.
//
// Every operation in this package goes through apply/apply1 with one of
// the op kinds below. An accelerator's run(op, in, p) may implement any of
// them natively; the ones it does not are run on the CPU (host copies) and
// moved back. Inputs are in argument order; opParams fields not listed are
// zero. Outputs are new contiguous tensors unless said otherwise.
//
//	op                 inputs              params                    result
//	opAdd              a, b                -                         a + b   (numpy broadcasting)
//	opSub              a, b                -                         a - b
//	opMul              a, b                -                         a * b
//	opDiv              a, b                -                         a / b
//	opScale            x                   Scale, Shift              x*Scale + Shift
//	                                                                 (Scale(s): Shift=0; AddScalar(s): Scale=1,
//	                                                                  Shift=s; Neg(): Scale=-1)
//	opExp              x                   -                         eˣ
//	opSiLU             x                   -                         x·σ(x)
//	opGELU             x                   -                         x·Φ(x)
//	opGELUTanh         x                   -                         GELU's tanh approximation
//	opSum              x                   Dim (normalised, ≥ 0)     sum over Dim, Dim removed
//	opMax              x                   Dim                       max over Dim, Dim removed
//	opMean             x                   Dim                       mean over Dim, Dim removed
//	opArgmax           x                   Dim                       index (as float32) of the first max
//	opMatMul           a, b                -                         batched a·b, leading dims broadcast;
//	                                                                 both inputs have rank ≥ 2 here (1-D
//	                                                                 operands are reshaped before dispatch)
//	opSoftmax          x                   Dim, Scale                softmax(x·Scale) over Dim
//	                                                                 (Softmax: Scale=1; SoftmaxTemp(t): Scale=1/t)
//	opMaskedFill       x, mask             Fill                      x where mask == 0, Fill where mask != 0
//	                                                                 (mask broadcasts to x's shape)
//	opRMSNorm          x, weight           Eps                       x/√(mean(x²)+eps)·weight over the last dim;
//	                                                                 weight is [d] (Ones(d) when the caller gave nil)
//	opLayerNorm        x, weight, bias     Eps                       (x−mean)/√(var+eps)·weight + bias, last dim
//	opSDPA             q, k, v[, mask]     Scale (= 1/√dₖ)           5 outputs: scores, scaled, masked, weights,
//	                                                                 output (see ScaledDotProductAttention);
//	                                                                 mask != 0 means "may attend"
//	opRoPEInterleaved  x                   Base, Pos                 rotary embedding, pairs (2i, 2i+1)
//	opRoPEHalf         x                   Base, Pos                 rotary embedding, pairs (i, i+d/2)
//
// Conventions every implementation must keep (the CPU one defines them):
// a softmax row whose entries are all −Inf (a query that may attend to
// nothing) gives all zeros, not NaN; +Inf entries share the row's weight
// equally; NaN inputs give NaN rows. SDPA's "masked" output is the
// "scaled" tensor itself when no mask is given.

import (
	"fmt"
	"math"
	"slices"
)

// opKind is an operation as an accelerator sees it (see the table above).
type opKind int

const (
	opAdd opKind = iota
	opSub
	opMul
	opDiv
	opScale
	opExp
	opSiLU
	opGELU
	opGELUTanh
	opSum
	opMax
	opMean
	opArgmax
	opMatMul
	opSoftmax
	opMaskedFill
	opRMSNorm
	opLayerNorm
	opSDPA
	opRoPEInterleaved
	opRoPEHalf
)

var opNames = [...]string{
	opAdd: "Add", opSub: "Sub", opMul: "Mul", opDiv: "Div", opScale: "Scale", opExp: "Exp", opSiLU: "SiLU",
	opGELU: "GELU", opGELUTanh: "GELUTanh", opSum: "Sum", opMax: "Max", opMean: "Mean", opArgmax: "Argmax",
	opMatMul: "MatMul", opSoftmax: "Softmax", opMaskedFill: "MaskedFill", opRMSNorm: "RMSNorm",
	opLayerNorm: "LayerNorm", opSDPA: "SDPA", opRoPEInterleaved: "RoPEInterleaved", opRoPEHalf: "RoPEHalf",
}

// String is the name that error messages use ("Add", "SDPA", ...).
func (o opKind) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// opParams carries the scalar arguments of an operation to an accelerator.
// Fields an op does not use stay zero (see the table above).
type opParams struct {
	Dim   int     // the dimension of a reduction or a softmax, normalised (≥ 0)
	Scale float32 // the factor of opScale, opSoftmax and opSDPA
	Shift float32 // added after scaling by opScale
	Fill  float32 // the value opMaskedFill writes where the mask is non-zero
	Eps   float32 // the epsilon of opRMSNorm and opLayerNorm
	Base  float32 // the RoPE base (θ), e.g. 10000
	Pos   int     // the position of the first token, for RoPE
}

// --- small helpers -----------------------------------------------------------

// hostSlice returns t's elements in row-major order. For a contiguous CPU
// tensor it is t's own storage (do not write to it); otherwise a copy.
func hostSlice(t *Tensor) []float32 {
	if t.IsContiguous() && t.data != nil {
		return t.data[t.offset : t.offset+t.Len()]
	}
	if t.Len() == 0 {
		return nil
	}
	out := make([]float32, t.Len())
	t.gather(out)
	return out
}

// broadcastShapes returns the numpy broadcast of a and b.
func broadcastShapes(a, b []int) ([]int, bool) {
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, false
		}
	}
	return out, true
}

// bstrides returns t's strides aligned to the broadcast shape out
// (0 where t is broadcast).
func bstrides(shape, strides, out []int) []int {
	st := make([]int, len(out))
	k := len(out) - len(shape)
	for i := range shape {
		if shape[i] != 1 {
			st[k+i] = strides[i]
		}
	}
	return st
}

// forRows walks every row (all indices but the last) of shape, calling fn
// with the storage offsets of each operand for that row. Operands are given
// as base offsets and strides aligned to shape. fn receives the row's length
// and the operands' strides along it.
func forRows(shape []int, base []int, strides [][]int, fn func(offs []int, n int)) {
	rank := len(shape)
	offs := append([]int(nil), base...)
	if rank == 0 {
		fn(offs, 1)
		return
	}
	if numel(shape) == 0 {
		return
	}
	n := shape[rank-1]
	idx := make([]int, rank)
	for {
		fn(offs, n)
		i := rank - 2
		for ; i >= 0; i-- {
			idx[i]++
			for k := range offs {
				offs[k] += strides[k][i]
			}
			if idx[i] < shape[i] {
				break
			}
			for k := range offs {
				offs[k] -= strides[k][i] * shape[i]
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// --- elementwise binary ---------------------------------------------------------

// Add returns t + b with numpy broadcasting: shapes are aligned from the
// right, and each pair of dimensions must be equal or one of them 1.
func (t *Tensor) Add(b *Tensor) *Tensor { return binaryOp(opAdd, t, b) }

// Sub returns t − b with numpy broadcasting (see Add).
func (t *Tensor) Sub(b *Tensor) *Tensor { return binaryOp(opSub, t, b) }

// Mul returns the elementwise product t · b with numpy broadcasting (see Add).
func (t *Tensor) Mul(b *Tensor) *Tensor { return binaryOp(opMul, t, b) }

// Div returns t / b elementwise with numpy broadcasting (see Add).
// Division by zero follows IEEE 754 (±Inf, or NaN for 0/0), as in PyTorch.
func (t *Tensor) Div(b *Tensor) *Tensor { return binaryOp(opDiv, t, b) }

func binaryOp(op opKind, a, b *Tensor) *Tensor {
	if a.Err() != nil {
		return Failed(a.Err())
	}
	if b.Err() != nil {
		return Failed(b.Err())
	}
	out, ok := broadcastShapes(a.shape, b.shape)
	if !ok {
		return Failed(shapeErr(op.String(), "shapes do not broadcast", "dimensions are compared from the right and must be equal or 1; reshape or Unsqueeze one operand", a.shape, b.shape))
	}
	return apply1(op, []*Tensor{a, b}, opParams{}, func(in []*Tensor) *Tensor {
		return binaryCPU(op, in[0], in[1], out)
	})
}

func binaryCPU(op opKind, a, b *Tensor, shape []int) *Tensor {
	ws := outWS(a, b)
	dst := allocIn(ws, numel(shape))
	var f func(x, y float32) float32
	switch op {
	case opAdd:
		f = func(x, y float32) float32 { return x + y }
	case opSub:
		f = func(x, y float32) float32 { return x - y }
	case opMul:
		f = func(x, y float32) float32 { return x * y }
	default:
		f = func(x, y float32) float32 { return x / y }
	}
	// Fast path: same shape, both contiguous.
	if slices.Equal(a.shape, b.shape) && a.IsContiguous() && b.IsContiguous() {
		x := a.data[a.offset : a.offset+len(dst)]
		y := b.data[b.offset : b.offset+len(dst)]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = x[i] + y[i]
			}
		case opSub:
			for i := range dst {
				dst[i] = x[i] - y[i]
			}
		case opMul:
			for i := range dst {
				dst[i] = x[i] * y[i]
			}
		default:
			for i := range dst {
				dst[i] = x[i] / y[i]
			}
		}
		return newHostIn(ws, dst, shape)
	}
	sa := bstrides(a.shape, a.strides, shape)
	sb := bstrides(b.shape, b.strides, shape)
	ad, bd := a.data, b.data
	k := 0
	forRows(shape, []int{a.offset, b.offset}, [][]int{sa, sb}, func(offs []int, n int) {
		ia, ib := offs[0], offs[1]
		var ja, jb int
		if len(shape) > 0 {
			ja, jb = sa[len(shape)-1], sb[len(shape)-1]
		}
		for j := 0; j < n; j++ {
			dst[k] = f(ad[ia], bd[ib])
			ia += ja
			ib += jb
			k++
		}
	})
	return newHostIn(ws, dst, shape)
}

// --- elementwise unary ----------------------------------------------------------

// Scale returns t · s.
func (t *Tensor) Scale(s float32) *Tensor { return affine(t, s, 0) }

// AddScalar returns t + s.
func (t *Tensor) AddScalar(s float32) *Tensor { return affine(t, 1, s) }

// Neg returns −t.
func (t *Tensor) Neg() *Tensor { return affine(t, -1, 0) }

func affine(t *Tensor, s, v float32) *Tensor {
	return apply1(opScale, []*Tensor{t}, opParams{Scale: s, Shift: v}, func(in []*Tensor) *Tensor {
		return unaryCPU(in[0], func(x float32) float32 { return x*s + v })
	})
}

// Exp returns eˣ elementwise.
func (t *Tensor) Exp() *Tensor {
	return apply1(opExp, []*Tensor{t}, opParams{}, func(in []*Tensor) *Tensor {
		return unaryCPU(in[0], func(x float32) float32 { return float32(math.Exp(float64(x))) })
	})
}

// SiLU returns x·σ(x) = x / (1 + e⁻ˣ) elementwise (the "swish" activation
// of Llama's feed-forward layers).
func (t *Tensor) SiLU() *Tensor {
	return apply1(opSiLU, []*Tensor{t}, opParams{}, func(in []*Tensor) *Tensor {
		return unaryCPU(in[0], func(x float32) float32 { return float32(float64(x) / (1 + math.Exp(-float64(x)))) })
	})
}

func unaryCPU(t *Tensor, f func(float32) float32) *Tensor {
	src := hostSlice(t)
	ws := outWS(t)
	dst := allocIn(ws, len(src))
	for i, x := range src {
		dst[i] = f(x)
	}
	return newHostIn(ws, dst, t.shape)
}

// opDim normalises dimension dim of t for op, or says which dimensions
// exist (with more, for the usual choice, and scalar, for a 0-D tensor).
func opDim(op string, t *Tensor, dim int, more, scalar string) (int, error) {
	d, ok := normDim(dim, len(t.shape))
	if ok {
		return d, nil
	}
	hint := fmt.Sprintf("use a dimension in -%d..%d%s", len(t.shape), len(t.shape)-1, more)
	if len(t.shape) == 0 {
		hint = scalar
	}
	return 0, shapeErr(op, fmt.Sprintf("dimension %d out of range for a %d-D tensor", dim, len(t.shape)), hint, t.shape)
}

// --- reductions -----------------------------------------------------------------

// Sum adds the elements along dimension dim and removes it (torch.sum(x,
// dim)). Negative dim counts from the end.
func (t *Tensor) Sum(dim int) *Tensor { return reduce(opSum, t, dim) }

// Max returns the largest element along dim and removes it (the values of
// torch.max(x, dim)). A NaN along dim makes the result NaN.
func (t *Tensor) Max(dim int) *Tensor { return reduce(opMax, t, dim) }

// Mean averages along dim and removes it.
func (t *Tensor) Mean(dim int) *Tensor { return reduce(opMean, t, dim) }

// Argmax returns, as float32, the index of the first largest element along
// dim, which is removed (the indices of torch.max(x, dim)). A NaN counts as
// the largest, as in PyTorch.
func (t *Tensor) Argmax(dim int) *Tensor { return reduce(opArgmax, t, dim) }

func reduce(op opKind, t *Tensor, dim int) *Tensor {
	if t.Err() != nil {
		return Failed(t.Err())
	}
	d, err := opDim(op.String(), t, dim, "", "a scalar has no dimension to reduce; use t.Item()")
	if err != nil {
		return Failed(err)
	}
	if t.shape[d] == 0 && (op == opMax || op == opArgmax) {
		return Failed(Errorf(ErrValue, "%s: dimension %d of shape %v is empty; there is no largest element", op, d, t.shape))
	}
	return apply1(op, []*Tensor{t}, opParams{Dim: d}, func(in []*Tensor) *Tensor {
		return reduceCPU(op, in[0], d)
	})
}

func reduceCPU(op opKind, t *Tensor, d int) *Tensor {
	src := hostSlice(t)
	outer := numel(t.shape[:d])
	n := t.shape[d]
	inner := numel(t.shape[d+1:])
	shape := append(append([]int(nil), t.shape[:d]...), t.shape[d+1:]...)
	ws := outWS(t)
	dst := allocIn(ws, outer*inner)
	for o := 0; o < outer; o++ {
		base := o * n * inner
		row := dst[o*inner : (o+1)*inner]
		switch op {
		case opSum, opMean:
			acc := make([]float64, inner)
			for i := 0; i < n; i++ {
				s := src[base+i*inner : base+(i+1)*inner]
				for j, x := range s {
					acc[j] += float64(x)
				}
			}
			for j := range row {
				if op == opMean {
					row[j] = float32(acc[j] / float64(n))
				} else {
					row[j] = float32(acc[j])
				}
			}
		case opMax, opArgmax:
			best := make([]float32, inner)
			copy(best, src[base:base+inner])
			arg := make([]int, inner)
			for i := 1; i < n; i++ {
				s := src[base+i*inner : base+(i+1)*inner]
				for j, x := range s {
					b := best[j]
					if b != b { // NaN already wins
						continue
					}
					if x > b || x != x {
						best[j] = x
						arg[j] = i
					}
				}
			}
			if op == opMax {
				copy(row, best)
			} else {
				for j := range row {
					row[j] = float32(arg[j])
				}
			}
		}
	}
	return newHostIn(ws, dst, shape)
}

// --- masks ------------------------------------------------------------------------

// MaskedFill returns t with value wherever mask is non-zero and t's element
// elsewhere, like torch.masked_fill. mask broadcasts to t's shape.
//
// Note the sense: MaskedFill fills where the mask is 1. Attention masks in
// this package (CausalMask, PaddingMask, the mask of
// ScaledDotProductAttention) use 1 for "may attend", so blocking with one
// reads x.MaskedFill(allowed.Eq0(), -Inf) — or, simpler, pass the mask to
// ScaledDotProductAttention.
func (t *Tensor) MaskedFill(mask *Tensor, value float32) *Tensor {
	if t.Err() != nil {
		return Failed(t.Err())
	}
	if mask.Err() != nil {
		return Failed(mask.Err())
	}
	out, ok := broadcastShapes(t.shape, mask.shape)
	if !ok || !slices.Equal(out, t.shape) {
		return Failed(shapeErr("MaskedFill", "mask does not broadcast to the tensor's shape", "the mask's dimensions, aligned from the right, must equal the tensor's or be 1", t.shape, mask.shape))
	}
	return apply1(opMaskedFill, []*Tensor{t, mask}, opParams{Fill: value}, func(in []*Tensor) *Tensor {
		x, m := in[0], in[1]
		ws := outWS(x, m)
		dst := allocIn(ws, x.Len())
		sx := bstrides(x.shape, x.strides, x.shape)
		sm := bstrides(m.shape, m.strides, x.shape)
		k := 0
		forRows(x.shape, []int{x.offset, m.offset}, [][]int{sx, sm}, func(offs []int, n int) {
			ix, im := offs[0], offs[1]
			var jx, jm int
			if len(x.shape) > 0 {
				jx, jm = sx[len(sx)-1], sm[len(sm)-1]
			}
			for j := 0; j < n; j++ {
				if m.data[im] != 0 {
					dst[k] = value
				} else {
					dst[k] = x.data[ix]
				}
				ix += jx
				im += jm
				k++
			}
		})
		return newHostIn(ws, dst, x.shape)
	})
}

// Eq0 returns 1 where t is zero and 0 elsewhere: it turns an "allowed" mask
// into a "blocked" one for MaskedFill. It runs as opMaskedFill on a tensor
// of ones.
func (t *Tensor) Eq0() *Tensor {
	if t.Err() != nil {
		return Failed(t.Err())
	}
	return Ones(t.shape...).To(t.Device()).MaskedFill(t, 0)
}

// CausalMask returns the [n, n] mask of a decoder: 1 where query i may
// attend key j (j ≤ i), 0 where the key is in the future. It uses the
// convention of torch's scaled_dot_product_attention boolean attn_mask
// (True = take part):
//
//	n = 3:  1 0 0
//	        1 1 0
//	        1 1 1
func CausalMask(n int) *Tensor {
	if n < 0 {
		return Failed(Errorf(ErrValue, "CausalMask: want n ≥ 0 tokens, got %d", n))
	}
	if err := checkShape("CausalMask", []int{n, n}); err != nil {
		return Failed(err)
	}
	d := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			d[i*n+j] = 1
		}
	}
	return onDefault(newHost(d, []int{n, n}))
}

// PaddingMask returns a [B, 1, n] mask for a batch of B sequences padded to
// n tokens: element (b, 0, j) is 1 when j < lengths[b] (a real token) and 0
// for padding. It broadcasts against [B, Tq, n] scores (and, after
// Unsqueeze(1), against [B, H, Tq, n]).
func PaddingMask(lengths []int, n int) *Tensor {
	if n < 0 {
		return Failed(Errorf(ErrValue, "PaddingMask: want n ≥ 0 tokens, got %d", n))
	}
	if err := checkShape("PaddingMask", []int{len(lengths), 1, n}); err != nil {
		return Failed(err)
	}
	d := make([]float32, len(lengths)*n)
	for b, l := range lengths {
		if l < 0 || l > n {
			return Failed(Errorf(ErrValue, "PaddingMask: lengths[%d] = %d, want 0 ≤ length ≤ n = %d", b, l, n))
		}
		for j := 0; j < l; j++ {
			d[b*n+j] = 1
		}
	}
	return onDefault(newHost(d, []int{len(lengths), 1, n}))
}

// --- normalisation -----------------------------------------------------------------

// normParam is a [d] parameter of a normalisation; nil stands for def(d)
// (ones for a weight, zeros for a bias).
type normParam struct {
	name string
	v    *Tensor
	def  func(shape ...int) *Tensor
}

// normInputs checks the inputs of a normalisation over the last dimension
// (op names it in errors): t has a dimension, each parameter is [d], eps is
// finite and ≥ 0. It returns t and the parameters, and d.
func normInputs(op string, t *Tensor, eps float32, params ...normParam) ([]*Tensor, int, error) {
	if t.Err() != nil {
		return nil, 0, t.Err()
	}
	if len(t.shape) == 0 {
		return nil, 0, shapeErr(op, "need at least 1 dimension", "", t.shape)
	}
	d := t.shape[len(t.shape)-1]
	in := []*Tensor{t}
	for _, p := range params {
		v := p.v
		if v == nil {
			v = p.def(d).To(t.Device())
		}
		if v.Err() != nil {
			return nil, 0, v.Err()
		}
		if len(v.shape) != 1 || v.shape[0] != d {
			return nil, 0, shapeErr(op, p.name+" must be 1-D with the size of the last dimension", fmt.Sprintf("want %s of shape [%d]", p.name, d), t.shape, v.shape)
		}
		in = append(in, v)
	}
	if !(eps >= 0) || math.IsInf(float64(eps), 0) {
		return nil, 0, Errorf(ErrValue, "%s: eps must be a finite number ≥ 0, got %v", op, eps)
	}
	return in, d, nil
}

// RMSNorm normalises over the last dimension as Llama does:
//
//	y = x / √(mean(x²) + eps) · weight
//
// weight has shape [d] (d = the last dimension); nil means no weight (all
// ones). eps must be ≥ 0 (Llama uses 1e-5 or 1e-6).
func (t *Tensor) RMSNorm(weight *Tensor, eps float32) *Tensor {
	in, d, err := normInputs("RMSNorm", t, eps, normParam{"weight", weight, Ones})
	if err != nil {
		return Failed(err)
	}
	return apply1(opRMSNorm, in, opParams{Eps: eps}, func(in []*Tensor) *Tensor {
		src := hostSlice(in[0])
		w := hostSlice(in[1])
		ws := outWS(in...)
		dst := allocIn(ws, len(src))
		for o := 0; o+d <= len(src) && d > 0; o += d {
			// Four partial sums: one dependent add per element would
			// cost four times as long on rows of 64.
			row := src[o : o+d]
			var s0, s1, s2, s3 float64
			j := 0
			for ; j+4 <= d; j += 4 {
				x := row[j : j+4 : j+4]
				s0 += float64(x[0]) * float64(x[0])
				s1 += float64(x[1]) * float64(x[1])
				s2 += float64(x[2]) * float64(x[2])
				s3 += float64(x[3]) * float64(x[3])
			}
			for ; j < d; j++ {
				s0 += float64(row[j]) * float64(row[j])
			}
			ss := (s0 + s1) + (s2 + s3)
			r := 1 / math.Sqrt(ss/float64(d)+float64(eps))
			for j, x := range src[o : o+d] {
				dst[o+j] = float32(float64(x)*r) * w[j]
			}
		}
		return newHostIn(ws, dst, in[0].shape)
	})
}
