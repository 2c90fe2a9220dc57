package model

import (
	"bytes"
	"encoding/binary"
	"math"
)

// A small GGUF writer for tests: builds well-formed (and, by editing the
// result, malformed) files without needing the real model.

type wTensor struct {
	name string
	dims []uint64 // as stored (fastest first)
	typ  GGMLType
	raw  []byte // element bytes
}

type ggufWriter struct {
	bytes.Buffer
}

func (w *ggufWriter) u32(v uint32) { binary.Write(&w.Buffer, binary.LittleEndian, v) }
func (w *ggufWriter) u64(v uint64) { binary.Write(&w.Buffer, binary.LittleEndian, v) }
func (w *ggufWriter) str(s string) { w.u64(uint64(len(s))); w.WriteString(s) }

func (w *ggufWriter) val(t ValueType, v any) {
	switch t {
	case TypeString:
		w.str(v.(string))
	case TypeBool:
		if v.(bool) {
			w.WriteByte(1)
		} else {
			w.WriteByte(0)
		}
	case TypeArray:
		a := v.(*Array)
		w.u32(uint32(a.Elem))
		w.u64(uint64(a.Len))
		switch xs := a.Values.(type) {
		case []string:
			for _, x := range xs {
				w.str(x)
			}
		case []*Array:
			for _, x := range xs {
				w.val(TypeArray, x)
			}
		case []bool:
			for _, x := range xs {
				w.val(TypeBool, x)
			}
		default:
			binary.Write(&w.Buffer, binary.LittleEndian, xs)
		}
	default:
		binary.Write(&w.Buffer, binary.LittleEndian, v)
	}
}

// encodeGGUF writes a GGUF file. align 0 means the default 32 (no key written).
func encodeGGUF(version uint32, kvs []KV, tensors []wTensor, align int) []byte {
	var w ggufWriter
	w.WriteString("GGUF")
	w.u32(version)
	w.u64(uint64(len(tensors)))
	extra := 0
	if align != 0 {
		extra = 1
	}
	w.u64(uint64(len(kvs) + extra))
	if align != 0 {
		w.str("general.alignment")
		w.u32(uint32(TypeUint32))
		w.u32(uint32(align))
	} else {
		align = 32
	}
	for _, kv := range kvs {
		w.str(kv.Key)
		w.u32(uint32(kv.Type))
		w.val(kv.Type, kv.Value)
	}
	off := uint64(0)
	offs := make([]uint64, len(tensors))
	for i, t := range tensors {
		w.str(t.name)
		w.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			w.u64(d)
		}
		w.u32(uint32(t.typ))
		offs[i] = off
		w.u64(off)
		off += uint64(len(t.raw))
		off = (off + uint64(align) - 1) / uint64(align) * uint64(align)
	}
	pad := func() {
		for w.Len()%align != 0 {
			w.WriteByte(0)
		}
	}
	pad()
	start := w.Len()
	for i, t := range tensors {
		for uint64(w.Len()-start) < offs[i] {
			w.WriteByte(0)
		}
		w.Write(t.raw)
	}
	return w.Bytes()
}

