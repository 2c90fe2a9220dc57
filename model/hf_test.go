package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// ---- test helpers: Hugging Face folders with random weights -------------------

// hfModel is a model in Hugging Face's names and layouts.
type hfModel struct {
	config    map[string]any
	tensors   map[string]*tensor.Tensor
	tokenizer string // tokenizer.json ("" writes none)
}

// read writes m in one shard to a folder called name and reads it back.
func (m *hfModel) read(t *testing.T, name string) *Weights {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	m.write(t, dir, 1)
	w, err := ReadWeights(dir)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// write puts the folder in dir; shards > 1 splits the tensors over that
// many files with a model.safetensors.index.json.
func (m *hfModel) write(t testing.TB, dir string, shards int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.MarshalIndent(m.config, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if m.tokenizer != "" {
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(m.tokenizer), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(m.tensors))
	for n := range m.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	if shards <= 1 {
		if err := tensor.SaveSafetensors(filepath.Join(dir, "model.safetensors"), m.tensors, nil); err != nil {
			t.Fatal(err)
		}
		return
	}
	index := map[string]string{}
	for s := 0; s < shards; s++ {
		part := map[string]*tensor.Tensor{}
		file := fmt.Sprintf("model-%05d-of-%05d.safetensors", s+1, shards)
		for i, n := range names {
			if i%shards == s {
				part[n] = m.tensors[n]
				index[n] = file
			}
		}
		if err := tensor.SaveSafetensorsAs(filepath.Join(dir, file), part, nil, "BF16"); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(map[string]any{"metadata": map[string]int{}, "weight_map": index})
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func rnd(seed *int64, shape ...int) *tensor.Tensor {
	*seed++
	return tensor.RandN(*seed, shape...).Scale(0.5)
}

// spmTokenizerJSON is a small SentencePiece-style tokenizer.json (Llama 2):
// <unk> <s> </s>, 256 byte tokens, then pieces and their merges.
func spmTokenizerJSON(pieces []string, merges []string) (string, int) {
	vocab := map[string]int{"<unk>": 0, "<s>": 1, "</s>": 2}
	for b := 0; b < 256; b++ {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 3 + b
	}
	for i, p := range pieces {
		vocab[p] = 259 + i
	}
	j := map[string]any{
		"added_tokens": []map[string]any{
			{"id": 0, "content": "<unk>", "special": true},
			{"id": 1, "content": "<s>", "special": true},
			{"id": 2, "content": "</s>", "special": true},
		},
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []map[string]any{
			{"type": "Prepend", "prepend": "▁"},
			{"type": "Replace", "pattern": map[string]string{"String": " "}, "content": "▁"},
		}},
		"pre_tokenizer": nil,
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []map[string]any{{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}}, {"Sequence": map[string]any{"id": "A", "type_id": 0}}}},
		"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": merges, "byte_fallback": true, "unk_token": "<unk>"},
	}
	b, _ := json.Marshal(j)
	return string(b), len(vocab)
}

// byteLevelTokenizerJSON is a small GPT-2-style tokenizer.json: the 256
// byte characters, a few merges, <|endoftext|>.
func byteLevelTokenizerJSON(pre any, merges []string) (string, int) {
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[byteChars[b]] = b
	}
	for _, m := range merges {
		vocab[strings.ReplaceAll(m, " ", "")] = len(vocab)
	}
	eot := len(vocab)
	j := map[string]any{
		"added_tokens":  []map[string]any{{"id": eot, "content": "<|endoftext|>", "special": true}},
		"pre_tokenizer": pre,
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	b, _ := json.Marshal(j)
	return string(b), eot + 1
}

var gpt2Pre = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}

