package cpu

import (
	"math"
)

// ScaleMax writes dst = src·s and returns the maximum of dst and whether
// every element is finite.
func ScaleMax(dst, src []float32, s float32) (float32, bool) { return scaleMax(dst, src, s) }

// Activations applied by Linear after the bias (package tensor's
// Activation values).
const (
	ActNone = iota
	ActGELU
	ActGELUTanh
	ActSiLU
)

// UnpackB is the inverse of PackB for panels of width nr: it returns the
// k × n matrix, row-major.
func UnpackB(src []float32, k, n, nr int) []float32 {
	out := make([]float32, k*n)
	for j := 0; j < n; j++ {
		pan := src[j/nr*k*nr:]
		c := j % nr
		for p := 0; p < k; p++ {
			out[p*n+j] = pan[p*nr+c]
		}
	}
	return out
}

// Linear computes out[m × n] = act(a·B + bias) with B packed by PackB (k ×
// n; bias may be nil). The work is split into tasks of a row block × a
// range of column panels (SplitGemm), so that every core has work at
// every shape (a forward pass of 128 tokens has two row blocks of the
// packed path's height), and the bias and the activation are applied to
// each task's block while it is in cache.
func Linear(out []float32, a Mat, bp []float32, k, n int, bias []float32, act int) {
	m, nr := a.Rows, gemmNR
	if m == 0 || n == 0 {
		return
	}
	g := SplitGemm(1, m, n, k)
	ParallelForWork(g.RowBlocks*g.ColBlocks, m*n*k, func(w *Work, t int) {
		i0 := t / g.ColBlocks * g.Rows
		mb := min(g.Rows, m-i0)
		j0 := t % g.ColBlocks * g.Cols
		j1 := min(n, j0+g.Cols)
		p0 := j0 / nr
		GemmRows(w, a, i0, mb, bp[p0*k*nr:], j1-j0, out, i0*n+j0, n)
		if bias == nil && act == ActNone {
			return
		}
		for i := i0; i < i0+mb; i++ {
			row := out[i*n+j0 : i*n+j1]
			if bias != nil {
				for j, b := range bias[j0:j1] {
					row[j] += b
				}
			}
			Activate(row, act)
		}
	})
}

// Activate applies act to x in place.
func Activate(x []float32, act int) {
	switch act {
	case ActGELU:
		for i, v := range x {
			x[i] = GELU(v)
		}
	case ActGELUTanh:
		geluTanhSlice(x)
	case ActSiLU:
		siluSlice(x)
	}
}

// siluSlice applies x·σ(x) = x / (1 + e⁻ˣ) to x in place, with the vector
// exp kernel where the CPU has it (the scalar Expf elsewhere: the same
// values).
func siluSlice(x []float32) {
	if hasAVX512 && len(x) >= 16 {
		siluAVX512(&x[0], len(x)) // as x·t/(1+t), t = e^−|x|: no overflow
		return
	}
	expActivate(x, ActSiLU)
}

// GELUTanh is ½x(1 + tanh(√(2/π)(x + 0.044715x³))), with tanh(u) written
// as 1 − 2/(e^{2u} + 1): x − x/(e^{2u} + 1).
func GELUTanh(x float32) float32 {
	const c = 0.7978845608028654 // √(2/π)
	u := c * x * (1 + 0.044715*x*x)
	if u > 20 {
		return x
	}
	if u < -20 {
		return 0 * x
	}
	return x - x/(Expf(2*u)+1)
}

// geluTanhSlice applies GELUTanh to x in place, with the vector exp kernel
// where the CPU has it.
func geluTanhSlice(x []float32) { expActivate(x, ActGELUTanh) }

// expActivate applies act (ActSiLU or ActGELUTanh: both x·σ(z) for some z)
// to x in place, 256 values at a time: with AVX2 the exp of the chunk's
// first k = n &^ 7 values goes through the vector kernel (buf holds them),
// the rest through the scalar Expf.
func expActivate(x []float32, act int) {
	var buf [256]float32
	for len(x) > 0 {
		n := min(len(x), len(buf))
		k := 0
		if hasAVX2 && n >= 8 {
			k = n &^ 7
		}
		if act == ActSiLU {
			siluChunk(x[:n], buf[:n], k)
		} else {
			geluTanhChunk(x[:n], buf[:n], k)
		}
		x = x[n:]
	}
}

// siluChunk is expActivate's SiLU on one chunk xs, e its scratch.
func siluChunk(xs, e []float32, k int) {
	if k > 0 {
		for i, v := range xs[:k] {
			e[i] = min(-v, 88) // the vector exp does not saturate above 88
		}
		expSubSumAVX2(&e[0], &e[0], k, 1, 0) // e = exp(−x)
		for i, v := range xs[:k] {
			if -v > 88 { // x < −88 or −Inf: as the scalar path
				xs[i] = v / (1 + Expf(-v))
				continue
			}
			xs[i] = v / (1 + e[i])
		}
	}
	for i := k; i < len(xs); i++ {
		xs[i] = xs[i] / (1 + Expf(-xs[i]))
	}
}

// geluTanhChunk is expActivate's GELUTanh on one chunk xs, e its scratch.
func geluTanhChunk(xs, e []float32, k int) {
	const c2 = 2 * 0.7978845608028654
	if k > 0 {
		for i, v := range xs[:k] {
			e[i] = min(c2*v*(1+0.044715*v*v), 80)
		}
		expSubSumAVX2(&e[0], &e[0], k, 1, 0)
		for i, v := range xs[:k] {
			xs[i] = v - v/(e[i]+1)
		}
	}
	for i := k; i < len(xs); i++ {
		xs[i] = GELUTanh(xs[i])
	}
}

// GELU is x·Φ(x) = ½x(1 + erf(x/√2)).
func GELU(x float32) float32 {
	return float32(0.5 * float64(x) * (1 + math.Erf(float64(x)*0.7071067811865476)))
}
