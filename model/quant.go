package model

import (
	"encoding/binary"
	"math"

	"github.com/attnviz/attnviz/internal/half"
)

// Dequantization of ggml's block types, written from the block layouts
// (ggml-common.h) to give exactly what ggml's reference dequantize_row_*
// (ggml-quants.c) gives. Each product or sum is rounded to float32 on its
// own (Go never fuses x*y+z here: the products are converted explicitly),
// as C evaluates them without contraction.
//
//	type  elements  bytes  block (little endian)
//	Q4_0     32      18    d f16 | qs[16]: element j low nibble, j+16 high; x = (q−8)·d
//	Q4_1     32      20    d f16, m f16 | qs[16]; x = q·d + m
//	Q5_0     32      22    d f16 | qh u32 (5th bits) | qs[16]; x = (q−16)·d
//	Q5_1     32      24    d f16, m f16 | qh u32 | qs[16]; x = q·d + m
//	Q8_0     32      34    d f16 | qs[32] int8; x = q·d
//	Q2_K    256      84    scales[16] (4-bit scale | 4-bit min) | qs[64] 2-bit | d f16, dmin f16
//	Q3_K    256     110    hmask[32] (3rd bits) | qs[64] 2-bit | scales[12] 6-bit | d f16
//	Q4_K    256     144    d f16, dmin f16 | scales[12] (6-bit scales and mins) | qs[128] 4-bit
//	Q5_K    256     176    d f16, dmin f16 | scales[12] | qh[32] (5th bits) | qs[128] 4-bit
//	Q6_K    256     210    ql[128] 4-bit | qh[64] 2-bit | scales[16] int8 | d f16

// GGML tensor types with a dequantizer.
const (
	GGMLQ4_0 GGMLType = 2
	GGMLQ4_1 GGMLType = 3
	GGMLQ5_0 GGMLType = 6
	GGMLQ5_1 GGMLType = 7
	GGMLQ8_0 GGMLType = 8
	GGMLQ2_K GGMLType = 10
	GGMLQ3_K GGMLType = 11
	GGMLQ4_K GGMLType = 12
	GGMLQ5_K GGMLType = 13
	GGMLQ6_K GGMLType = 14
)

// blockDecoder dequantizes whole blocks: len(src) = nblocks × block bytes,
// len(dst) = nblocks × block elements.
type blockDecoder func(dst []float32, src []byte)

var dequantizers = map[GGMLType]blockDecoder{
	GGMLF32:  decodeF32,
	GGMLF16:  decodeF16,
	GGMLBF16: decodeBF16,
	GGMLQ4_0: dequantQ4_0,
	GGMLQ4_1: dequantQ4_1,
	GGMLQ5_0: dequantQ5_0,
	GGMLQ5_1: dequantQ5_1,
	GGMLQ8_0: dequantQ8_0,
	GGMLQ2_K: dequantQ2_K,
	GGMLQ3_K: dequantQ3_K,
	GGMLQ4_K: dequantQ4_K,
	GGMLQ5_K: dequantQ5_K,
	GGMLQ6_K: dequantQ6_K,
}

// supportedTypes names the loadable types, for error messages.
const supportedTypes = "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K"

func f16(b []byte) float32 { return half.Float16ToFloat32(binary.LittleEndian.Uint16(b)) }

func decodeF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func decodeF16(dst []float32, src []byte)  { half.DecodeFloat16(dst, src, binary.LittleEndian) }
func decodeBF16(dst []float32, src []byte) { half.DecodeBFloat16(dst, src, binary.LittleEndian) }

func dequantQ4_0(dst []float32, src []byte) {
	for ; len(src) >= 18; src, dst = src[18:], dst[32:] {
		d := f16(src)
		qs := src[2:18]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			y[j] = float32(int(qs[j]&0x0F)-8) * d
			y[j+16] = float32(int(qs[j]>>4)-8) * d
		}
	}
}

func dequantQ4_1(dst []float32, src []byte) {
	for ; len(src) >= 20; src, dst = src[20:], dst[32:] {
		d, m := f16(src), f16(src[2:])
		qs := src[4:20]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			y[j] = float32(float32(qs[j]&0x0F)*d) + m
			y[j+16] = float32(float32(qs[j]>>4)*d) + m
		}
	}
}

func dequantQ5_0(dst []float32, src []byte) {
	for ; len(src) >= 22; src, dst = src[22:], dst[32:] {
		d := f16(src)
		qh := binary.LittleEndian.Uint32(src[2:])
		qs := src[6:22]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			lo, hi := q5(qh, qs[j], j)
			y[j] = float32(int(lo)-16) * d
			y[j+16] = float32(int(hi)-16) * d
		}
	}
}

func dequantQ5_1(dst []float32, src []byte) {
	for ; len(src) >= 24; src, dst = src[24:], dst[32:] {
		d, m := f16(src), f16(src[2:])
		qh := binary.LittleEndian.Uint32(src[4:])
		qs := src[8:24]
		y := dst[:32]
		for j := 0; j < 16; j++ {
			lo, hi := q5(qh, qs[j], j)
			y[j] = float32(float32(lo)*d) + m
			y[j+16] = float32(float32(hi)*d) + m
		}
	}
}

// q5 gives the j-th pair of 5-bit quants of a Q5_0/Q5_1 block: the low and
// high nibbles of q with, as fifth bit, bits j and j+16 of qh.
func q5(qh uint32, q byte, j int) (lo, hi byte) {
	return q&0x0F | byte(qh>>j<<4)&0x10, q>>4 | byte(qh>>(j+12))&0x10
}

