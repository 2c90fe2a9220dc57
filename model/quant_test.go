package model

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
	"github.com/attnviz/attnviz/tensor"
)

// One block of each type built byte by byte, with the values worked out by
// hand from the layout (ggml-common.h) and ggml's dequantize_row_*.
// F16 scales used: 0x3400 = 0.25, 0x3800 = 0.5, 0x3C00 = 1, 0x4000 = 2,
// 0xBC00 = −1.
func TestDequantHandBlocks(t *testing.T) {
	le16 := func(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
	cases := []struct {
		typ  GGMLType
		blk  func() []byte
		want map[int]float32 // element → value; every other element checked against zero
		zero float32         // the value of an all-zero quant in this block (where not listed)
	}{
		{GGMLQ8_0, func() []byte {
			b := make([]byte, 34)
			le16(b, 0, 0x3800) // d = 0.5
			b[2], b[3], b[4], b[5] = 1, 0xFE, 127, 0x80
			return b
		}, map[int]float32{0: 0.5, 1: -1, 2: 63.5, 3: -64}, 0},
		{GGMLQ4_0, func() []byte {
			b := make([]byte, 18)
			le16(b, 0, 0x4000) // d = 2
			for j := 0; j < 16; j++ {
				b[2+j] = 0x88 // (8−8)·d = 0 for both nibbles
			}
			b[2] = 0x9A  // element 0: (10−8)·2 = 4; element 16: (9−8)·2 = 2
			b[17] = 0x0F // element 15: (15−8)·2 = 14; element 31: (0−8)·2 = −16
			return b
		}, map[int]float32{0: 4, 16: 2, 15: 14, 31: -16}, 0},
		{GGMLQ4_1, func() []byte {
			b := make([]byte, 20)
			le16(b, 0, 0x3800) // d = 0.5
			le16(b, 2, 0xBC00) // m = −1
			b[4] = 0x3F        // element 0: 15·0.5 − 1 = 6.5; element 16: 3·0.5 − 1 = 0.5
			return b
		}, map[int]float32{0: 6.5, 16: 0.5, 1: -1, 17: -1}, -1},
		{GGMLQ5_0, func() []byte {
			b := make([]byte, 22)
			le16(b, 0, 0x3C00)                                  // d = 1
			binary.LittleEndian.PutUint32(b[2:], 1|1<<16|1<<31) // 5th bits of elements 0, 16, 31
			for j := 0; j < 16; j++ {
				b[6+j] = 0x00 // (0−16)·1 = −16 where the 5th bit is clear
			}
			b[6] = 0x21  // element 0: (1|16)−16 = 1; element 16: (2|16)−16 = 2
			b[21] = 0xF0 // element 15: 0−16 = −16; element 31: (15|16)−16 = 15
			return b
		}, map[int]float32{0: 1, 16: 2, 15: -16, 31: 15}, -16},
		{GGMLQ5_1, func() []byte {
			b := make([]byte, 24)
			le16(b, 0, 0x3400)                         // d = 0.25
			le16(b, 2, 0x3C00)                         // m = 1
			binary.LittleEndian.PutUint32(b[4:], 1<<1) // 5th bit of element 1
			b[9] = 0x0F                                // element 1: (15|16)·0.25 + 1 = 8.75; element 17: 0·0.25 + 1 = 1
			return b
		}, map[int]float32{1: 8.75, 17: 1, 0: 1}, 1},
		{GGMLQ2_K, func() []byte {
			b := make([]byte, 84)
			// scales[i] = scale | min<<4; d = 1, dmin = 0.5
			b[0] = 0x21 // elements 0–15:  scale 1, min 2
			b[2] = 0x12 // elements 32–47: scale 2, min 1
			b[4] = 0x03 // elements 64–79: scale 3, min 0
			b[6] = 0xF4 // elements 96–111: scale 4, min 15
			b[8] = 0x01 // elements 128–143: scale 1, min 0
			// qs[0] = 0b11_10_01_00: 2-bit quants of elements 0, 32, 64, 96
			b[16] = 0xE4
			b[16+32] = 0x03 // element 128: 3
			le16(b, 80, 0x3C00)
			le16(b, 82, 0x3800)
			return b
		}, map[int]float32{
			0:   1*1*0 - 0.5*2, // −1
			32:  1*2*1 - 0.5*1, // 1.5
			64:  1*3*2 - 0,     // 6
			96:  1*4*3 - 0.5*15,
			128: 3,
			1:   -1, // same sub-block as 0, quant 0
		}, -999},
		{GGMLQ3_K, func() []byte {
			b := make([]byte, 110)
			hm, qs, sc := b[0:32], b[32:96], b[96:108]
			le16(b, 108, 0x3800) // d = 0.5
			// scale 0 = (sc[0] low nibble 1) | (sc[8] bits 0–1 = 2)<<4 = 33 → 33−32 = 1
			// scale 1 = (sc[1] low nibble 0) | (sc[9] bits 0–1 = 0)<<4 = 0 → −32
			// scale 9 = (sc[1] high nibble 15) | (sc[9] bits 4–5 = 3)<<4 = 63 → 31
			sc[0], sc[8], sc[1], sc[9] = 0x01, 0x02, 0xF0, 0x30
			qs[0], hm[0] = 0x03, 0x01 // element 0: q 3, high bit set → 3; 0.5·1·3 = 1.5
			// element 1: q 0, high bit clear → 0−4; 0.5·1·(−4) = −2
			qs[16] = 0x01               // element 16 (scale 1): 1−4 = −3; 0.5·(−32)·(−3) = 48
			qs[48], hm[16] = 0x02, 0x10 // element 144 (scale 9, hmask bit 4): 2; 0.5·31·2 = 31
			return b
		}, map[int]float32{0: 1.5, 1: -2, 16: 48, 144: 31}, -999},
		{GGMLQ4_K, func() []byte {
			b := make([]byte, 144)
			le16(b, 0, 0x3800) // d = 0.5
			le16(b, 2, 0x3400) // dmin = 0.25
			sc, qs := b[4:16], b[16:144]
			sc[0] = 10 | 0x40 // scale 0 = 10 (bit 6 feeds scale 4)
			sc[4] = 4         // min 0 = 4
			sc[1], sc[5] = 2, 0
			sc[8] = 0x21  // scale 4 = 1 | (sc[0]>>6)<<4 = 17; min 4 = 2 | (sc[4]>>6)<<4 = 2
			qs[0] = 0x3F  // element 0: 0.5·10·15 − 0.25·4 = 74; element 32: 0.5·2·3 = 3
			qs[64] = 0x02 // element 128: 0.5·17·2 − 0.25·2 = 16.5
			return b
		}, map[int]float32{0: 74, 32: 3, 128: 16.5, 1: -1}, -999},
		{GGMLQ5_K, func() []byte {
			b := make([]byte, 176)
			le16(b, 0, 0x3C00) // d = 1
			le16(b, 2, 0x3C00) // dmin = 1
			sc, qh, qs := b[4:16], b[16:48], b[48:176]
			sc[0], sc[4] = 1, 3 // scale 0 = 1, min 0 = 3
			sc[1], sc[5] = 2, 0
			sc[3], sc[7] = 4, 1
			qs[0], qh[0] = 0x05, 0x01  // element 0: 5+16 = 21; 1·21 − 3 = 18; element 32: 0
			qs[33], qh[1] = 0x70, 0x08 // element 97 (scale 3, qh bit 3): 7+16 = 23; 4·23 − 1 = 91
			return b
		}, map[int]float32{0: 18, 32: 0, 97: 91, 1: -3}, -999},
		{GGMLQ6_K, func() []byte {
			b := make([]byte, 210)
			ql, qh, sc := b[0:128], b[128:192], b[192:208]
			le16(b, 208, 0x3800) // d = 0.5
			sc[0], sc[2], sc[4], sc[6], sc[8] = 2, 0xFF, 3, 1, 0xFD
			ql[0], qh[0], ql[32] = 0x5A, 0xE4, 0x3C
			ql[64], qh[32] = 0x00, 0x03
			return b
		}, map[int]float32{
			0:   0.5 * 2 * (0xA - 32),           // −22
			32:  0.5 * -1 * ((0xC | 1<<4) - 32), // 2
			64:  0.5 * 3 * ((5 | 2<<4) - 32),    // 7.5
			96:  0.5 * 1 * ((3 | 3<<4) - 32),    // 9.5
			128: 0.5 * -3 * ((0 | 3<<4) - 32),   // −24
			1:   0.5 * 2 * -32,
		}, -999},
	}
	for _, c := range cases {
		t.Run(c.typ.String(), func(t *testing.T) {
			blk := ggmlBlocks[c.typ]
			raw := c.blk()
			if len(raw) != blk[1] {
				t.Fatalf("block of %d bytes, want %d", len(raw), blk[1])
			}
			got := make([]float32, blk[0])
			dequantizers[c.typ](got, raw)
			for i, want := range c.want {
				if got[i] != want {
					t.Errorf("element %d = %v, want %v", i, got[i], want)
				}
			}
			if c.zero != -999 {
				for i, v := range got {
					if _, listed := c.want[i]; !listed && v != c.zero {
						t.Errorf("element %d = %v, want %v", i, v, c.zero)
					}
				}
			}
		})
	}
}

// ---- a quantizer for each type, for round trips -------------------------
//
// These are not ggml's quantizers (which search for the best scales); they
// pick scales that leave every value inside the grid, so each dequantized
// value must be within half a step of the original — the format's error
// bound for those scales.

// f16up is the smallest float16 ≥ x (x ≥ 0), as bits and value.
func f16up(x float32) (uint16, float32) {
	h := tensor.Float32ToFloat16(x)
	if v := tensor.Float16ToFloat32(h); v < x {
		h++
	}
	return h, tensor.Float16ToFloat32(h)
}

// f16down is the largest float16 ≤ x.
func f16down(x float32) (uint16, float32) {
	h := tensor.Float32ToFloat16(x)
	if v := tensor.Float16ToFloat32(h); v > x {
		if x >= 0 {
			h--
		} else {
			h++
		}
	}
	return h, tensor.Float16ToFloat32(h)
}

func amax(xs []float32) float32 {
	m := float32(0)
	for _, x := range xs {
		m = max(m, float32(math.Abs(float64(x))))
	}
	return m
}

func minmax(xs []float32) (float32, float32) {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// qround rounds x/step to the nearest integer (0 when step is 0).
func qround(x, step float32) int {
	if step == 0 {
		return 0
	}
	return int(math.Round(float64(x / step)))
}

// putScale writes the float16 scale of a symmetric block (Q4_0, Q5_0,
// Q8_0) with levels steps on each side of 0 into b[0:2] and returns it.
func putScale(b []byte, xs []float32, levels float32) float32 {
	h, d := f16up(amax(xs) / levels)
	binary.LittleEndian.PutUint16(b, h)
	return d
}

// putScaleMin writes the float16 scale and minimum of a block with levels
// steps above its minimum (Q4_1, Q5_1) into b[0:4] and returns them.
func putScaleMin(b []byte, xs []float32, levels float32) (d, m float32) {
	lo, hi := minmax(xs)
	hm, m := f16down(lo)
	hd, d := f16up((hi - m) / levels)
	binary.LittleEndian.PutUint16(b, hd)
	binary.LittleEndian.PutUint16(b[2:], hm)
	return d, m
}

// put5 packs 32 5-bit quants q(j) as Q5_0 and Q5_1 do: the fifth bits in
// the uint32 at b[0:4], the low four bits in nibbles at b[4:20].
func put5(b []byte, q func(j int) int) {
	var qh uint32
	for j := 0; j < 32; j++ {
		v := q(j)
		qh |= uint32(v>>4) << j
		b[4+j%16] |= byte(v&15) << (4 * (j / 16))
	}
	binary.LittleEndian.PutUint32(b, qh)
}

// A quantizer encodes one block of xs and returns the bytes and, per
// element, the step (the error bound is half of it).
type quantizer func(xs []float32) (raw []byte, steps []float32)

var quantizers = map[GGMLType]quantizer{
	GGMLQ8_0: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 34)
		d := putScale(b, xs, 127)
		for j, x := range xs {
			b[2+j] = byte(int8(qround(x, d)))
		}
		return b, fill(32, d)
	},
	GGMLQ4_0: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 18)
		d := putScale(b, xs, 7)
		for j := 0; j < 16; j++ {
			b[2+j] = byte(qround(xs[j], d)+8) | byte(qround(xs[j+16], d)+8)<<4
		}
		return b, fill(32, d)
	},
	GGMLQ4_1: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 20)
		d, m := putScaleMin(b, xs, 15)
		for j := 0; j < 16; j++ {
			b[4+j] = byte(qround(xs[j]-m, d)) | byte(qround(xs[j+16]-m, d))<<4
		}
		return b, fill(32, d)
	},
	GGMLQ5_0: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 22)
		d := putScale(b, xs, 15)
		put5(b[2:], func(j int) int { return qround(xs[j], d) + 16 })
		return b, fill(32, d)
	},
	GGMLQ5_1: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 24)
		d, m := putScaleMin(b, xs, 31)
		put5(b[4:], func(j int) int { return qround(xs[j]-m, d) })
		return b, fill(32, d)
	},
	GGMLQ2_K: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 84)
		sc, m, d, dmin, steps := affineScales(xs, 16, 3, 15, 15)
		for s := 0; s < 16; s++ {
			b[s] = byte(sc[s]) | byte(m[s])<<4
		}
		for e, x := range xs {
			s := e / 16
			q := qround(x+float32(dmin*float32(m[s])), d*float32(sc[s]))
			half, j, l := (e%32)/16, (e%128)/32, e%16
			b[16+32*(e/128)+16*half+l] |= byte(q) << (2 * j)
		}
		binary.LittleEndian.PutUint16(b[80:], f16bits(d))
		binary.LittleEndian.PutUint16(b[82:], f16bits(dmin))
		return b, steps
	},
	GGMLQ3_K: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 110)
		sc, d, steps := symScales(xs, 16, 3, 31)
		for s := 0; s < 16; s++ {
			v := byte(sc[s] + 32) // 6 bits
			b[96+s%8] |= (v & 0xF) << (4 * (s / 8))
			b[96+8+s%4] |= (v >> 4) << (2 * (s / 4))
		}
		for e, x := range xs {
			q := qround(x, d*float32(sc[e/16])) + 4 // 0..7
			half, j, l := (e%32)/16, (e%128)/32, e%16
			b[32+32*(e/128)+16*half+l] |= byte(q&3) << (2 * j)
			if q&4 != 0 {
				b[16*half+l] |= 1 << (j + 4*(e/128))
			}
		}
		binary.LittleEndian.PutUint16(b[108:], f16bits(d))
		return b, steps
	},
	GGMLQ4_K: func(xs []float32) ([]byte, []float32) { return quantK(xs, 4) },
	GGMLQ5_K: func(xs []float32) ([]byte, []float32) { return quantK(xs, 5) },
	GGMLQ6_K: func(xs []float32) ([]byte, []float32) {
		b := make([]byte, 210)
		sc, d, steps := symScales(xs, 16, 31, 127)
		for s := 0; s < 16; s++ {
			b[192+s] = byte(int8(sc[s]))
		}
		for e, x := range xs {
			q := qround(x, d*float32(sc[e/16])) + 32 // 0..63
			n, r := e/128, e%128
			l, part := r%32, r/32 // part 0..3: low/high nibble of ql[l] or ql[l+32]
			qlIdx := 64*n + l + 32*(part%2)
			b[qlIdx] |= byte(q&15) << (4 * (part / 2))
			b[128+32*n+l] |= byte(q>>4) << (2 * part)
		}
		binary.LittleEndian.PutUint16(b[208:], f16bits(d))
		return b, steps
	},
}

