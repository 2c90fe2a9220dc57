package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

func TestParseGGUFAllTypes(t *testing.T) {
	for _, v := range []uint32{2, 3} {
		g, err := ParseGGUF(sampleGGUF(v))
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if g.Version != v || g.Alignment != 32 || g.DataStart%32 != 0 {
			t.Errorf("v%d: version %d alignment %d data start %d", v, g.Version, g.Alignment, g.DataStart)
		}
		want := map[string]any{
			"u8": uint8(200), "i8": int8(-5), "u16": uint16(65000), "i16": int16(-300),
			"u32": uint32(4000000000), "i32": int32(-7), "f32": float32(1.5), "bool": true,
			"u64": uint64(1 << 40), "i64": int64(-1 << 40), "f64": 2.25, "general.architecture": "llama",
		}
		for k, w := range want {
			kv, ok := g.Get(k)
			if !ok || !reflect.DeepEqual(kv.Value, w) {
				t.Errorf("v%d: %s = %#v, want %#v", v, k, kv.Value, w)
			}
		}
		if s, _ := g.Strings("strs"); !reflect.DeepEqual(s, []string{"a", "", "▁b"}) {
			t.Errorf("strs = %q", s)
		}
		if f, _ := g.Floats("f32s"); !reflect.DeepEqual(f, []float32{0.5, -1}) {
			t.Errorf("f32s = %v", f)
		}
		if f, _ := g.Floats("i32s"); !reflect.DeepEqual(f, []float32{1, -2, 3}) {
			t.Errorf("i32s as floats = %v", f)
		}
		if i, _ := g.Ints("i32s"); !reflect.DeepEqual(i, []int{1, -2, 3}) {
			t.Errorf("i32s = %v", i)
		}
		kv, _ := g.Get("nested")
		a := kv.Value.(*Array).Values.([]*Array)
		if !reflect.DeepEqual(a[0].Values, []uint8{1, 2}) || !reflect.DeepEqual(a[1].Values, []int64{-9}) {
			t.Errorf("nested = %v %v", a[0].Values, a[1].Values)
		}
		if n, ok := g.Int("u32"); !ok || n != 4000000000 {
			t.Errorf("Int(u32) = %d %v", n, ok)
		}
		w := g.Tensor("w32")
		if !reflect.DeepEqual(w.Shape(), []int{2, 3}) || !reflect.DeepEqual(w.Data(), []float32{1, 2, 3, 4, 5, 6}) {
			t.Errorf("w32 = %v", w)
		}
		if d := g.Tensor("w16").Data(); !reflect.DeepEqual(d, []float32{1, -2}) {
			t.Errorf("w16 = %v", d)
		}
		if d := g.Tensor("bf").Data(); !reflect.DeepEqual(d, []float32{1.5}) {
			t.Errorf("bf = %v", d)
		}
		if d := g.Tensor("q4").Data(); len(d) != 32 || d[0] != 0 {
			t.Errorf("q4 = %v", d)
		}
		err = g.Tensor("iq").Err()
		if !errors.Is(err, tensor.ErrFormat) || !strings.Contains(err.Error(), "IQ2_XXS") || !strings.Contains(err.Error(), "cannot load") {
			t.Errorf("iq: %v", err)
		}
		t.Logf("unsupported type: %v", err)
		err = g.Tensor("nope").Err()
		if !errors.Is(err, tensor.ErrNotFound) || !strings.Contains(err.Error(), "w32") {
			t.Errorf("missing tensor: %v", err)
		}
	}
}

