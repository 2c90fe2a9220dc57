package cpu

import (
	"math"
	"unsafe"
)

// ParallelRows runs fn over rows, on several goroutines when there is
// enough work to pay for them.
func ParallelRows(rows, n int, fn func(r int)) {
	if rows*n < 1<<15 {
		for r := 0; r < rows; r++ {
			fn(r)
		}
		return
	}
	const chunk = 16
	ParallelFor((rows+chunk-1)/chunk, func(_ *Work, c int) {
		for r := c * chunk; r < min(rows, (c+1)*chunk); r++ {
			fn(r)
		}
	})
}

// SoftmaxRow writes softmax(src·scale) to dst; dst may alias src.
func SoftmaxRow(dst, src []float32, scale float32) {
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
	if hasAVX512 && n >= 32 {
		mv, bad := scaleMaxAVX512(&dst[0], &src[0], n, s)
		return mv, bad == 0
	}
	if hasAVX2 && n-i >= 8 {
		var out [16]float32
		k := (n - i) &^ 7
		scaleMaxAVX2(&dst[i], &src[i], k, s, &out)
		for j := 0; j < 8; j++ {
			if out[j] > m {
				m = out[j]
			}
			if out[8+j] != 0 {
				finite = false
			}
		}
		i += k
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

// CopyScaleMax writes dcopy = src and dscaled = src·s and returns the
// maximum of dscaled and whether it is all finite. With stream, both
// destinations are written with non-temporal stores where possible: they
// are kept for the lesson but not read again by the computation, and
// tensors much larger than the caches would only evict useful data.
func CopyScaleMax(dcopy, dscaled, src []float32, s float32, stream bool) (float32, bool) {
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

// StreamCopy is copy(dst, src), with non-temporal stores where possible
// when stream is set.
func StreamCopy(dst, src []float32, stream bool) {
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
		SoftmaxSlow(x)
		return
	}
	sum := ExpSubSum(x, x, m)
	ScaleSlice(x, 1/sum)
}

// SoftmaxMasked turns a row x that may hold −Inf (masked) but no NaN or
// +Inf into weights; m is the maximum of x.
func SoftmaxMasked(dst, x []float32, m float32) {
	if math.IsInf(float64(m), -1) {
		clear(dst) // every key blocked: no attention at all
		return
	}
	if m != m || math.IsInf(float64(m), 1) {
		copy(dst, x)
		SoftmaxSlow(dst)
		return
	}
	sum := ExpSubSum(dst, x, m)
	ScaleSlice(dst, 1/sum)
}

// SoftmaxSlow handles rows with ±Inf or NaN (see tensor.Softmax for the rules).
func SoftmaxSlow(x []float32) {
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
		sum := ExpSubSum(x, x, m)
		ScaleSlice(x, 1/sum)
	}
}

// ExpSubSum writes dst = exp(src − m) and returns its sum (float32 exp,
// 0 below −86).
func ExpSubSum(dst, src []float32, m float32) float32 { return ExpScaleSubSum(dst, src, 1, m) }

// ExpScaleSubSum writes dst = exp(src·s − m), the product rounded to
// float32 first (bit for bit what scaling and then ExpSubSum gives), and
// returns the sum.
func ExpScaleSubSum(dst, src []float32, s, m float32) float32 {
	n := len(src)
	var sum float32
	i := 0
	if hasAVX512 && n >= 32 {
		return expSubSumAVX512(&dst[0], &src[0], n, s, m)
	}
	if hasAVX2 && n-i >= 8 {
		k := (n - i) &^ 7
		sum += expSubSumAVX2(&dst[i], &src[i], k, s, m)
		i += k
	}
	for ; i < n; i++ {
		e := Expf(src[i]*s - m)
		dst[i] = e
		sum += e
	}
	return sum
}

func ScaleSlice(x []float32, s float32) {
	i := 0
	if hasAVX512 && len(x) >= 32 {
		scaleAVX512(&x[0], len(x), s)
		return
	}
	if hasAVX2 && len(x)-i >= 8 {
		k := (len(x) - i) &^ 7
		scaleAVX2(&x[i], k, s)
		i += k
	}
	for ; i < len(x); i++ {
		x[i] *= s
	}
}

// Expf is the scalar twin of the vector exp in softmax_amd64.s (Cephes
// expf): e^x = 2ⁿ·e^r with n = round(x·log₂e), r = x − n·ln2 (ln2 split in
// two parts for exactness), and e^r from a degree-7 polynomial. Arguments
// below −86 (where e^x < 5e-38) and −Inf give 0; NaN gives NaN; large
// arguments saturate at +Inf.
func Expf(x float32) float32 {
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