func fill(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func f16bits(v float32) uint16 { return tensor.Float32ToFloat16(v) }

// symScales picks, for sub-blocks of size sub, integer scales 0..scMax of
// a float16 super-scale d so that every value is within qMax steps.
func symScales(xs []float32, sub, qMax, scMax int) (sc []int, d float32, steps []float32) {
	need := make([]float32, len(xs)/sub)
	for s := range need {
		need[s] = amax(xs[s*sub:(s+1)*sub]) / float32(qMax)
	}
	sc, d, steps = subScales(need, sub, scMax)
	return sc, d, steps
}

// subScales picks a float16 super-scale d and integer scales 0..scMax of
// it that give each sub-block s (sub elements) a step of at least need[s];
// steps holds each element's step.
func subScales(need []float32, sub, scMax int) (sc []int, d float32, steps []float32) {
	top := float32(0)
	for _, v := range need {
		top = max(top, v)
	}
	_, d = f16up(top / float32(scMax))
	sc = make([]int, len(need))
	steps = make([]float32, len(need)*sub)
	for s := range need {
		if d > 0 {
			sc[s] = min(scMax, int(math.Ceil(float64(need[s]/d))))
		}
		for e := s * sub; e < (s+1)*sub; e++ {
			steps[e] = d * float32(sc[s])
		}
	}
	return sc, d, steps
}

// affineScales is symScales for x ≈ d·sc·q − dmin·m with q in 0..qMax.
func affineScales(xs []float32, sub, qMax, scMax, mMax int) (sc, m []int, d, dmin float32, steps []float32) {
	n := len(xs) / sub
	lows := make([]float32, n)
	top := float32(0)
	for s := range lows {
		lo, _ := minmax(xs[s*sub : (s+1)*sub])
		lows[s] = max(0, -lo)
		top = max(top, lows[s])
	}
	_, dmin = f16up(top / float32(mMax))
	m = make([]int, n)
	need := make([]float32, n)
	for s := range lows {
		if dmin > 0 {
			m[s] = int(math.Ceil(float64(lows[s] / dmin)))
		}
		_, hi := minmax(xs[s*sub : (s+1)*sub])
		need[s] = (hi + dmin*float32(m[s])) / float32(qMax)
	}
	sc, d, steps = subScales(need, sub, scMax)
	return sc, m, d, dmin, steps
}

// quantK encodes Q4_K (bits 4) or Q5_K (bits 5).
func quantK(xs []float32, bits int) ([]byte, []float32) {
	size := 144
	if bits == 5 {
		size = 176
	}
	b := make([]byte, size)
	sc, m, d, dmin, steps := affineScales(xs, 32, 1<<bits-1, 63, 63)
	binary.LittleEndian.PutUint16(b, f16bits(d))
	binary.LittleEndian.PutUint16(b[2:], f16bits(dmin))
	scales := b[4:16]
	for j := 0; j < 8; j++ { // inverse of get_scale_min_k4
		if j < 4 {
			scales[j] |= byte(sc[j])
			scales[j+4] |= byte(m[j])
		} else {
			scales[j+4] |= byte(sc[j]&15) | byte(m[j]&15)<<4
			scales[j-4] |= byte(sc[j]>>4) << 6
			scales[j] |= byte(m[j]>>4) << 6
		}
	}
	qs := b[size-128:]
	for e, x := range xs {
		s := e / 32
		q := qround(x+float32(dmin*float32(m[s])), d*float32(sc[s]))
		c, half, l := e/64, (e%64)/32, e%32
		qs[32*c+l] |= byte(q&15) << (4 * half)
		if bits == 5 && q&16 != 0 {
			b[16+l] |= 1 << (2*c + half)
		}
	}
	return b, steps
}

// Random data through each quantizer and back: every value within half a
// step (plus float32 rounding), and the steps are no coarser than the
// format allows.
func TestDequantRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for typ, quant := range quantizers {
		t.Run(typ.String(), func(t *testing.T) {
			blk := ggmlBlocks[typ]
			worst := 0.0
			for trial := 0; trial < 200; trial++ {
				xs := make([]float32, blk[0])
				scale := float32(math.Pow(10, rng.Float64()*4-2)) // 0.01 … 100
				shift := float32(0)
				if trial%3 == 1 {
					shift = scale * float32(rng.Float64()) // lopsided blocks
				}
				for i := range xs {
					xs[i] = float32(rng.NormFloat64())*scale + shift
					if trial%7 == 3 && i%16 < 4 {
						xs[i] = 0 // quiet sub-blocks
					}
				}
				raw, steps := quant(xs)
				if len(raw) != blk[1] {
					t.Fatalf("quantizer wrote %d bytes, want %d", len(raw), blk[1])
				}
				got := make([]float32, blk[0])
				dequantizers[typ](got, raw)
				for i, x := range xs {
					err := math.Abs(float64(got[i] - x))
					bound := float64(steps[i])*0.5*(1+1e-5) + 1e-6*float64(scale)
					if err > bound {
						t.Fatalf("trial %d element %d: %v → %v, error %g > bound %g (step %g)", trial, i, x, got[i], err, bound, steps[i])
					}
					worst = max(worst, err/float64(scale))
				}
			}
			t.Logf("%s: worst error %.3g × the data's scale", typ, worst)
		})
	}
}