// F16 and BF16 tensors decode to the float32 values of their bits
// (internal/half, tested exhaustively against numpy in package tensor).
func TestHalfTensors(t *testing.T) {
	hs := []uint16{0x0000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0x7e00}
	want16 := []float32{0, 1, -2, 65504, 5.9604645e-08, 0.33325195, float32(math.Inf(1)), float32(math.NaN())}
	bs := []uint16{0x0000, 0x3f80, 0xc000, 0x7f7f, 0x0001, 0x3eab, 0x7f80, 0x7fc0}
	want16b := []float32{0, 1, -2, 3.3895314e+38, 9.1835e-41, 0.33398438, float32(math.Inf(1)), float32(math.NaN())}
	n := uint64(len(hs))
	g, err := ParseGGUF(encodeGGUF(3, nil, []wTensor{{"f16", []uint64{n}, GGMLF16, f16raw(hs...)}, {"bf16", []uint64{n}, GGMLBF16, f16raw(bs...)}}, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want []float32
	}{{"f16", want16}, {"bf16", want16b}} {
		got := g.Tensor(c.name).Data()
		for i, w := range c.want {
			if got[i] != w && !(w != w && got[i] != got[i]) {
				t.Errorf("%s element %d = %v, want %v", c.name, i, got[i], w)
			}
		}
	}
}

func TestAlignment(t *testing.T) {
	b := encodeGGUF(3, nil, []wTensor{{"a", []uint64{1}, GGMLF32, f32raw(7)}, {"b", []uint64{2}, GGMLF32, f32raw(8, 9)}}, 64)
	g, err := ParseGGUF(b)
	if err != nil {
		t.Fatal(err)
	}
	if g.Alignment != 64 || g.DataStart%64 != 0 {
		t.Errorf("alignment %d start %d", g.Alignment, g.DataStart)
	}
	if d := g.Tensor("b").Data(); !reflect.DeepEqual(d, []float32{8, 9}) {
		t.Errorf("b = %v", d)
	}
}

// Every malformed file gives an ErrFormat error with a readable message.
func TestMalformedGGUF(t *testing.T) {
	good := sampleGGUF(3)
	put64 := func(b []byte, off int, v uint64) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint64(c[off:], v)
		return c
	}
	put32 := func(b []byte, off int, v uint32) []byte {
		c := append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	// offset of the first key's length: 4 magic + 4 version + 8 + 8
	const firstKey = 24
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a GGUF file"},
		{"bad magic", append([]byte("GGML"), good[4:]...), "not a GGUF file"},
		{"version 1", put32(good, 4, 1), "unsupported GGUF version 1"},
		{"version 9", put32(good, 4, 9), "unsupported GGUF version 9"},
		{"header cut", good[:12], "truncated"},
		{"huge kv count", put64(good, 16, 1<<62), "metadata entries"},
		{"huge tensor count", put64(good, 8, 1<<62), "tensors"},
		{"huge key length", put64(good, firstKey, 1<<60), "string of"},
		{"bad value type", put32(good, firstKey+8+len("general.architecture"), 99), "unknown value type 99"},
		{"truncated metadata", good[:200], "truncated"},
		{"truncated data", good[:len(good)-10], "truncated"},
		{"huge array", hugeArray(), "array of"},
		{"bad alignment", encodeGGUF(3, nil, nil, 3), "power of two"},
		{"zero dims", encodeGGUF(3, nil, []wTensor{{"t", []uint64{}, GGMLF32, nil}}, 0), "dimensions"},
		{"huge dim", encodeGGUF(3, nil, []wTensor{{"t", []uint64{1 << 40, 1 << 40}, GGMLF32, nil}}, 0), "impossible"},
		{"overlap", overlapping(), "overlap"},
		{"duplicate key", encodeGGUF(3, []KV{{"a", TypeUint8, uint8(1)}, {"a", TypeUint8, uint8(2)}}, nil, 0), "twice"},
		{"bad bool", encodeGGUF(3, []KV{{"a", TypeUint8, uint8(7)}}, nil, 0), ""},
	}
	// turn the last case's uint8 into a bool with value 7
	bb := cases[len(cases)-1].data
	bb = put32(bb, firstKey+8+1, uint32(TypeBool))
	cases[len(cases)-1].data = bb
	cases[len(cases)-1].want = "bool value 7"
	for _, c := range cases {
		g, err := ParseGGUF(c.data)
		if err == nil {
			t.Errorf("%s: no error (got %d tensors)", c.name, len(g.Tensors))
			continue
		}
		if !errors.Is(err, tensor.ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want ErrFormat containing %q", c.name, err, c.want)
		}
		t.Logf("%-18s %v", c.name+":", err)
	}
}

// overlapping: tensor b's offset moved onto a's data.
func overlapping() []byte {
	b := encodeGGUF(3, nil, []wTensor{{"a", []uint64{8}, GGMLF32, make([]byte, 32)}, {"b", []uint64{8}, GGMLF32, make([]byte, 32)}}, 0)
	g, err := ParseGGUF(b)
	if err != nil {
		panic(err)
	}
	// b's offset field is the last 8 bytes before the padding of the tensor infos.
	_ = g
	i := bytes.LastIndex(b[:g.DataStart], []byte{32, 0, 0, 0, 0, 0, 0, 0})
	binary.LittleEndian.PutUint64(b[i:], 0)
	return b
}

func hugeArray() []byte {
	var w ggufWriter
	w.WriteString("GGUF")
	w.u32(3)
	w.u64(0)
	w.u64(1)
	w.str("arr")
	w.u32(uint32(TypeArray))
	w.u32(uint32(TypeFloat64))
	w.u64(1 << 58)
	return w.Bytes()
}

