package tensor

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzReadNPZ(f *testing.F) {
	addSeedFiles(f, "npz")
	var buf bytes.Buffer
	WriteNPZ(&buf, map[string]*Tensor{"a": Arange(0, 4, 1), "s": Scalar(1)}, true)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		z := ReadNPZ(bytes.NewReader(data), int64(len(data)))
		if err := z.Err(); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		m := z.Tensors()
		for name, x := range m {
			if x.Err() != nil {
				t.Fatalf("%q carries %v", name, x.Err())
			}
		}
		if _, empty := m[""]; empty { // a member named ".npy": readable, not writable
			return
		}
		var out bytes.Buffer
		if err := WriteNPZ(&out, m, false); err != nil {
			t.Fatalf("writing back: %v", err)
		}
		back := ReadNPZ(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err := back.Err(); err != nil || len(back.Names()) != len(m) {
			t.Fatalf("reading our own output: %v (%d of %d)", err, len(back.Names()), len(m))
		}
	})
}