// A quantized tensor in a GGUF file: Tensor, TensorT and the parallel
// decoding of many rows give the same values as decoding block by block.
func TestQuantizedTensorDecode(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for typ, quant := range quantizers {
		blk := ggmlBlocks[typ]
		cols, rows := 2*blk[0], 37
		var raw []byte
		want := make([]float32, 0, cols*rows)
		for b := 0; b < cols*rows/blk[0]; b++ {
			xs := make([]float32, blk[0])
			for i := range xs {
				xs[i] = float32(rng.NormFloat64())
			}
			r, _ := quant(xs)
			raw = append(raw, r...)
			one := make([]float32, blk[0])
			dequantizers[typ](one, r)
			want = append(want, one...)
		}
		g := mustParse(t, encodeGGUF(3, nil, []wTensor{{"w", []uint64{uint64(cols), uint64(rows)}, typ, raw}}, 0))
		got := g.Tensor("w")
		if !reflect.DeepEqual(got.Shape(), []int{rows, cols}) || !reflect.DeepEqual(got.Data(), want) {
			t.Errorf("%s: Tensor differs from block-by-block decoding", typ)
		}
		tr, err := g.decode("w", true)
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				if tr[c*rows+r] != want[r*cols+c] {
					t.Fatalf("%s: transposed [%d,%d] = %v, want %v", typ, c, r, tr[c*rows+r], want[r*cols+c])
				}
			}
		}
	}
}