// An OS error is reported as what it is: a missing file is ErrNotFound
// (with the hint about the lesson model), anything else is not.
func TestReadGGUFFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.gguf")
	unreadable := filepath.Join(dir, "locked.gguf")
	if err := os.WriteFile(unreadable, sampleGGUF(3), 0o000); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		kind, os   error // errors.Is on both
		msg        string
	}{
		{"missing file", missing, tensor.ErrNotFound, fs.ErrNotExist,
			"model: cannot read GGUF file: open " + missing + ": no such file or directory; check the path (`make model` gets the lesson model, stories260Ktok512.gguf)"},
		{"a directory", dir, tensor.ErrValue, syscall.EISDIR,
			"model: cannot read GGUF file: read " + dir + ": is a directory"},
		{"permission denied", unreadable, tensor.ErrValue, fs.ErrPermission,
			"model: cannot read GGUF file: open " + unreadable + ": permission denied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.os == fs.ErrPermission && os.Geteuid() == 0 {
				t.Skip("root reads a file of mode 0000")
			}
			_, err := ReadGGUF(c.path)
			if err == nil || err.Error() != c.msg {
				t.Fatalf("error %v\nwant  %s", err, c.msg)
			}
			if !errors.Is(err, c.kind) || !errors.Is(err, c.os) {
				t.Errorf("errors.Is(%v, %v / %v) is false", err, c.kind, c.os)
			}
			if c.kind != tensor.ErrNotFound && errors.Is(err, tensor.ErrNotFound) {
				t.Errorf("%v reported as not found", err)
			}
		})
	}
	_, err := Load(missing)
	if !errors.Is(err, tensor.ErrNotFound) {
		t.Errorf("Load missing file: %v", err)
	}
}

// FuzzReadGGUF: no input may panic or allocate absurdly; a file that parses
// must also let every tensor be read (or give an error).
func FuzzReadGGUF(f *testing.F) {
	f.Add(sampleGGUF(2))
	f.Add(sampleGGUF(3))
	f.Add(hugeArray())
	f.Add(tinyLlamaGGUF(true))
	f.Add(encodeGGUF(3, nil, []wTensor{{"a", []uint64{1}, GGMLF32, f32raw(7)}}, 64))
	// one block of every quantized type, and the tokenizer kinds
	var qs []wTensor
	for typ, blk := range ggmlBlocks {
		if _, ok := dequantizers[typ]; ok && blk[0] > 1 {
			raw := make([]byte, blk[1])
			raw[0], raw[1] = 0x00, 0x3c
			qs = append(qs, wTensor{typ.String(), []uint64{uint64(blk[0])}, typ, raw})
		}
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].name < qs[j].name })
	f.Add(encodeGGUF(3, nil, qs, 0))
	for _, kvs := range [][]KV{
		{{"tokenizer.ggml.model", TypeString, "gpt2"}, {"tokenizer.ggml.pre", TypeString, "llama-bpe"},
			{"tokenizer.ggml.tokens", TypeArray, &Array{Elem: TypeString, Len: 4, Values: []string{"a", "b", "ab", "Ġ"}}},
			{"tokenizer.ggml.merges", TypeArray, &Array{Elem: TypeString, Len: 1, Values: []string{"a b"}}}},
		{{"tokenizer.ggml.model", TypeString, "bert"},
			{"tokenizer.ggml.tokens", TypeArray, &Array{Elem: TypeString, Len: 3, Values: []string{"[UNK]", "▁a", "b"}}}},
	} {
		f.Add(encodeGGUF(3, kvs, nil, 0))
	}
	if b, err := os.ReadFile(modelPath); err == nil {
		f.Add(b[:4096])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGGUF(data)
		if !parsed(t, err) {
			return
		}
		for _, ti := range g.Tensors {
			g.Tensor(ti.Name).Err()
			if len(ti.Dims) == 2 {
				g.decode(ti.Name, true)
			}
		}
		if tok, err := NewTokenizer(g); err == nil {
			for _, s := range []string{"", "a b's  \n", "héllo 🙂 12345", "\xff"} {
				ids := tok.Encode(s, true)
				tok.Decode(ids)
				for _, id := range ids {
					tok.Piece(id)
				}
			}
		}
		if w, err := WeightsFromGGUF(g); err == nil {
			for _, n := range w.Names() {
				w.Tensor(n).Err()
			}
		}
		if m, err := FromGGUF(g, Device(tensor.CPU)); err == nil {
			m.Run("a").Err()
		}
	})
}

// The whole Load/Run/Generate path on a tiny random model (no model file needed).
func TestTinyModel(t *testing.T) {
	for _, tied := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "tiny.gguf")
		if err := os.WriteFile(path, tinyLlamaGGUF(tied), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(path, Device(tensor.CPU))
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config()
		if c.Layers != 1 || c.Heads != 2 || c.KVHeads != 1 || c.HeadDim != 4 || c.Vocab != 10 || c.TiedEmbeddings != tied {
			t.Errorf("config %+v", c)
		}
		r := m.Run("ab a")
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		T := len(r.IDs)
		if !reflect.DeepEqual(r.Attention.Shape(), []int{1, 2, T, T}) || !reflect.DeepEqual(r.Logits.Shape(), []int{T, 10}) {
			t.Errorf("shapes %v %v", r.Attention.Shape(), r.Logits.Shape())
		}
		for _, row := range r.Head(0, 1).Rows() {
			s := float32(0)
			for _, w := range row {
				s += w
			}
			if s < 0.9999 || s > 1.0001 {
				t.Errorf("row sums to %v", s)
			}
		}
		if _, err := m.Generate("a", 30); err != nil {
			t.Error(err)
		}
		if ids, _ := m.GenerateIDs([]int{1}, 100); len(ids) > c.Context {
			t.Errorf("generated past the context: %d", len(ids))
		}
	}
}
