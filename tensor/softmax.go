package tensor

import (
	"math"

	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

// Softmax returns softmax over dimension dim (negative counts from the
// end):
//
//	softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m),   m = maxⱼ xⱼ
//
// Subtracting the row maximum m keeps exp from overflowing (the "stable"
// softmax); the result is the same as without it.
//
// Rows that are not ordinary numbers get a defined result, never a silent
// NaN:
//   - a row whose entries are all −Inf (a query masked from every key) gives
//     all zeros: no key receives any attention. (PyTorch gives NaN here.)
//     Such a row sums to 0 instead of 1, which is the sign to look for.
//   - +Inf entries share the row's weight equally (the limit of a score
//     growing without bound); the other entries get 0.
//   - a NaN anywhere in the row makes the whole row NaN, because the input
//     itself is not a number.
//
// exp is a float32 polynomial (Cephes expf, ≈1e-7 relative error, with
// arguments below −86 giving 0), vectorised with AVX2 where available.
func (t *Tensor) Softmax(dim int) *Tensor { return softmaxOp("Softmax", t, dim, 1) }

// SoftmaxTemp is softmax(x / temperature) over dim. Temperatures above 1
// flatten the distribution, below 1 sharpen it; temperature must be a
// finite number > 0.
func (t *Tensor) SoftmaxTemp(dim int, temperature float32) *Tensor {
	if t.Err() != nil {
		return Failed(t.Err())
	}
	if !(temperature > 0) || math.IsInf(float64(temperature), 0) {
		return Failed(Errorf(ErrValue, "SoftmaxTemp: temperature must be a finite number > 0, got %v; use 1 for the plain softmax", temperature))
	}
	return softmaxOp("SoftmaxTemp", t, dim, 1/temperature)
}

func softmaxOp(name string, t *Tensor, dim int, scale float32) *Tensor {
	if t.Err() != nil {
		return Failed(t.Err())
	}
	d, err := opDim(name, t, dim, " (usually -1, the keys)", "a scalar has no dimension to normalise over")
	if err != nil {
		return Failed(err)
	}
	return apply1(opSoftmax, []*Tensor{t}, opParams{Dim: d, Scale: scale}, func(in []*Tensor) *Tensor {
		x := in[0]
		last := len(x.shape) - 1
		if d != last {
			// Move dim to the end, normalise rows, move it back.
			y := softmaxLast(x.Transpose(d, last), scale)
			return y.Transpose(d, last).Contiguous()
		}
		return softmaxLast(x, scale)
	})
}

// softmaxLast normalises over the last dimension of a CPU tensor.
func softmaxLast(x *Tensor, scale float32) *Tensor {
	src := hostSlice(x)
	ws := outWS(x)
	dst := allocIn(ws, len(src))
	n := x.shape[len(x.shape)-1]
	if n == 0 {
		return newHostIn(ws, dst, x.shape)
	}
	rows := len(src) / n
	cpu.ParallelRows(rows, n, func(r int) {
		cpu.SoftmaxRow(dst[r*n:(r+1)*n], src[r*n:(r+1)*n], scale)
	})
	return newHostIn(ws, dst, x.shape)
}