func tinyLlamaHF(arch string, tied bool) *hfModel {
	seed := int64(100)
	tok, V := spmTokenizerJSON([]string{"▁", "a", "b", "▁a", "ab", "▁b"}, []string{"▁ a", "a b", "▁ b"})
	D, H, KV, HD, F, L := 8, 2, 1, 4, 12, 2
	m := &hfModel{
		config: map[string]any{
			"model_type": arch, "architectures": []string{"LlamaForCausalLM"},
			"hidden_size": D, "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": KV,
			"intermediate_size": F, "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
			"tie_word_embeddings": tied, "vocab_size": V, "bos_token_id": 1, "eos_token_id": 2,
		},
		tensors:   map[string]*tensor.Tensor{},
		tokenizer: tok,
	}
	if arch == "qwen2" {
		m.config["architectures"] = []string{"Qwen2ForCausalLM"}
	}
	add := func(name string, shape ...int) { m.tensors[name] = rnd(&seed, shape...) }
	add("model.embed_tokens.weight", V, D)
	add("model.norm.weight", D)
	if !tied {
		add("lm_head.weight", V, D)
	}
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", D)
		add(p+"post_attention_layernorm.weight", D)
		add(p+"self_attn.q_proj.weight", H*HD, D)
		add(p+"self_attn.k_proj.weight", KV*HD, D)
		add(p+"self_attn.v_proj.weight", KV*HD, D)
		add(p+"self_attn.o_proj.weight", D, H*HD)
		if arch == "qwen2" {
			add(p+"self_attn.q_proj.bias", H*HD)
			add(p+"self_attn.k_proj.bias", KV*HD)
			add(p+"self_attn.v_proj.bias", KV*HD)
		}
		add(p+"mlp.gate_proj.weight", F, D)
		add(p+"mlp.up_proj.weight", F, D)
		add(p+"mlp.down_proj.weight", D, F)
	}
	return m
}

func tinyGPT2HF(prefix string) *hfModel {
	seed := int64(200)
	tok, V := byteLevelTokenizerJSON(gpt2Pre, []string{"Ġ t", "h e", "Ġt he"})
	D, F, L, C := 8, 32, 2, 16
	m := &hfModel{
		config: map[string]any{
			"model_type": "gpt2", "n_embd": D, "n_layer": L, "n_head": 2, "n_positions": C, "n_ctx": C,
			"layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "vocab_size": V,
			"bos_token_id": V - 1, "eos_token_id": V - 1,
		},
		tensors:   map[string]*tensor.Tensor{},
		tokenizer: tok,
	}
	add := func(name string, shape ...int) { m.tensors[prefix+name] = rnd(&seed, shape...) }
	add("wte.weight", V, D)
	add("wpe.weight", C, D)
	add("ln_f.weight", D)
	add("ln_f.bias", D)
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("h.%d.", l)
		add(p+"ln_1.weight", D)
		add(p+"ln_1.bias", D)
		add(p+"attn.c_attn.weight", D, 3*D) // Conv1D: [in, out]
		add(p+"attn.c_attn.bias", 3*D)
		add(p+"attn.c_proj.weight", D, D)
		add(p+"attn.c_proj.bias", D)
		add(p+"ln_2.weight", D)
		add(p+"ln_2.bias", D)
		add(p+"mlp.c_fc.weight", D, F)
		add(p+"mlp.c_fc.bias", F)
		add(p+"mlp.c_proj.weight", F, D)
		add(p+"mlp.c_proj.bias", D)
		add(p+"attn.bias", 1, 1, C, C) // the causal-mask buffer old checkpoints carry
	}
	return m
}

func wordPieceTokenizerJSON(words []string) (string, int) {
	vocab := map[string]int{"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4}
	for _, w := range words {
		vocab[w] = len(vocab)
	}
	var added []map[string]any
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		added = append(added, map[string]any{"id": vocab[s], "content": s, "special": true})
	}
	j := map[string]any{
		"added_tokens":  added,
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "TemplateProcessing", "single": []map[string]any{
			{"SpecialToken": map[string]any{"id": "[CLS]"}}, {"Sequence": map[string]any{"id": "A"}}, {"SpecialToken": map[string]any{"id": "[SEP]"}}}},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "vocab": vocab},
	}
	b, _ := json.Marshal(j)
	return string(b), len(vocab)
}