func dequantQ8_0(dst []float32, src []byte) {
	for ; len(src) >= 34; src, dst = src[34:], dst[32:] {
		d := f16(src)
		qs := (*[32]byte)(src[2:34])
		y := (*[32]float32)(dst[:32])
		for j := range y {
			y[j] = float32(int8(qs[j])) * d
		}
	}
}

func dequantQ2_K(dst []float32, src []byte) {
	for ; len(src) >= 84; src, dst = src[84:], dst[256:] {
		scales, q := src[:16], src[16:80]
		d, dmin := f16(src[80:]), f16(src[82:])
		y := dst[:256]
		is := 0
		for n := 0; n < 256; n += 128 {
			shift := uint(0)
			for j := 0; j < 4; j++ {
				for half := 0; half < 2; half++ {
					sc := scales[is]
					is++
					dl, ml := d*float32(sc&0xF), dmin*float32(sc>>4)
					qq := q[16*half : 16*half+16]
					for l := 0; l < 16; l++ {
						y[l] = float32(dl*float32((qq[l]>>shift)&3)) - ml
					}
					y = y[16:]
				}
				shift += 2
			}
			q = q[32:]
		}
	}
}

func dequantQ3_K(dst []float32, src []byte) {
	var scales [16]int8
	for ; len(src) >= 110; src, dst = src[110:], dst[256:] {
		hm, q, sc := src[:32], src[32:96], src[96:108]
		dAll := f16(src[108:])
		// 16 six-bit scales: low 4 bits from sc[0:8], high 2 bits from sc[8:12].
		for j := 0; j < 16; j++ {
			lo := sc[j%8] >> (4 * uint(j/8)) & 0xF
			hi := sc[8+j%4] >> (2 * uint(j/4)) & 3
			scales[j] = int8(lo|hi<<4) - 32
		}
		y := dst[:256]
		is := 0
		m := byte(1)
		for n := 0; n < 256; n += 128 {
			shift := uint(0)
			for j := 0; j < 4; j++ {
				for half := 0; half < 2; half++ {
					dl := dAll * float32(scales[is])
					is++
					qq, hh := q[16*half:16*half+16], hm[16*half:16*half+16]
					for l := 0; l < 16; l++ {
						v := int((qq[l] >> shift) & 3)
						if hh[l]&m == 0 {
							v -= 4
						}
						y[l] = dl * float32(v)
					}
					y = y[16:]
				}
				shift += 2
				m <<= 1
			}
			q = q[32:]
		}
	}
}

// scaleMinK4 unpacks the j-th 6-bit scale and min of Q4_K/Q5_K (ggml's
// get_scale_min_k4).
func scaleMinK4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// scalesK4 gives the scales and mins of sub-blocks is and is+1 of a
// Q4_K/Q5_K block whose super-block scale and min are d and dmin.
func scalesK4(is int, scales []byte, d, dmin float32) (d1, m1, d2, m2 float32) {
	sc, m := scaleMinK4(is, scales)
	d1, m1 = d*float32(sc), dmin*float32(m)
	sc, m = scaleMinK4(is+1, scales)
	return d1, m1, d * float32(sc), dmin * float32(m)
}

func dequantQ4_K(dst []float32, src []byte) {
	for ; len(src) >= 144; src, dst = src[144:], dst[256:] {
		d, dmin := f16(src), f16(src[2:])
		scales, q := src[4:16], src[16:144]
		y := dst[:256]
		for is := 0; is < 8; is += 2 {
			d1, m1, d2, m2 := scalesK4(is, scales, d, dmin)
			for l := 0; l < 32; l++ {
				y[l] = float32(d1*float32(q[l]&0xF)) - m1
				y[l+32] = float32(d2*float32(q[l]>>4)) - m2
			}
			y, q = y[64:], q[32:]
		}
	}
}

func dequantQ5_K(dst []float32, src []byte) {
	for ; len(src) >= 176; src, dst = src[176:], dst[256:] {
		d, dmin := f16(src), f16(src[2:])
		scales, qh, ql := src[4:16], src[16:48], src[48:176]
		y := dst[:256]
		u1, u2 := byte(1), byte(2)
		for is := 0; is < 8; is += 2 {
			d1, m1, d2, m2 := scalesK4(is, scales, d, dmin)
			for l := 0; l < 32; l++ {
				lo, hi := ql[l]&0xF, ql[l]>>4
				if qh[l]&u1 != 0 {
					lo += 16
				}
				if qh[l]&u2 != 0 {
					hi += 16
				}
				y[l] = float32(d1*float32(lo)) - m1
				y[l+32] = float32(d2*float32(hi)) - m2
			}
			y, ql = y[64:], ql[32:]
			u1, u2 = u1<<2, u2<<2
		}
	}
}

func dequantQ6_K(dst []float32, src []byte) {
	for ; len(src) >= 210; src, dst = src[210:], dst[256:] {
		ql, qh := src[:128], src[128:192]
		d := f16(src[208:])
		y := dst[:256]
		for n := 0; n < 2; n++ {
			sc := src[192+8*n : 200+8*n]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int8(ql[l]&0xF|(qh[l]>>0&3)<<4) - 32
				q2 := int8(ql[l+32]&0xF|(qh[l]>>2&3)<<4) - 32
				q3 := int8(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int8(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				y[l] = d * float32(int8(sc[is])) * float32(q1)
				y[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				y[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				y[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
			y, ql, qh = y[128:], ql[64:], qh[32:]
		}
	}
}
