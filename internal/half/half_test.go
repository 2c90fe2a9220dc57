package half

import (
	"encoding/binary"
	"math"
	"testing"
)

// The array decoders give, for every 16-bit pattern and both byte orders,
// what the scalar conversions give (those are checked against numpy and
// torch, every value, in package tensor's TestHalfExhaustive).
func TestDecodeMatchesScalar(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		raw := make([]byte, 2*65536)
		for i := range 65536 {
			order.PutUint16(raw[2*i:], uint16(i))
		}
		f16, bf16 := make([]float32, 65536), make([]float32, 65536)
		DecodeFloat16(f16, raw, order)
		DecodeBFloat16(bf16, raw, order)
		for i := range 65536 {
			h := uint16(i)
			if a, b := f16[i], Float16ToFloat32(h); math.Float32bits(a) != math.Float32bits(b) {
				t.Fatalf("%v DecodeFloat16(%#04x) = %v, scalar %v", order, h, a, b)
			}
			if a, b := bf16[i], BFloat16ToFloat32(h); math.Float32bits(a) != math.Float32bits(b) {
				t.Fatalf("%v DecodeBFloat16(%#04x) = %v, scalar %v", order, h, a, b)
			}
		}
	}
}