func tinyBertHF(prefix string, oldNames bool) *hfModel {
	seed := int64(300)
	tok, V := wordPieceTokenizerJSON([]string{"hello", "world", "##s", ",", "!", "the", "cat", "##ty"})
	D, F, L, C := 8, 16, 2, 16
	m := &hfModel{
		config: map[string]any{
			"model_type": "bert", "architectures": []string{"BertModel"}, "hidden_size": D, "num_hidden_layers": L,
			"num_attention_heads": 2, "intermediate_size": F, "max_position_embeddings": C, "type_vocab_size": 2,
			"layer_norm_eps": 1e-12, "hidden_act": "gelu", "vocab_size": V,
		},
		tensors:   map[string]*tensor.Tensor{},
		tokenizer: tok,
	}
	ln := func(p string) (string, string) {
		if oldNames {
			return p + "LayerNorm.gamma", p + "LayerNorm.beta"
		}
		return p + "LayerNorm.weight", p + "LayerNorm.bias"
	}
	add := func(name string, shape ...int) { m.tensors[prefix+name] = rnd(&seed, shape...) }
	add("embeddings.word_embeddings.weight", V, D)
	add("embeddings.position_embeddings.weight", C, D)
	add("embeddings.token_type_embeddings.weight", 2, D)
	w, b := ln("embeddings.")
	add(w, D)
	add(b, D)
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		for _, n := range []string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"} {
			add(p+n+".weight", D, D)
			add(p+n+".bias", D)
		}
		w, b := ln(p + "attention.output.")
		add(w, D)
		add(b, D)
		add(p+"intermediate.dense.weight", F, D)
		add(p+"intermediate.dense.bias", F)
		add(p+"output.dense.weight", D, F)
		add(p+"output.dense.bias", D)
		w, b = ln(p + "output.")
		add(w, D)
		add(b, D)
	}
	add("pooler.dense.weight", D, D)
	add("pooler.dense.bias", D)
	return m
}

// hfPermute is llama.cpp's converter step written with tensor views:
// w.reshape(n_head, 2, rows/n_head/2, cols).swapaxes(1, 2).reshape(rows, cols).
func hfPermute(w *tensor.Tensor, heads int) *tensor.Tensor {
	s := w.Shape()
	if len(s) == 1 {
		return w.Reshape(heads, 2, s[0]/heads/2).Permute(0, 2, 1).Contiguous().Reshape(s[0])
	}
	return w.Reshape(heads, 2, s[0]/heads/2, s[1]).Permute(0, 2, 1, 3).Contiguous().Reshape(s...)
}

