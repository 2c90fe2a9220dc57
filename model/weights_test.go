package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// BERT comes with separate q, k, v or one fused attn_qkv; the shape check
// asks for what the file holds.
func TestArchTensorsBertLayouts(t *testing.T) {
	c := Config{Arch: "bert", Layers: 1, Dim: 8, Heads: 2, KVHeads: 2, HeadDim: 4, FFN: 16, Vocab: 10, Context: 4, TokenTypes: 2}
	names := func(fused bool) map[string][]int {
		out := map[string][]int{}
		for _, s := range archTensors(c, func(n string) bool { return fused && n == "blk.0.attn_qkv.weight" }) {
			out[s.name] = s.shape
		}
		return out
	}
	sep, fused := names(false), names(true)
	if _, ok := sep["blk.0.attn_q.weight"]; !ok || sep["blk.0.attn_qkv.weight"] != nil {
		t.Errorf("separate layout: %v", sep)
	}
	if s := fused["blk.0.attn_qkv.weight"]; len(s) != 2 || s[0] != 24 || s[1] != 8 || fused["blk.0.attn_q.weight"] != nil {
		t.Errorf("fused layout: %v", fused)
	}
}

// A GGUF whose metadata and tensors disagree is refused with one message
// naming both.
func TestWeightsFromGGUFMismatch(t *testing.T) {
	ok := mustParse(t, tinyLlamaGGUF(false))
	w, err := WeightsFromGGUF(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c := w.Config; c.Arch != "llama" || c.Vocab != 10 || c.RopeHalf || !c.Causal || c.Act != "silu" || w.Format != "gguf" || w.Tokenizer.Kind() != "spm" {
		t.Errorf("config %+v", c)
	}
	if !strings.Contains(w.String(), "llama") || w.Type("blk.0.attn_q.weight") != "F32" || w.Shape("blk.0.attn_k.weight")[0] != 4 {
		t.Errorf("weights: %s, %s, %v", w, w.Type("blk.0.attn_q.weight"), w.Shape("blk.0.attn_k.weight"))
	}
	if err := w.Tensor("nope").Err(); !errors.Is(err, tensor.ErrNotFound) || !strings.Contains(err.Error(), "token_embd.weight") {
		t.Errorf("missing tensor: %v", err)
	}
	if err := w.TensorT("blk.0.attn_norm.weight").Err(); !errors.Is(err, tensor.ErrShape) {
		t.Errorf("TensorT of a vector: %v", err)
	}
	for _, c := range []struct {
		key   string
		value any
		want  string
	}{
		{"llama.feed_forward_length", uint32(16), "blk.0.ffn_gate.weight is [12 8] but the configuration"},
		{"llama.block_count", uint32(2), "has no tensor blk.1.attn_norm.weight"},
		{"llama.attention.head_count_kv", uint32(2), "blk.0.attn_k.weight is [4 8] but the configuration"},
		{"general.architecture", "mamba", `general.architecture is "mamba"`},
	} {
		var kvs []KV
		for _, kv := range ok.KV {
			if kv.Key == c.key {
				switch v := c.value.(type) {
				case string:
					kv = KV{kv.Key, TypeString, v}
				case uint32:
					kv = KV{kv.Key, TypeUint32, v}
				}
			}
			kvs = append(kvs, kv)
		}
		var ts []wTensor
		for _, ti := range ok.Tensors {
			ts = append(ts, wTensor{ti.Name, ti.Dims, ti.Type, f32raw(ok.Tensor(ti.Name).Data()...)})
		}
		_, err := WeightsFromGGUF(mustParse(t, encodeGGUF(3, kvs, ts, 0)))
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, tensor.ErrFormat) {
			t.Errorf("%s = %v: %v, want %q", c.key, c.value, err, c.want)
		}
	}
}