// BenchmarkDequantize: decoding speed per type, in input MB/s, for a
// 768×2304 weight (GPT-2 small's fused QKV).
func BenchmarkDequantize(b *testing.B) {
	for _, typ := range []GGMLType{GGMLF16, GGMLQ8_0, GGMLQ4_0, GGMLQ4_K, GGMLQ6_K} {
		blk := ggmlBlocks[typ]
		n := 768 * 2304
		raw := make([]byte, n/blk[0]*blk[1])
		rand.New(rand.NewSource(3)).Read(raw)
		for i := 0; i+blk[1] <= len(raw); i += blk[1] {
			// keep the float16 scales finite
			for _, off := range scaleOffsets(typ) {
				binary.LittleEndian.PutUint16(raw[i+off:], 0x3C00)
			}
		}
		g := mustParse(b, encodeGGUF(3, nil, []wTensor{{"w", []uint64{768, 2304}, typ, raw}}, 0))
		for _, tr := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/transpose=%v", typ, tr), func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				for i := 0; i < b.N; i++ {
					if _, err := g.decode("w", tr); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func scaleOffsets(typ GGMLType) []int {
	switch typ {
	case GGMLQ8_0, GGMLQ4_0:
		return []int{0}
	case GGMLQ4_K:
		return []int{0, 2}
	case GGMLQ6_K:
		return []int{208}
	}
	return nil
}

// Random bytes as blocks of every type, decoded here and by the numpy
// dequantizer of scripts/torch_arch_ref.py (written independently, in
// float64): testdata/quant_ref.json, `make model-quant-ref`.
func TestDequantMatchesNumpy(t *testing.T) {
	var ref map[string]struct {
		Type   int       `json:"type"`
		Raw    string    `json:"raw"`
		Values []float64 `json:"values"`
	}
	testutil.ReadJSON(t, "testdata/quant_ref.json", &ref, "make model-quant-ref")
	if len(ref) != 10 {
		t.Errorf("%d types in the reference, want 10", len(ref))
	}
	for name, c := range ref {
		typ := GGMLType(c.Type)
		raw, err := hex.DecodeString(c.Raw)
		if err != nil {
			t.Fatal(err)
		}
		blk := ggmlBlocks[typ]
		if typ.String() != name || len(raw)%blk[1] != 0 || len(raw)/blk[1]*blk[0] != len(c.Values) {
			t.Fatalf("%s: bad reference entry", name)
		}
		got := make([]float32, len(c.Values))
		dequantizers[typ](got, raw)
		for b0 := 0; b0 < len(got); b0 += blk[0] {
			scale := 0.0
			for _, v := range c.Values[b0 : b0+blk[0]] {
				scale = math.Max(scale, math.Abs(v))
			}
			for i := b0; i < b0+blk[0]; i++ {
				// float32 rounding of the products and sums, against float64
				if d := math.Abs(float64(got[i]) - c.Values[i]); d > 1e-6*scale+1e-30 {
					t.Fatalf("%s element %d: %v here, %v in numpy (|diff| %g, block max %g)", name, i, got[i], c.Values[i], d, scale)
				}
			}
		}
	}
}