func sameData(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if err := got.Err(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	if !reflect.DeepEqual(got.Data(), want.Data()) {
		t.Fatalf("%s: values differ", what)
	}
}

// ---- the mapping, tensor by tensor ---------------------------------------------

func TestHFLlamaMapping(t *testing.T) {
	for _, arch := range []string{"llama", "qwen2"} {
		m := tinyLlamaHF(arch, false)
		w := m.read(t, arch)
		c := w.Config
		if c.Arch != arch || c.Layers != 2 || c.Heads != 2 || c.KVHeads != 1 || c.HeadDim != 4 || c.FFN != 12 || c.Context != 32 ||
			c.TiedEmbeddings || c.RopeHalf != (arch == "qwen2") || w.Format != "hf" || !c.Causal || c.Act != "silu" {
			t.Errorf("%s config %+v", arch, c)
		}
		perm := func(x *tensor.Tensor, heads int) *tensor.Tensor {
			if arch == "qwen2" {
				return x // Qwen2 keeps Hugging Face's order
			}
			return hfPermute(x, heads)
		}
		want := map[string]*tensor.Tensor{
			"token_embd.weight":        m.tensors["model.embed_tokens.weight"],
			"output.weight":            m.tensors["lm_head.weight"],
			"output_norm.weight":       m.tensors["model.norm.weight"],
			"blk.1.attn_q.weight":      perm(m.tensors["model.layers.1.self_attn.q_proj.weight"], 2),
			"blk.1.attn_k.weight":      perm(m.tensors["model.layers.1.self_attn.k_proj.weight"], 1),
			"blk.1.attn_v.weight":      m.tensors["model.layers.1.self_attn.v_proj.weight"],
			"blk.1.attn_output.weight": m.tensors["model.layers.1.self_attn.o_proj.weight"],
			"blk.0.attn_norm.weight":   m.tensors["model.layers.0.input_layernorm.weight"],
			"blk.0.ffn_norm.weight":    m.tensors["model.layers.0.post_attention_layernorm.weight"],
			"blk.0.ffn_gate.weight":    m.tensors["model.layers.0.mlp.gate_proj.weight"],
			"blk.0.ffn_up.weight":      m.tensors["model.layers.0.mlp.up_proj.weight"],
			"blk.0.ffn_down.weight":    m.tensors["model.layers.0.mlp.down_proj.weight"],
		}
		if arch == "qwen2" {
			want["blk.0.attn_q.bias"] = m.tensors["model.layers.0.self_attn.q_proj.bias"]
			want["blk.0.attn_k.bias"] = m.tensors["model.layers.0.self_attn.k_proj.bias"]
		}
		for name, x := range want {
			sameData(t, arch+" "+name, w.Tensor(name), x)
			if x.Rank() == 2 {
				sameData(t, arch+" "+name+" (T)", w.TensorT(name), x.T().Contiguous())
			}
		}
		if got, n := len(w.Names()), len(m.tensors); got != n {
			t.Errorf("%s: %d tensors mapped of %d", arch, got, n)
		}
	}
}

// The permutation is what makes the interleaved RoPE of the GGUF
// convention give Hugging Face's rotate-half attention: the scores q·k of
// every head are the same.
func TestHFPermuteIsRoPEConvention(t *testing.T) {
	const T, D, H, HD = 5, 16, 2, 8
	x := tensor.RandN(1, T, D)
	wq, wk := tensor.RandN(2, H*HD, D), tensor.RandN(3, H*HD, D)
	scores := func(wq, wk *tensor.Tensor, rope func(*tensor.Tensor, float32, int) *tensor.Tensor) *tensor.Tensor {
		q := rope(tensor.SplitHeads(x.MatMul(wq.T()), H), 10000, 0)
		k := rope(tensor.SplitHeads(x.MatMul(wk.T()), H), 10000, 0)
		return q.MatMul(k.Transpose(-1, -2))
	}
	hf := scores(wq, wk, tensor.RoPEHalf).Data()
	gg := scores(hfPermute(wq, H), hfPermute(wk, H), tensor.RoPEInterleaved).Data()
	wrong := scores(wq, wk, tensor.RoPEInterleaved).Data()
	worst, off := 0.0, 0.0
	for i := range hf {
		worst = math.Max(worst, math.Abs(float64(hf[i]-gg[i])))
		off = math.Max(off, math.Abs(float64(hf[i]-wrong[i])))
	}
	if worst > 1e-4 {
		t.Errorf("permuted weights with interleaved RoPE differ from HF's rotate-half by %g", worst)
	}
	if off < 1e-2 {
		t.Errorf("the unpermuted weights with interleaved RoPE should differ (by %g)", off)
	}
}

// A Hugging Face llama folder and its GGUF conversion (the converter's
// steps done here by hand) load into the same model: same tokens, same
// logits, bit for bit.
func TestHFLlamaEqualsGGUF(t *testing.T) {
	for _, tied := range []bool{false, true} {
		m := tinyLlamaHF("llama", tied)
		dir := filepath.Join(t.TempDir(), "hf")
		m.write(t, dir, 1)
		// the GGUF of the same model, as convert_hf_to_gguf.py writes it
		var ts []wTensor
		put := func(name string, x *tensor.Tensor) {
			s := x.Shape()
			dims := make([]uint64, len(s))
			for i := range s {
				dims[i] = uint64(s[len(s)-1-i])
			}
			ts = append(ts, wTensor{name, dims, GGMLF32, f32raw(x.Data()...)})
		}
		for hf, x := range m.tensors {
			g, _, ok := hfMapName("llama", hf)
			if !ok {
				t.Fatalf("unmapped %s", hf)
			}
			switch {
			case strings.Contains(g, "attn_q."):
				x = hfPermute(x, 2)
			case strings.Contains(g, "attn_k."):
				x = hfPermute(x, 1)
			}
			put(g, x)
		}
		sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
		var tj struct {
			Model struct {
				Vocab map[string]int `json:"vocab"`
			} `json:"model"`
		}
		json.Unmarshal([]byte(m.tokenizer), &tj)
		toks := make([]string, len(tj.Model.Vocab))
		types := make([]int32, len(toks))
		for s, id := range tj.Model.Vocab {
			toks[id], types[id] = s, tokNormal
			if _, ok := parseByteToken(s); ok {
				types[id] = tokByte
			}
		}
		types[0], types[1], types[2] = tokUnknown, tokControl, tokControl
		scores := make([]float32, len(toks))
		for i, s := range []string{"▁a", "ab", "▁b"} { // merge order → scores
			scores[tj.Model.Vocab[s]] = float32(-i)
		}
		kvs := tinyLlamaKVs(2, 32, toks, scores, types)
		ggufPath := filepath.Join(t.TempDir(), "m.gguf")
		if err := os.WriteFile(ggufPath, encodeGGUF(3, kvs, ts, 0), 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := Load(dir, Device(tensor.CPU))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load(ggufPath, Device(tensor.CPU))
		if err != nil {
			t.Fatal(err)
		}
		if a.Config().TiedEmbeddings != tied || b.Config().TiedEmbeddings != tied {
			t.Errorf("tied: hf %v gguf %v, want %v", a.Config().TiedEmbeddings, b.Config().TiedEmbeddings, tied)
		}
		for _, prompt := range []string{"ab a", "b ba ab"} {
			ra, rb := a.Run(prompt), b.Run(prompt)
			if ra.Err() != nil || rb.Err() != nil {
				t.Fatal(ra.Err(), rb.Err())
			}
			if !reflect.DeepEqual(ra.IDs, rb.IDs) {
				t.Errorf("%q: ids hf %v gguf %v", prompt, ra.IDs, rb.IDs)
			}
			if !reflect.DeepEqual(ra.Logits.Data(), rb.Logits.Data()) || !reflect.DeepEqual(ra.Attention.Data(), rb.Attention.Data()) {
				t.Errorf("%q: logits or attention differ between the HF folder and the GGUF file", prompt)
			}
		}
	}
}

func TestHFGPT2Mapping(t *testing.T) {
	for _, prefix := range []string{"", "transformer."} {
		m := tinyGPT2HF(prefix)
		w := m.read(t, "gpt2")
		c := w.Config
		if c.Arch != "gpt2" || c.Layers != 2 || c.Heads != 2 || c.HeadDim != 4 || c.FFN != 32 || c.Context != 16 || !c.TiedEmbeddings || c.Act != "gelu_tanh" {
			t.Errorf("config %+v", c)
		}
		p := prefix
		sameData(t, "token_embd", w.Tensor("token_embd.weight"), m.tensors[p+"wte.weight"])
		sameData(t, "position_embd", w.Tensor("position_embd.weight"), m.tensors[p+"wpe.weight"])
		sameData(t, "output_norm.bias", w.Tensor("output_norm.bias"), m.tensors[p+"ln_f.bias"])
		sameData(t, "attn_norm", w.Tensor("blk.1.attn_norm.weight"), m.tensors[p+"h.1.ln_1.weight"])
		sameData(t, "attn_qkv.bias", w.Tensor("blk.0.attn_qkv.bias"), m.tensors[p+"h.0.attn.c_attn.bias"])
		for g, hf := range map[string]string{
			"blk.0.attn_qkv.weight": "h.0.attn.c_attn.weight", "blk.1.attn_output.weight": "h.1.attn.c_proj.weight",
			"blk.0.ffn_up.weight": "h.0.mlp.c_fc.weight", "blk.1.ffn_down.weight": "h.1.mlp.c_proj.weight",
		} {
			conv := m.tensors[p+hf]                                // [in, out]
			sameData(t, g, w.Tensor(g), conv.T().Contiguous())     // GGUF: [out, in]
			sameData(t, g+" (T)", w.TensorT(g), conv.Contiguous()) // TensorT: Conv1D's own layout
		}
		// Conv1D computes x·W + b; the GGUF-layout weight gives the same with x·Wᵀ.
		x := tensor.RandN(9, 3, 8)
		hf := x.MatMul(m.tensors[p+"h.0.attn.c_attn.weight"]).Add(m.tensors[p+"h.0.attn.c_attn.bias"])
		gg := x.MatMul(w.Tensor("blk.0.attn_qkv.weight").T()).Add(w.Tensor("blk.0.attn_qkv.bias"))
		sameData(t, "Conv1D product", gg, hf)
		if w.Has("blk.0.attn.bias") || len(w.Names()) != len(m.tensors)-2 {
			t.Errorf("the causal-mask buffers should be dropped: %v", w.Names())
		}
		ids := w.Tokenizer.Encode(" the the", false)
		if got := []string{w.Tokenizer.Token(ids[0]), w.Tokenizer.Token(ids[1])}; !reflect.DeepEqual(got, []string{"Ġthe", "Ġthe"}) {
			t.Errorf("tokens %q", got)
		}
	}
}

func TestHFBertMapping(t *testing.T) {
	for _, v := range []struct {
		prefix string
		old    bool
	}{{"", false}, {"bert.", true}} {
		m := tinyBertHF(v.prefix, v.old)
		w := m.read(t, "bert")
		c := w.Config
		if c.Arch != "bert" || c.Causal || c.TokenTypes != 2 || c.Act != "gelu" || c.Context != 16 || c.NormEps != 1e-12 {
			t.Errorf("config %+v", c)
		}
		p := v.prefix
		ln := "LayerNorm.weight"
		if v.old {
			ln = "LayerNorm.gamma"
		}
		for g, hf := range map[string]string{
			"token_embd.weight":              "embeddings.word_embeddings.weight",
			"token_types.weight":             "embeddings.token_type_embeddings.weight",
			"position_embd.weight":           "embeddings.position_embeddings.weight",
			"token_embd_norm.weight":         "embeddings." + ln,
			"blk.1.attn_q.weight":            "encoder.layer.1.attention.self.query.weight",
			"blk.1.attn_k.bias":              "encoder.layer.1.attention.self.key.bias",
			"blk.0.attn_v.weight":            "encoder.layer.0.attention.self.value.weight",
			"blk.0.attn_output.weight":       "encoder.layer.0.attention.output.dense.weight",
			"blk.0.attn_output_norm.weight":  "encoder.layer.0.attention.output." + ln,
			"blk.1.ffn_up.weight":            "encoder.layer.1.intermediate.dense.weight",
			"blk.1.ffn_down.bias":            "encoder.layer.1.output.dense.bias",
			"blk.1.layer_output_norm.weight": "encoder.layer.1.output." + ln,
		} {
			sameData(t, g, w.Tensor(g), m.tensors[p+hf])
		}
		if w.Has("pooler.dense.weight") {
			t.Error("the pooler should be dropped")
		}
		tok := w.Tokenizer
		ids := tok.Encode("Hello, worlds! The kitty", true)
		var got []string
		for _, id := range ids {
			got = append(got, tok.Piece(id))
		}
		want := []string{"[CLS]", " hello", " ,", " world", "##s", " !", " the", " [UNK]", "[SEP]"}
		if got[7] == "[UNK]" {
			want[7] = "[UNK]"
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("bert tokens %q, want %q", got, want)
		}
	}
}

// Shards listed by model.safetensors.index.json (stored as BF16 here) read
// like one file.
func TestHFSharded(t *testing.T) {
	m := tinyLlamaHF("qwen2", true)
	for n, x := range m.tensors { // values BF16 can hold exactly
		d := x.Data()
		for i := range d {
			d[i] = tensor.BFloat16ToFloat32(tensor.Float32ToBFloat16(d[i]))
		}
		m.tensors[n] = tensor.New(d, x.Shape()...)
	}
	one, three := filepath.Join(t.TempDir(), "one"), filepath.Join(t.TempDir(), "three")
	m.write(t, one, 1)
	m.write(t, three, 3)
	a, err := ReadWeights(one)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadWeights(three)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Names(), b.Names()) {
		t.Fatalf("names differ: %v / %v", a.Names(), b.Names())
	}
	for _, n := range a.Names() {
		sameData(t, n, b.Tensor(n), a.Tensor(n))
	}
	if b.Type("token_embd.weight") != "BF16" {
		t.Errorf("type %s", b.Type("token_embd.weight"))
	}
}

// ---- bad folders: one clear message each ------------------------------------

func TestHFBadFolders(t *testing.T) {
	cases := []struct {
		name string
		edit func(m *hfModel, dir string)
		want string
	}{
		{"no tokenizer.json", func(m *hfModel, dir string) { os.Remove(filepath.Join(dir, "tokenizer.json")) }, "has no tokenizer.json"},
		{"vocab_size differs from the embedding", func(m *hfModel, dir string) {
			m.config["vocab_size"] = 999
			m.write(t, dir, 1)
		}, "vocab_size 999 but the token embedding has"},
		{"hidden_size differs from the weights", func(m *hfModel, dir string) {
			m.config["hidden_size"] = 12
			m.write(t, dir, 1)
		}, "config.json and the weights do not match"},
		{"layers missing", func(m *hfModel, dir string) {
			m.config["num_hidden_layers"] = 3
			m.write(t, dir, 1)
		}, "has no tensor blk.2.attn_norm.weight"},
		{"unknown model_type", func(m *hfModel, dir string) {
			m.config["model_type"] = "mamba"
			m.config["architectures"] = []string{"MambaForCausalLM"}
			m.write(t, dir, 1)
		}, `describes a "mamba" model`},
		{"no weights", func(m *hfModel, dir string) { os.Remove(filepath.Join(dir, "model.safetensors")) }, "neither model.safetensors nor"},
		{"no config.json", func(m *hfModel, dir string) { os.Remove(filepath.Join(dir, "config.json")) }, "without config.json"},
		{"config.json not JSON", func(m *hfModel, dir string) {
			os.WriteFile(filepath.Join(dir, "config.json"), []byte("{model_type: llama"), 0o644)
		}, "config.json is not valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tinyLlamaHF("llama", false)
			dir := filepath.Join(t.TempDir(), "m")
			m.write(t, dir, 1)
			c.edit(m, dir)
			_, err := ReadWeights(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if !errors.Is(err, tensor.ErrFormat) && !errors.Is(err, tensor.ErrNotFound) {
				t.Errorf("error does not wrap a tensor sentinel: %v", err)
			}
			t.Log(err)
		})
	}
}

// rope_scaling in config.json: "linear" sets RopeScale; "llama3" becomes
// the rope_freqs.weight divisors llama.cpp's converter writes, checked
// here against Meta's apply_scaling (new frequency = freq / divisor).
func TestHFRopeScaling(t *testing.T) {
	m := tinyLlamaHF("llama", false)
	m.config["rope_scaling"] = map[string]any{"rope_type": "linear", "factor": 4.0}
	w := m.read(t, "lin")
	if w.Config.RopeScale != 0.25 || w.Has("rope_freqs.weight") {
		t.Errorf("linear: RopeScale %v, rope_freqs %v", w.Config.RopeScale, w.Has("rope_freqs.weight"))
	}
	// head size 64 and base 500000, as Llama 3.2
	base, hd := 500000.0, 64
	m.config["rope_theta"] = base
	m.config["head_dim"] = hd
	m.config["rope_scaling"] = map[string]any{"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
	c, freqs, err := parseHFConfig(mustJSONBytes(m.config))
	if err != nil {
		t.Fatal(err)
	}
	if c.RopeScale != 1 || len(freqs) != hd/2 {
		t.Fatalf("llama3: RopeScale %v, %d factors", c.RopeScale, len(freqs))
	}
	const factor, low, high, old = 32.0, 1.0, 4.0, 8192.0
	kinds := map[string]int{}
	for i, div := range freqs {
		freq := 1 / math.Pow(base, float64(2*i)/float64(hd))
		wave := 2 * math.Pi / freq
		want := freq // Meta's apply_scaling
		switch {
		case wave < old/high:
			kinds["kept"]++
		case wave > old/low:
			want = freq / factor
			kinds["divided"]++
		default:
			smooth := (old/wave - low) / (high - low)
			want = (1-smooth)*freq/factor + smooth*freq
			kinds["blended"]++
		}
		if got := freq / float64(div); math.Abs(got-want) > 1e-6*want {
			t.Errorf("pair %d: frequency %g, Meta's %g", i, got, want)
		}
	}
	if kinds["kept"] == 0 || kinds["divided"] == 0 || kinds["blended"] == 0 {
		t.Errorf("the test should cover all three bands: %v", kinds)
	}
	m.config["rope_scaling"] = map[string]any{"rope_type": "yarn", "factor": 4.0}
	if _, err := ParseHFConfig(mustJSONBytes(m.config)); err == nil || !strings.Contains(err.Error(), `rope_scaling "yarn"`) {
		t.Errorf("yarn: %v", err)
	}
}
