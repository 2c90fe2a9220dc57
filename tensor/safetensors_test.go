package tensor

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSafetensorsReadsReferenceFiles reads files built by hand in Python
// from numpy arrays and torch tensors' bytes (F16, BF16, F32, F64) and
// compares bit for bit with what torch's t.float() holds.
func TestSafetensorsReadsReferenceFiles(t *testing.T) {
	forRefFiles(t, "st/", func(key, path string, data []byte, want map[string]refArray) {
		f := LoadSafetensors(path)
		err := f.Err()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for name, w := range want {
			checkRef(t, key+":"+name, f.Tensor(name), w)
			checkRef(t, key+":"+name+" (LoadSafetensorsTensor)", LoadSafetensorsTensor(path, name), w)
		}
		if err := ReadSafetensors(bytes.NewReader(data)).Err(); err != nil {
			t.Errorf("ReadSafetensors %s: %v", key, err)
		}
	})
}

func TestSafetensorsTorchAttention(t *testing.T) {
	path := filepath.Join("testdata", "files", "st", "torch_attention.safetensors")
	f := LoadSafetensors(path)
	err := f.Err()
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"attention", "attention_bf16", "attention_f16", "attention_f64", "hidden", "ids"}
	if !reflect.DeepEqual(f.Names(), wantNames) {
		t.Errorf("Names = %v", f.Names())
	}
	for name, dt := range map[string]string{"attention": "F32", "attention_bf16": "BF16", "attention_f16": "F16", "attention_f64": "F64", "ids": "I64", "nope": ""} {
		if f.Dtype(name) != dt {
			t.Errorf("Dtype(%s) = %q, want %q", name, f.Dtype(name), dt)
		}
	}
	if !reflect.DeepEqual(f.Shape("attention"), []int{2, 4, 5, 5}) {
		t.Errorf("Shape = %v", f.Shape("attention"))
	}
	var tokens []string
	if err := json.Unmarshal([]byte(f.Metadata()["tokens"]), &tokens); err != nil || len(tokens) != 5 || tokens[4] != "été \"quoted\" <b>" {
		t.Errorf("tokens metadata: %q %v", f.Metadata()["tokens"], err)
	}
	// Rows of the F32 attention sum to 1 (it is a softmax).
	s := f.Tensor("attention").Sum(-1).Data()
	for i, v := range s {
		if v < 0.9999 || v > 1.0001 {
			t.Fatalf("row %d sums to %v", i, v)
		}
	}
	err = f.Tensor("ids").Err()
	want := `safetensors: tensor "ids": unsupported dtype I64; convert with tensor.float() before saving (attnviz reads F16, BF16, F32, F64)`
	if err == nil || err.Error() != want || !errors.Is(err, ErrFormat) {
		t.Errorf("I64: got %v\nwant %s", err, want)
	}
	if err := f.Tensors()["ids"].Err(); !errors.Is(err, ErrFormat) {
		t.Errorf("Tensors() with an I64 tensor: want that tensor to carry ErrFormat, got %v", err)
	}
	err = f.Tensor("atention").Err()
	want = `safetensors: no tensor named "atention"; the file has "attention", "attention_bf16", "attention_f16", "attention_f64", "hidden", "ids"`
	if err == nil || err.Error() != want || !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: got %v\nwant %s", err, want)
	}
	wantStr := "safetensors: 6 tensors\n  attention F32 [2 4 5 5]\n  attention_bf16 BF16 [2 4 5 5]\n  attention_f16 F16 [2 4 5 5]\n  attention_f64 F64 [2 4 5 5]\n  hidden BF16 [5 8]\n  ids I64 [5]\n  metadata: format, model, tokens"
	if f.String() != wantStr {
		t.Errorf("String:\n%s", f.String())
	}
}

