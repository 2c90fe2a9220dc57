// Package half converts IEEE 754 binary16 and bfloat16 to and from
// float32, written out so a reader can follow them bit by bit; package
// tensor (its .npy and safetensors readers and writers, and its exported
// Float16ToFloat32 ...) and package model (GGUF F16/BF16 tensors) both use
// it.
//
// IEEE 754 binary16 ("f16", numpy float16, torch.float16):
//
//	sign(1) exponent(5, bias 15) mantissa(10)
//
// bfloat16 ("bf16", torch.bfloat16) is the top half of a float32:
//
//	sign(1) exponent(8, bias 127) mantissa(7)
//
// Widening to float32 is exact. Narrowing rounds to nearest, ties to even
// (as numpy's astype(float16) and torch's .to(torch.bfloat16) do), overflows
// to ±Inf, keeps subnormals and signed zeros, and keeps NaNs NaN.
package half

import (
	"encoding/binary"
	"math"
	"sync"
)

// Float16ToFloat32 returns the float32 value of the binary16 bits h. It is
// exact: every float16 value, subnormals included, is a float32 value.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf or NaN: keep the payload in the top mantissa bits
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0: // normal: rebias 15 -> 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
	case man == 0: // ±0
		return math.Float32frombits(sign)
	}
	// subnormal: man × 2^-24. Shift the leading 1 up to the implicit bit.
	e := uint32(127 - 15 + 1)
	for man&0x400 == 0 {
		man <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
}

// Float32ToFloat16 returns the binary16 bits nearest to f, ties to even.
// Values beyond ±65504 (after rounding) become ±Inf; values too small for
// a float16 subnormal become ±0; a NaN stays a NaN with the top bits of its
// payload (as numpy does).
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if man == 0 {
			return sign | 0x7c00
		}
		h := uint16(0x7c00 | man>>13)
		if h == 0x7c00 { // payload only in the low bits: stay a NaN
			h++
		}
		return sign | h
	}
	e := exp - 127 + 15 // the float16 biased exponent
	if e >= 0x1f {      // too large even before rounding
		return sign | 0x7c00
	}
	if e <= 0 {
		// float16 subnormal (or zero): value = m × 2^-24 with m < 1024.
		if e < -10 { // below half the smallest subnormal: rounds to 0
			return sign
		}
		m := man | 0x800000 // the implicit 1 (exp != 0 here since e > -11)
		shift := uint32(14 - e)
		return sign | uint16(roundShiftRNE(m, shift))
	}
	// normal: drop 13 mantissa bits with round to nearest even. A carry out
	// of the mantissa correctly bumps the exponent (and 0x7bff+1 -> Inf).
	h := uint32(e)<<10 | man>>13
	return sign | uint16(roundAdd(h, man, 13))
}

// roundShiftRNE returns m >> shift rounded to nearest, ties to even.
func roundShiftRNE(m, shift uint32) uint32 {
	if shift >= 32 {
		return 0
	}
	return roundAdd(m>>shift, m, shift)
}

// roundAdd rounds the truncated value q = m >> shift by looking at the
// dropped low bits of m: up when they exceed one half, or equal one half
// and q is odd.
func roundAdd(q, m, shift uint32) uint32 {
	half := uint32(1) << (shift - 1)
	rest := m & (1<<shift - 1)
	if rest > half || (rest == half && q&1 == 1) {
		q++
	}
	return q
}

// BFloat16ToFloat32 returns the float32 value of the bfloat16 bits h
// (exact: h is the top half of that float32).
func BFloat16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// Float32ToBFloat16 returns the bfloat16 bits nearest to f, ties to even,
// as torch's .to(torch.bfloat16) does. A NaN keeps its sign and the top of
// its payload and is made quiet (as the Rust half crate does), so bfloat16
// NaNs — torch writes 0x7fc0 or 0xffff — survive a round trip unchanged.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return uint16(b>>16) | 0x0040
	}
	// Adding 0x7fff plus the lowest kept bit rounds to nearest even; a
	// carry into the exponent is the correct result (up to Inf).
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// table returns every float16 value as a float32 (256 KiB, made on first
// use): decoding a float16 array is then one lookup per element.
var table = sync.OnceValue(func() *[65536]float32 {
	var t [65536]float32
	for i := range t {
		t[i] = Float16ToFloat32(uint16(i))
	}
	return &t
})

// DecodeFloat16 converts the binary16 values in raw (2 bytes each, in the
// given byte order) into dst; raw holds at least 2·len(dst) bytes.
func DecodeFloat16(dst []float32, raw []byte, order binary.ByteOrder) {
	tab := table()
	for i := range dst {
		dst[i] = tab[order.Uint16(raw[2*i:])]
	}
}

// DecodeBFloat16 converts the bfloat16 values in raw (2 bytes each, in the
// given byte order) into dst; raw holds at least 2·len(dst) bytes.
func DecodeBFloat16(dst []float32, raw []byte, order binary.ByteOrder) {
	for i := range dst {
		dst[i] = BFloat16ToFloat32(order.Uint16(raw[2*i:]))
	}
}