func f32raw(xs ...float32) []byte {
	b := make([]byte, 4*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func f16raw(hs ...uint16) []byte {
	b := make([]byte, 2*len(hs))
	for i, h := range hs {
		binary.LittleEndian.PutUint16(b[2*i:], h)
	}
	return b
}

// sampleGGUF is a small file using every metadata type and F32/F16/BF16/Q4_0/IQ2_XXS tensors.
func sampleGGUF(version uint32) []byte {
	kvs := []KV{
		{"general.architecture", TypeString, "llama"},
		{"u8", TypeUint8, uint8(200)},
		{"i8", TypeInt8, int8(-5)},
		{"u16", TypeUint16, uint16(65000)},
		{"i16", TypeInt16, int16(-300)},
		{"u32", TypeUint32, uint32(4000000000)},
		{"i32", TypeInt32, int32(-7)},
		{"f32", TypeFloat32, float32(1.5)},
		{"bool", TypeBool, true},
		{"u64", TypeUint64, uint64(1 << 40)},
		{"i64", TypeInt64, int64(-1 << 40)},
		{"f64", TypeFloat64, 2.25},
		{"strs", TypeArray, &Array{Elem: TypeString, Len: 3, Values: []string{"a", "", "▁b"}}},
		{"f32s", TypeArray, &Array{Elem: TypeFloat32, Len: 2, Values: []float32{0.5, -1}}},
		{"i32s", TypeArray, &Array{Elem: TypeInt32, Len: 3, Values: []int32{1, -2, 3}}},
		{"bools", TypeArray, &Array{Elem: TypeBool, Len: 2, Values: []bool{true, false}}},
		{"nested", TypeArray, &Array{Elem: TypeArray, Len: 2, Values: []*Array{
			{Elem: TypeUint8, Len: 2, Values: []uint8{1, 2}},
			{Elem: TypeInt64, Len: 1, Values: []int64{-9}},
		}}},
	}
	tensors := []wTensor{
		{"w32", []uint64{3, 2}, GGMLF32, f32raw(1, 2, 3, 4, 5, 6)},
		{"w16", []uint64{2}, GGMLF16, f16raw(0x3c00, 0xc000)}, // 1, -2
		{"bf", []uint64{1}, GGMLBF16, f16raw(0x3fc0)},         // 1.5
		{"q4", []uint64{32}, 2, make([]byte, 18)},             // one Q4_0 block
		{"iq", []uint64{256}, 16, make([]byte, 66)},           // one IQ2_XXS block (not loadable)
	}
	return encodeGGUF(version, kvs, tensors, 0)
}

// tinyLlamaGGUF is a complete, tiny llama model with random weights
// (1 layer, dim 8, 2 heads of 4, 1 KV head, FFN 12, 10 tokens): enough to
// run the whole Load/Run path without the lesson model.
// tinyLlamaKVs is the metadata of a tiny llama (width 8, 2 query heads and 1
// key/value head, feed-forward 12) with a SentencePiece vocabulary.
func tinyLlamaKVs(layers, context int, toks []string, scores []float32, types []int32) []KV {
	return []KV{
		{"general.architecture", TypeString, "llama"},
		{"llama.block_count", TypeUint32, uint32(layers)},
		{"llama.embedding_length", TypeUint32, uint32(8)},
		{"llama.feed_forward_length", TypeUint32, uint32(12)},
		{"llama.attention.head_count", TypeUint32, uint32(2)},
		{"llama.attention.head_count_kv", TypeUint32, uint32(1)},
		{"llama.context_length", TypeUint32, uint32(context)},
		{"llama.attention.layer_norm_rms_epsilon", TypeFloat32, float32(1e-5)},
		{"tokenizer.ggml.model", TypeString, "llama"},
		{"tokenizer.ggml.tokens", TypeArray, &Array{Elem: TypeString, Len: len(toks), Values: toks}},
		{"tokenizer.ggml.scores", TypeArray, &Array{Elem: TypeFloat32, Len: len(scores), Values: scores}},
		{"tokenizer.ggml.token_type", TypeArray, &Array{Elem: TypeInt32, Len: len(types), Values: types}},
		{"tokenizer.ggml.bos_token_id", TypeUint32, uint32(1)},
		{"tokenizer.ggml.eos_token_id", TypeUint32, uint32(2)},
	}
}

func tinyLlamaGGUF(tied bool) []byte {
	seed := uint32(7)
	rnd := func(n int) []byte {
		xs := make([]float32, n)
		for i := range xs {
			seed = seed*1664525 + 1013904223
			xs[i] = float32(int32(seed>>8)%2000-1000) / 2000
		}
		return f32raw(xs...)
	}
	ones := func(n int) []byte {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = 1
		}
		return f32raw(xs...)
	}
	toks := []string{"<unk>", "<s>", "</s>", "<0x61>", "▁", "a", "b", "▁a", "ab", "▁b"}
	types := []int32{2, 3, 3, 6, 1, 1, 1, 1, 1, 1}
	scores := []float32{0, 0, 0, 0, -1, -2, -3, -4, -5, -6}
	kvs := tinyLlamaKVs(1, 16, toks, scores, types)
	ts := []wTensor{
		{"token_embd.weight", []uint64{8, 10}, GGMLF32, rnd(80)},
		{"output_norm.weight", []uint64{8}, GGMLF32, ones(8)},
		{"blk.0.attn_norm.weight", []uint64{8}, GGMLF32, ones(8)},
		{"blk.0.attn_q.weight", []uint64{8, 8}, GGMLF32, rnd(64)},
		{"blk.0.attn_k.weight", []uint64{8, 4}, GGMLF32, rnd(32)},
		{"blk.0.attn_v.weight", []uint64{8, 4}, GGMLF32, rnd(32)},
		{"blk.0.attn_output.weight", []uint64{8, 8}, GGMLF32, rnd(64)},
		{"blk.0.ffn_norm.weight", []uint64{8}, GGMLF32, ones(8)},
		{"blk.0.ffn_gate.weight", []uint64{8, 12}, GGMLF32, rnd(96)},
		{"blk.0.ffn_down.weight", []uint64{12, 8}, GGMLF32, rnd(96)},
		{"blk.0.ffn_up.weight", []uint64{8, 12}, GGMLF32, rnd(96)},
	}
	if !tied {
		ts = append(ts, wTensor{"output.weight", []uint64{8, 10}, GGMLF32, rnd(80)})
	}
	return encodeGGUF(3, kvs, ts, 0)
}
