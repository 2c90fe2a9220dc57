package tensor

import (
	"bytes"
	"io"
	"testing"
)

func FuzzReadNPZ(f *testing.F) {
	seed(f, "npz", func(w io.Writer) error {
		return WriteNPZ(w, map[string]*Tensor{"a": Arange(0, 4, 1), "s": Scalar(1)}, true)
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		z := ReadNPZ(bytes.NewReader(data), int64(len(data)))
		if refused(t, z.Err()) {
			return
		}
		m := z.Tensors() // text arrays are not written back (WriteNPZ writes float32)
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
