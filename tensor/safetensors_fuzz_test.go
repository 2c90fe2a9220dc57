package tensor

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

func FuzzReadSafetensors(f *testing.F) {
	seed(f, "st", func(w io.Writer) error {
		return WriteSafetensorsAs(w, map[string]*Tensor{"a": Arange(0, 4, 1), "s": Scalar(1)}, map[string]string{"k": "v"}, "BF16")
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		sf := ReadSafetensors(bytes.NewReader(data))
		err := sf.Err()
		if refused(t, err) {
			return
		}
		// The file-size path must agree with the stream path.
		if _, err := readSafetensors(bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatalf("stream read succeeded, sized read failed: %v", err)
		}
		ok := map[string]*Tensor{}
		for _, name := range sf.Names() {
			x := sf.Tensor(name)
			if err := x.Err(); err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("%q: %v", name, err)
				}
				continue
			}
			if !reflect.DeepEqual(x.Shape(), sf.Shape(name)) && x.Rank()+len(sf.Shape(name)) > 0 {
				t.Fatalf("%q: shape %v, header %v", name, x.Shape(), sf.Shape(name))
			}
			if name != "" && name != "__metadata__" {
				ok[name] = x
			}
		}
		var out bytes.Buffer
		if err := WriteSafetensors(&out, ok, sf.Metadata()); err != nil {
			t.Fatalf("writing back: %v", err)
		}
		back := ReadSafetensors(&out)
		err = back.Err()
		if err != nil {
			t.Fatalf("reading our own output: %v", err)
		}
		for name, x := range ok {
			if !sameBits(back.Tensor(name).Data(), x.Data()) {
				t.Fatalf("%q changed in a round trip", name)
			}
		}
	})
}
