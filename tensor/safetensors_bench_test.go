package tensor

import (
	"bytes"
	"testing"
)

// Reading a layer's attention maps (12 heads × 512 × 512) from memory.

func benchAttention() *Tensor { return RandU(1, 0, 1, 12, 512, 512) }

func BenchmarkReadSafetensorsF16(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteSafetensorsAs(&buf, map[string]*Tensor{"attention": benchAttention()}, nil, "F16"); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := ReadSafetensors(bytes.NewReader(data))
		err := f.Err()
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Tensor("attention").Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadNPYF32(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteNPY(&buf, benchAttention()); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ReadNPY(bytes.NewReader(data)).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSafetensorsF16(b *testing.B) {
	m := map[string]*Tensor{"attention": benchAttention()}
	b.SetBytes(int64(m["attention"].Len() * 2))
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := WriteSafetensorsAs(&buf, m, nil, "F16"); err != nil {
			b.Fatal(err)
		}
	}
}
