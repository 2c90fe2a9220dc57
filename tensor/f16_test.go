package tensor

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

type halfRefs struct {
	F16ToF32  string `json:"f16_to_f32_sha256"`
	F32ToF16  string `json:"f32_to_f16_sha256"`
	F32ToBF16 string `json:"f32_to_bf16_sha256"`
	BF16ToF32 string `json:"bf16_to_f32_sha256"`
	Cases     []struct {
		Name string `json:"name"`
		F32  uint32 `json:"f32"`
		F16  uint16 `json:"f16"`
		BF16 uint16 `json:"bf16"`
	} `json:"cases"`
}

func loadHalfRefs(t *testing.T) halfRefs {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "files", "halfs.json"))
	if err != nil {
		t.Fatalf("%v (regenerate with: make files-ref)", err)
	}
	var r halfRefs
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHalfNamedCases checks the edge cases one by one against numpy's
// float16 and torch's bfloat16 bits.
func TestHalfNamedCases(t *testing.T) {
	r := loadHalfRefs(t)
	if len(r.Cases) < 20 {
		t.Fatalf("only %d cases in halfs.json", len(r.Cases))
	}
	for _, c := range r.Cases {
		f := math.Float32frombits(c.F32)
		if got := Float32ToFloat16(f); got != c.F16 {
			t.Errorf("%s: Float32ToFloat16(%g) = %#04x, numpy %#04x", c.Name, f, got, c.F16)
		}
		got := Float32ToBFloat16(f)
		if math.IsNaN(float64(f)) {
			// torch's vectorised cast gives 0xffff, its scalar cast 0x7fc0:
			// both NaN. Ours keeps the payload.
			if !math.IsNaN(float64(BFloat16ToFloat32(got))) || !math.IsNaN(float64(BFloat16ToFloat32(c.BF16))) {
				t.Errorf("%s: bf16 %#04x (torch %#04x) should be NaN", c.Name, got, c.BF16)
			}
		} else if got != c.BF16 {
			t.Errorf("%s: Float32ToBFloat16(%g) = %#04x, torch %#04x", c.Name, f, got, c.BF16)
		}
		// Widening what numpy produced gives back numpy's float32.
		if w := Float16ToFloat32(c.F16); !math.IsNaN(float64(w)) && float32(float64(w)) != w {
			t.Errorf("%s: widening %#04x", c.Name, c.F16)
		}
	}
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestHalfExhaustive compares with numpy/torch over every 16-bit pattern
// (widening) and 3.1 M / 393 k float32 values around every rounding
// boundary (narrowing), through SHA-256 digests of the results.
func TestHalfExhaustive(t *testing.T) {
	r := loadHalfRefs(t)
	out := make([]byte, 0, 65536*4)
	for i := 0; i < 65536; i++ {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(Float16ToFloat32(uint16(i))))
	}
	if got := digest(out); got != r.F16ToF32 {
		t.Errorf("float16 -> float32 over all 65536 patterns differs from numpy (%s != %s)", got, r.F16ToF32)
		for i := 0; i < 65536; i++ { // show a few values to help
			if i%4096 == 0 {
				t.Logf("%#04x -> %g", i, Float16ToFloat32(uint16(i)))
			}
		}
	}
	out = out[:0]
	for i := 0; i < 65536; i++ {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(BFloat16ToFloat32(uint16(i))))
	}
	if got := digest(out); got != r.BF16ToF32 {
		t.Errorf("bfloat16 -> float32 differs from torch")
	}
	out = make([]byte, 0, (1<<19)*6*2)
	for i := uint32(0); i < 1<<19; i++ {
		for _, d := range []uint32{0, 1, 0xfff, 0x1000, 0x1001, 0x1fff} {
			out = binary.LittleEndian.AppendUint16(out, Float32ToFloat16(math.Float32frombits(i<<13+d)))
		}
	}
	if got := digest(out); got != r.F32ToF16 {
		t.Errorf("float32 -> float16 over 3.1 M probes differs from numpy")
	}
	out = out[:0]
	for i := uint32(0); i < 1<<16; i++ {
		for _, d := range []uint32{0, 1, 0x7fff, 0x8000, 0x8001, 0xffff} {
			f := math.Float32frombits(i<<16 + d)
			if math.IsNaN(float64(f)) {
				if h, want := Float32ToBFloat16(f), uint16((i<<16+d)>>16)|0x40; h != want {
					t.Fatalf("bf16 of NaN %#08x = %#04x, want %#04x", i<<16+d, h, want)
				}
				continue
			}
			out = binary.LittleEndian.AppendUint16(out, Float32ToBFloat16(f))
		}
	}
	if got := digest(out); got != r.F32ToBF16 {
		t.Errorf("float32 -> bfloat16 over 393 k probes differs from torch")
	}
}

// TestHalfRoundTrip: narrowing the widened value gives the same bits back
// for every non-NaN half (and NaN stays NaN).
func TestHalfRoundTrip(t *testing.T) {
	for i := 0; i < 65536; i++ {
		h := uint16(i)
		f := Float16ToFloat32(h)
		if math.IsNaN(float64(f)) {
			if g := Float32ToFloat16(f); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
				t.Fatalf("f16 NaN %#04x came back as %#04x", h, g)
			}
			continue
		}
		if g := Float32ToFloat16(f); g != h {
			t.Fatalf("f16 %#04x -> %g -> %#04x", h, f, g)
		}
		if g := Float32ToBFloat16(BFloat16ToFloat32(h)); g != h {
			t.Fatalf("bf16 %#04x -> %#04x", h, g)
		}
	}
}

func BenchmarkFloat32ToFloat16(b *testing.B) {
	x := RandN(1, 1<<16).Data()
	b.SetBytes(int64(len(x) * 4))
	var s uint16
	for i := 0; i < b.N; i++ {
		for _, v := range x {
			s ^= Float32ToFloat16(v)
		}
	}
	_ = s
}
