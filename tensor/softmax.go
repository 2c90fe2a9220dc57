package tensor

import (
	"fmt"
	"math"
	"unsafe"
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
	d, ok := normDim(dim, len(t.shape))
	if !ok {
		hint := fmt.Sprintf("use a dimension in -%d..%d (usually -1, the keys)", len(t.shape), len(t.shape)-1)
		if len(t.shape) == 0 {
			hint = "a scalar has no dimension to normalise over"
		}
		return Failed(shapeErr(name, fmt.Sprintf("dimension %d out of range for a %d-D tensor", dim, len(t.shape)), hint, t.shape))
	}
	return apply1("Softmax", []*Tensor{t}, opParams{Dim: d, Scale: scale}, func(in []*Tensor) *Tensor {
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
	dst := make([]float32, len(src))
	n := x.shape[len(x.shape)-1]
	if n == 0 {
		return newHost(dst, x.shape)
	}
	rows := len(src) / n
	parallelRows(rows, n, func(r int) {
		softmaxRow(dst[r*n:(r+1)*n], src[r*n:(r+1)*n], scale)
	})
	return newHost(dst, x.shape)
}

// parallelRows runs fn over rows, on several goroutines when there is
// enough work to pay for them.
func parallelRows(rows, n int, fn func(r int)) {
	if rows*n < 1<<15 {
		for r := 0; r < rows; r++ {
			fn(r)
		}
		return
	}
	const chunk = 16
	parallelFor((rows+chunk-1)/chunk, func(_ *gemmWork, c int) {
		for r := c * chunk; r < min(rows, (c+1)*chunk); r++ {
			fn(r)
		}
	})
}

// softmaxRow writes softmax(src·scale) to dst; dst may alias src.
func softmaxRow(dst, src []float32, scale float32) {
	m, finite := scaleMax(dst, src, scale)
	softmaxInPlace(dst, m, finite)
}

// scaleMax writes dst = src·s and returns the maximum of dst and whether
// every element is finite.
func scaleMax(dst, src []float32, s float32) (float32, bool) {
	n := len(src)
	m := float32(math.Inf(-1))
	finite := true
	i := 0
	if hasAVX2 && n >= 8 {
		var out [16]float32
		k := n &^ 7
		scaleMaxAVX2(&dst[0], &src[0], k, s, &out)
		for j := 0; j < 8; j++ {
			if out[j] > m {
				m = out[j]
			}
			if out[8+j] != 0 {
				finite = false
			}
		}
		i = k
	}
	for ; i < n; i++ {
		y := src[i] * s
		dst[i] = y
		if y > m {
			m = y
		}
		if y-y != 0 {
			finite = false
		}
	}
	return m, finite
}

func aligned32(x []float32) bool { return uintptr(unsafe.Pointer(&x[0]))%32 == 0 }

// copyScaleMax writes dcopy = src and dscaled = src·s and returns the
// maximum of dscaled and whether it is all finite. With stream, both
// destinations are written with non-temporal stores where possible: they
// are kept for the lesson but not read again by the computation, and
// tensors much larger than the caches would only evict useful data.
func copyScaleMax(dcopy, dscaled, src []float32, s float32, stream bool) (float32, bool) {
	n := len(src)
	if !hasAVX2 || n < 8 {
		copy(dcopy, src)
		return scaleMax(dscaled, src, s)
	}
	var out [16]float32
	k := n &^ 7
	if stream && n >= 64 && aligned32(dcopy) && aligned32(dscaled) {
		scaleMax2NTAVX2(&dcopy[0], &dscaled[0], &src[0], k, s, &out)
	} else {
		scaleMax2AVX2(&dcopy[0], &dscaled[0], &src[0], k, s, &out)
	}
	m := float32(math.Inf(-1))
	finite := true
	for j := 0; j < 8; j++ {
		if out[j] > m {
			m = out[j]
		}
		if out[8+j] != 0 {
			finite = false
		}
	}
	if k < n {
		copy(dcopy[k:], src[k:])
		m2, f2 := scaleMax(dscaled[k:], src[k:], s)
		if m2 > m {
			m = m2
		}
		finite = finite && f2
	}
	return m, finite
}

// streamCopy is copy(dst, src), with non-temporal stores where possible
// when stream is set.
func streamCopy(dst, src []float32, stream bool) {
	n := len(src)
	if !stream || !hasAVX2 || n < 64 || !aligned32(dst) {
		copy(dst, src)
		return
	}
	k := n &^ 7
	copyNTAVX2(&dst[0], &src[0], k)
	copy(dst[k:], src[k:])
}

// softmaxInPlace turns a row of scores x (with maximum m; finite reports
// whether every element is finite) into softmax weights.
func softmaxInPlace(x []float32, m float32, finite bool) {
	if !finite || math.IsInf(float64(m), 0) {
		softmaxSlow(x)
		return
	}
	sum := expSubSum(x, x, m)
	scaleSlice(x, 1/sum)
}

// softmaxMasked turns a row x that may hold −Inf (masked) but no NaN or
// +Inf into weights; m is the maximum of x.
func softmaxMasked(dst, x []float32, m float32) {
	if math.IsInf(float64(m), -1) {
		clear(dst) // every key blocked: no attention at all
		return
	}
	if m != m || math.IsInf(float64(m), 1) {
		copy(dst, x)
		softmaxSlow(dst)
		return
	}
	sum := expSubSum(dst, x, m)
	scaleSlice(dst, 1/sum)
}

// softmaxSlow handles rows with ±Inf or NaN (see Softmax for the rules).
func softmaxSlow(x []float32) {
	nInf := 0
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v != v {
			for i := range x {
				x[i] = float32(math.NaN())
			}
			return
		}
		if math.IsInf(float64(v), 1) {
			nInf++
		}
		if v > m {
			m = v
		}
	}
	switch {
	case nInf > 0:
		w := 1 / float32(nInf)
		for i, v := range x {
			if math.IsInf(float64(v), 1) {
				x[i] = w
			} else {
				x[i] = 0
			}
		}
	case math.IsInf(float64(m), -1):
		clear(x)
	default:
		sum := expSubSum(x, x, m)
		scaleSlice(x, 1/sum)
	}
}

// expSubSum writes dst = exp(src − m) and returns its sum (float32 exp,
// 0 below −86).
func expSubSum(dst, src []float32, m float32) float32 { return expScaleSubSum(dst, src, 1, m) }

// expScaleSubSum writes dst = exp(src·s − m), the product rounded to
// float32 first (bit for bit what scaling and then expSubSum gives), and
// returns the sum.
func expScaleSubSum(dst, src []float32, s, m float32) float32 {
	n := len(src)
	var sum float32
	i := 0
	if hasAVX2 && n >= 8 {
		k := n &^ 7
		sum = expSubSumAVX2(&dst[0], &src[0], k, s, m)
		i = k
	}
	for ; i < n; i++ {
		e := expf(src[i]*s - m)
		dst[i] = e
		sum += e
	}
	return sum
}

func scaleSlice(x []float32, s float32) {
	i := 0
	if hasAVX2 && len(x) >= 8 {
		k := len(x) &^ 7
		scaleAVX2(&x[0], k, s)
		i = k
	}
	for ; i < len(x); i++ {
		x[i] *= s
	}
}

// expf is the scalar twin of the vector exp in softmax_amd64.s (Cephes
// expf): e^x = 2ⁿ·e^r with n = round(x·log₂e), r = x − n·ln2 (ln2 split in
// two parts for exactness), and e^r from a degree-7 polynomial. Arguments
// below −86 (where e^x < 5e-38) and −Inf give 0; NaN gives NaN; large
// arguments saturate at +Inf.
func expf(x float32) float32 {
	if x != x {
		return x
	}
	if !(x >= -86) {
		return 0
	}
	if x > 88 {
		return float32(math.Exp(float64(x))) // near overflow: exact, or +Inf
	}
	n := float32(math.RoundToEven(float64(x * 1.44269504088896341)))
	r := x - n*0.693359375
	r -= n * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	bits := math.Float32bits(p) + uint32(int32(n))<<23
	return math.Float32frombits(bits)
}
