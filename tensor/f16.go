package tensor

import "github.com/attnviz/attnviz/internal/half"

// Half precision. IEEE 754 binary16 ("f16", numpy float16, torch.float16):
//
//	sign(1) exponent(5, bias 15) mantissa(10)
//
// bfloat16 ("bf16", torch.bfloat16) is the top half of a float32:
//
//	sign(1) exponent(8, bias 127) mantissa(7)
//
// Widening to float32 is exact. Narrowing rounds to nearest, ties to even
// (as numpy's astype(float16) and torch's .to(torch.bfloat16) do), overflows
// to ±Inf, keeps subnormals and signed zeros, and keeps NaNs NaN. The bit
// by bit conversions are in internal/half, which the file readers here and
// package model's GGUF reader share.

// Float16ToFloat32 returns the float32 value of the binary16 bits h. It is
// exact: every float16 value, subnormals included, is a float32 value.
func Float16ToFloat32(h uint16) float32 { return half.Float16ToFloat32(h) }

// Float32ToFloat16 returns the binary16 bits nearest to f, ties to even.
// Values beyond ±65504 (after rounding) become ±Inf; values too small for
// a float16 subnormal become ±0; a NaN stays a NaN with the top bits of its
// payload (as numpy does).
func Float32ToFloat16(f float32) uint16 { return half.Float32ToFloat16(f) }

// BFloat16ToFloat32 returns the float32 value of the bfloat16 bits h
// (exact: h is the top half of that float32).
func BFloat16ToFloat32(h uint16) float32 { return half.BFloat16ToFloat32(h) }

// Float32ToBFloat16 returns the bfloat16 bits nearest to f, ties to even,
// as torch's .to(torch.bfloat16) does. A NaN keeps its sign and the top of
// its payload and is made quiet (as the Rust half crate does), so bfloat16
// NaNs — torch writes 0x7fc0 or 0xffff — survive a round trip unchanged.
func Float32ToBFloat16(f float32) uint16 { return half.Float32ToBFloat16(f) }