// TestSafetensorsWriterMatchesSpec: for each dtype, what we write for the
// tensors and metadata we read is byte for byte the file Python built by
// the spec (Rust crate layout).
func TestSafetensorsWriterMatchesSpec(t *testing.T) {
	for _, dt := range []string{"F32", "F64", "F16", "BF16"} {
		for _, suffix := range []string{"", "_nometa"} {
			path := filepath.Join("testdata", "files", "st", "golden_"+dt+suffix+".safetensors")
			want, err := os.ReadFile(path)
			if os.IsNotExist(err) && suffix != "" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			f := LoadSafetensors(path)
			err = f.Err()
			if err != nil {
				t.Fatal(err)
			}
			all := f.Tensors()
			var meta map[string]string
			if suffix == "" {
				meta = f.Metadata()
			}
			var buf bytes.Buffer
			if err := WriteSafetensorsAs(&buf, all, meta, dt); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s: ours differs from the spec's layout:\n got %q\nwant %q", path, head(buf.Bytes()), head(want))
			}
		}
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := map[string]*Tensor{
		"attention": RandU(1, 0, 1, 2, 3, 4, 4).Softmax(-1),
		"scalar":    Scalar(-3.25),
		"empty":     Zeros(2, 0),
		"view":      Arange(0, 6, 1).Reshape(2, 3).T(),
	}
	meta := map[string]string{"tokens": `["a","b","<c>&"]`, "note": "ünïcode"}
	for _, dt := range []string{"F32", "F16", "BF16", "F64"} {
		p := filepath.Join(dir, dt+".safetensors")
		if err := SaveSafetensorsAs(p, in, meta, dt); err != nil {
			t.Fatal(err)
		}
		f := LoadSafetensors(p)
		err := f.Err()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f.Metadata(), meta) {
			t.Errorf("%s: metadata %v", dt, f.Metadata())
		}
		for k, v := range in {
			want := v.Data()
			for i := range want {
				switch dt {
				case "F16":
					want[i] = Float16ToFloat32(Float32ToFloat16(want[i]))
				case "BF16":
					want[i] = BFloat16ToFloat32(Float32ToBFloat16(want[i]))
				}
			}
			got := f.Tensor(k)
			if f.Dtype(k) != dt || !reflect.DeepEqual(got.Shape(), v.Shape()) || (len(want) > 0 && !reflect.DeepEqual(got.Data(), want)) {
				t.Errorf("%s %s: got %v (%s), want %v", dt, k, got, f.Dtype(k), want)
			}
		}
		b, _ := os.ReadFile(p)
		if (8+int(b[0]))%8 != 0 {
			t.Errorf("%s: header length %d not padded to 8", dt, b[0])
		}
	}
	// No metadata and no tensors is still a valid file.
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "\x08\x00\x00\x00\x00\x00\x00\x00{}      " {
		t.Errorf("empty file: %q", got)
	}
	if f := ReadSafetensors(&buf); f.Err() != nil || len(f.Names()) != 0 || len(f.Metadata()) != 0 {
		t.Errorf("empty file read back: %v", f)
	}
}

func TestSafetensorsWriteErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.safetensors")
	cases := []struct {
		tensors map[string]*Tensor
		dtype   string
		want    string
		kind    error
	}{
		{map[string]*Tensor{"a": Scalar(1)}, "I64", `SaveSafetensors ` + p + `: cannot write dtype "I64"; use "F32", "F16", "BF16" or "F64"`, ErrValue},
		{map[string]*Tensor{"__metadata__": Scalar(1)}, "F32", `SaveSafetensors ` + p + `: a tensor cannot be named "__metadata__"; pick another name`, ErrValue},
		{map[string]*Tensor{"": Scalar(1)}, "F32", `SaveSafetensors ` + p + `: a tensor cannot be named ""; pick another name`, ErrValue},
		{map[string]*Tensor{"a": Scalar(1), "m": MustFromRows([][]float32{{1, 2}}).MatMul(Ones(3, 1))}, "F32", `SaveSafetensors ` + p + `: tensor "m": MatMul: `, ErrShape},
		{map[string]*Tensor{"nil": nil}, "F32", `SaveSafetensors ` + p + `: tensor "nil": tensor: nil tensor`, ErrValue},
	}
	for _, c := range cases {
		err := SaveSafetensorsAs(p, c.tensors, nil, c.dtype)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.Is(err, c.kind) {
			t.Errorf("got  %v\nwant %s...", err, c.want)
		}
		if _, e := os.Stat(p); !os.IsNotExist(e) {
			t.Fatalf("a failed save left %s", p)
		}
	}
}
