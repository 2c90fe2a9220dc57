package model

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// Small models of every architecture with random weights and small
// vocabularies, written as llama.cpp writes real ones (tensor names and
// layouts, metadata keys, tokenizer arrays). scripts/torch_arch_ref.py reads
// them with its own GGUF reader and tokenizers, runs its own float64 PyTorch
// forward pass, and writes model/testdata/ref_arch.json; TestArchAgainstTorch
// rebuilds the same bytes here and compares. Regenerate with
// `make model-arch-ref` after changing anything below.

var writeArchDir = flag.String("write-arch-models", "", "write the random-weight test models (archModels) into this folder and exit the test")

// archModel is one test file and the prompts run on it.
type archModel struct {
	name    string
	data    []byte
	prompts []string
	pairs   [][2]string // bert sentence pairs
}

// archRand draws the weights: a seeded normal generator.
type archRand struct{ r *rand.Rand }

func (a archRand) normal(n int, std, mean float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(mean + std*a.r.NormFloat64())
	}
	return out
}

type archBuilder struct {
	rnd     archRand
	kvs     []KV
	tensors []wTensor
	f16     bool // store matrices as F16
}

func (b *archBuilder) kv(key string, v any) {
	var t ValueType
	switch x := v.(type) {
	case string:
		t = TypeString
	case uint32:
		t = TypeUint32
	case float32:
		t = TypeFloat32
	case bool:
		t = TypeBool
	case []string:
		t, v = TypeArray, &Array{Elem: TypeString, Len: len(x), Values: x}
	case []int32:
		t, v = TypeArray, &Array{Elem: TypeInt32, Len: len(x), Values: x}
	case []float32:
		t, v = TypeArray, &Array{Elem: TypeFloat32, Len: len(x), Values: x}
	default:
		panic(fmt.Sprintf("kv %s: type %T", key, v))
	}
	b.kvs = append(b.kvs, KV{key, t, v})
}

// add stores a row-major [shape...] tensor (GGUF dims reversed).
func (b *archBuilder) add(name string, vals []float32, shape ...int) {
	dims := make([]uint64, len(shape))
	for i, s := range shape {
		dims[len(shape)-1-i] = uint64(s)
	}
	if b.f16 && len(shape) == 2 {
		h := make([]uint16, len(vals))
		for i, v := range vals {
			h[i] = tensor.Float32ToFloat16(v)
		}
		b.tensors = append(b.tensors, wTensor{name, dims, GGMLF16, f16raw(h...)})
		return
	}
	b.tensors = append(b.tensors, wTensor{name, dims, GGMLF32, f32raw(vals...)})
}

// mat adds a linear weight [out, in] scaled so a unit-variance input gives
// outputs of standard deviation gain.
func (b *archBuilder) mat(name string, out, in int, gain float64) {
	b.add(name, b.rnd.normal(out*in, gain/math.Sqrt(float64(in)), 0), out, in)
}

func (b *archBuilder) vec(name string, n int, std, mean float64) {
	b.add(name, b.rnd.normal(n, std, mean), n)
}

// linear adds a linear layer's weight [out, in] and bias [out] (std biasStd).
func (b *archBuilder) linear(name string, out, in int, gain, biasStd float64) {
	b.mat(name+".weight", out, in, gain)
	b.vec(name+".bias", out, biasStd, 0)
}

// norm adds a LayerNorm's weight (about 1) and bias (about 0), n each.
func (b *archBuilder) norm(name string, n int) {
	b.vec(name+".weight", n, 0.1, 1)
	b.vec(name+".bias", n, 0.1, 0)
}

// llamaLayers adds the layers of a llama or qwen2 model (RMSNorm, q/k/v
// with biases of standard deviation qkvBias unless it is 0, SwiGLU) and
// the final norm.
func (b *archBuilder) llamaLayers(L, D, H, Hkv, F int, qkvBias float64) {
	hd := D / H
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		b.vec(p+"attn_norm.weight", D, 0.1, 1)
		for _, m := range []struct {
			name string
			out  int
			gain float64
		}{{"attn_q", H * hd, 1.6}, {"attn_k", Hkv * hd, 1.6}, {"attn_v", Hkv * hd, 1}} {
			if qkvBias != 0 {
				b.linear(p+m.name, m.out, D, m.gain, qkvBias)
			} else {
				b.mat(p+m.name+".weight", m.out, D, m.gain)
			}
		}
		b.mat(p+"attn_output.weight", D, H*hd, 1)
		b.vec(p+"ffn_norm.weight", D, 0.1, 1)
		b.mat(p+"ffn_gate.weight", F, D, 1)
		b.mat(p+"ffn_up.weight", F, D, 1)
		b.mat(p+"ffn_down.weight", D, F, 1)
	}
	b.vec("output_norm.weight", D, 0.1, 1)
}

func (b *archBuilder) bytes() []byte { return encodeGGUF(3, b.kvs, b.tensors, 0) }

// gpt2ByteChars is GPT-2's bytes_to_unicode: printable characters for the
// 256 byte values, in the order of GPT-2's first 256 vocabulary entries.
func gpt2ByteChars() (order []byte, char [256]rune) {
	var bs []int
	for _, r := range [][2]int{{'!', '~'}, {0xA1, 0xAC}, {0xAE, 0xFF}} {
		for c := r[0]; c <= r[1]; c++ {
			bs = append(bs, c)
		}
	}
	in := map[int]bool{}
	for _, c := range bs {
		in[c] = true
		char[c] = rune(c)
	}
	n := 0
	for c := 0; c < 256; c++ {
		if !in[c] {
			bs = append(bs, c)
			char[c] = rune(256 + n)
			n++
		}
	}
	for _, c := range bs {
		order = append(order, byte(c))
	}
	return order, char
}

// bpeVocab builds a byte-level BPE vocabulary: the 256 byte tokens, nMerges
// merges learned from corpus (split into words at spaces, a word keeping its
// leading space), then the special tokens.
func bpeVocab(corpus string, nMerges int, specials []string) (tokens []string, types []int32, merges []string) {
	order, char := gpt2ByteChars()
	for _, c := range order {
		tokens = append(tokens, string(char[c]))
		types = append(types, 1)
	}
	var words [][]string
	for i, w := range strings.Fields(corpus) {
		if i > 0 {
			w = " " + w
		}
		var sym []string
		for _, c := range []byte(w) {
			sym = append(sym, string(char[c]))
		}
		words = append(words, sym)
	}
	have := map[string]bool{}
	for _, t := range tokens {
		have[t] = true
	}
	for len(merges) < nMerges {
		count := map[[2]string]int{}
		var best [2]string
		bestN := 0
		for _, w := range words {
			for i := 0; i+1 < len(w); i++ {
				p := [2]string{w[i], w[i+1]}
				count[p]++
				if n := count[p]; n > bestN || n == bestN && (p[0]+" "+p[1]) < (best[0]+" "+best[1]) {
					best, bestN = p, n
				}
			}
		}
		if bestN < 2 {
			break
		}
		merges = append(merges, best[0]+" "+best[1])
		if joined := best[0] + best[1]; !have[joined] {
			have[joined] = true
			tokens = append(tokens, joined)
			types = append(types, 1)
		}
		for wi, w := range words {
			var out []string
			for i := 0; i < len(w); i++ {
				if i+1 < len(w) && w[i] == best[0] && w[i+1] == best[1] {
					out = append(out, w[i]+w[i+1])
					i++
					continue
				}
				out = append(out, w[i])
			}
			words[wi] = out
		}
	}
	for _, s := range specials {
		tokens = append(tokens, s)
		types = append(types, 3)
	}
	return tokens, types, merges
}

const archCorpus = `the cat sat on the mat and the dog sat on the log . the cat and the dog ran to the park ,
then the cat saw the dog and the dog saw the cat . once upon a time there was a little cat that sat on a mat
in the sun . she liked the sun and the mat and the dog . they ran and ran and sat again . the end`

func (b *archBuilder) bpeTokenizer(pre string, addBOS bool, specials []string) int {
	toks, types, merges := bpeVocab(archCorpus, 60, specials)
	b.kv("tokenizer.ggml.model", "gpt2")
	b.kv("tokenizer.ggml.pre", pre)
	b.kv("tokenizer.ggml.tokens", toks)
	b.kv("tokenizer.ggml.token_type", types)
	b.kv("tokenizer.ggml.merges", merges)
	first := uint32(len(toks) - len(specials))
	b.kv("tokenizer.ggml.bos_token_id", first)
	b.kv("tokenizer.ggml.eos_token_id", uint32(len(toks)-1))
	b.kv("tokenizer.ggml.add_bos_token", addBOS)
	return len(toks)
}

func (b *archBuilder) decoderHeader(arch string, layers, dim, heads, kvHeads, ffn, ctx int) {
	b.kv("general.architecture", arch)
	b.kv("general.name", "attnviz test "+arch)
	p := arch + "."
	b.kv(p+"block_count", uint32(layers))
	b.kv(p+"embedding_length", uint32(dim))
	b.kv(p+"feed_forward_length", uint32(ffn))
	b.kv(p+"attention.head_count", uint32(heads))
	if kvHeads > 0 {
		b.kv(p+"attention.head_count_kv", uint32(kvHeads))
	}
	b.kv(p+"context_length", uint32(ctx))
}

// archLlamaBPE: a Llama 3 style model — byte-level BPE with the llama-bpe
// pre-tokenizer, grouped-query attention, RoPE base 500000 with Llama 3's
// per-frequency factors (rope_freqs.weight), a separate output matrix.
func archLlamaBPE() archModel {
	b := &archBuilder{rnd: archRand{rand.New(rand.NewSource(11))}}
	const L, D, H, Hkv, F, C = 2, 32, 4, 2, 48, 64
	hd := D / H
	b.decoderHeader("llama", L, D, H, Hkv, F, C)
	b.kv("llama.rope.freq_base", float32(500000))
	b.kv("llama.rope.dimension_count", uint32(hd))
	b.kv("llama.attention.layer_norm_rms_epsilon", float32(1e-5))
	V := b.bpeTokenizer("llama-bpe", true, []string{"<|begin_of_text|>", "<|end_of_text|>"})
	b.add("token_embd.weight", b.rnd.normal(V*D, 1, 0), V, D)
	freqs := make([]float32, hd/2)
	for i := range freqs {
		freqs[i] = 1 + float32(i)*1.5 // the long wavelengths slowed most, as Llama 3's scaling does
	}
	b.add("rope_freqs.weight", freqs, hd/2)
	b.llamaLayers(L, D, H, Hkv, F, 0)
	b.mat("output.weight", V, D, 1)
	return archModel{name: "llama-bpe", data: b.bytes(), prompts: []string{
		"Once upon a time, the cat sat on the mat in 2024.",
		"The dog ran to the park",
	}}
}

// archQwen2: a Qwen2 style model — qwen2 pre-tokenizer, q/k/v biases,
// NEOX RoPE (pairs i, i+d/2), base 1e6, GQA, tied embeddings, F16 matrices.
func archQwen2() archModel {
	b := &archBuilder{rnd: archRand{rand.New(rand.NewSource(12))}, f16: true}
	const L, D, H, Hkv, F, C = 2, 32, 4, 1, 40, 64
	b.decoderHeader("qwen2", L, D, H, Hkv, F, C)
	b.kv("qwen2.rope.freq_base", float32(1e6))
	b.kv("qwen2.attention.layer_norm_rms_epsilon", float32(1e-6))
	V := b.bpeTokenizer("qwen2", false, []string{"<|endoftext|>", "<|im_start|>"})
	b.add("token_embd.weight", b.rnd.normal(V*D, 1, 0), V, D)
	b.llamaLayers(L, D, H, Hkv, F, 0.5)
	return archModel{name: "qwen2", data: b.bytes(), prompts: []string{
		"the cat and the dog ran 12 times!",
		"She liked the sun.",
	}}
}

// archGPT2: GPT-2 — learned positions, LayerNorm with bias, fused QKV,
// GELU (tanh), tied or separate output.
func archGPT2(tied bool) archModel {
	seed := int64(13)
	if !tied {
		seed = 14
	}
	b := &archBuilder{rnd: archRand{rand.New(rand.NewSource(seed))}}
	const L, D, H, F, C = 2, 32, 4, 64, 48
	b.decoderHeader("gpt2", L, D, H, 0, F, C)
	b.kv("gpt2.attention.layer_norm_epsilon", float32(1e-5))
	V := b.bpeTokenizer("gpt-2", false, []string{"<|endoftext|>"})
	b.add("token_embd.weight", b.rnd.normal(V*D, 0.5, 0), V, D)
	b.add("position_embd.weight", b.rnd.normal(C*D, 0.5, 0), C, D)
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		b.norm(p+"attn_norm", D)
		b.linear(p+"attn_qkv", 3*D, D, 1.6, 0.3)
		b.linear(p+"attn_output", D, D, 1, 0.1)
		b.norm(p+"ffn_norm", D)
		b.linear(p+"ffn_up", F, D, 1, 0.1)
		b.linear(p+"ffn_down", D, F, 1, 0.1)
	}
	b.norm("output_norm", D)
	name := "gpt2-tied"
	if !tied {
		b.mat("output.weight", V, D, 1)
		name = "gpt2-output"
	}
	return archModel{name: name, data: b.bytes(), prompts: []string{
		"Once upon a time there was a little cat.",
		" the dog sat on the log, then ran!",
	}}
}

// archBERT: BERT — WordPiece in llama.cpp's phantom-space form,
// bidirectional attention, token types, post-LayerNorm.
func archBERT() archModel {
	b := &archBuilder{rnd: archRand{rand.New(rand.NewSource(15))}}
	const L, D, H, F, C, TT = 2, 32, 4, 64, 40, 2
	b.kv("general.architecture", "bert")
	b.kv("general.name", "attnviz test bert")
	b.kv("bert.block_count", uint32(L))
	b.kv("bert.embedding_length", uint32(D))
	b.kv("bert.feed_forward_length", uint32(F))
	b.kv("bert.attention.head_count", uint32(H))
	b.kv("bert.context_length", uint32(C))
	b.kv("bert.attention.layer_norm_epsilon", float32(1e-12))
	b.kv("bert.attention.causal", false)
	b.kv("bert.pooling_type", uint32(2))
	toks := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?", "'"}
	for c := 'a'; c <= 'z'; c++ {
		toks = append(toks, "\u2581"+string(c), string(c))
	}
	for _, w := range strings.Fields("the cat sat on mat and dog ran to park was it happy she liked sun") {
		toks = append(toks, "\u2581"+w)
	}
	toks = append(toks, "at", "og", "un", "ed", "ing")
	types := make([]int32, len(toks))
	for i, t := range toks {
		types[i] = 1
		if strings.HasPrefix(t, "[") {
			types[i] = 3
		}
	}
	b.kv("tokenizer.ggml.model", "bert")
	b.kv("tokenizer.ggml.tokens", toks)
	b.kv("tokenizer.ggml.token_type", types)
	b.kv("tokenizer.ggml.token_type_count", uint32(TT))
	b.kv("tokenizer.ggml.padding_token_id", uint32(0))
	b.kv("tokenizer.ggml.unknown_token_id", uint32(1))
	b.kv("tokenizer.ggml.cls_token_id", uint32(2))
	b.kv("tokenizer.ggml.seperator_token_id", uint32(3))
	b.kv("tokenizer.ggml.mask_token_id", uint32(4))
	V := len(toks)
	b.add("token_embd.weight", b.rnd.normal(V*D, 1, 0), V, D)
	b.add("position_embd.weight", b.rnd.normal(C*D, 0.5, 0), C, D)
	b.add("token_types.weight", b.rnd.normal(TT*D, 0.5, 0), TT, D)
	b.norm("token_embd_norm", D)
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		for _, n := range []string{"attn_q", "attn_k", "attn_v"} {
			gain := 1.6
			if n == "attn_v" {
				gain = 1
			}
			b.linear(p+n, D, D, gain, 0.3)
		}
		b.linear(p+"attn_output", D, D, 1, 0.1)
		b.norm(p+"attn_output_norm", D)
		b.linear(p+"ffn_up", F, D, 1, 0.1)
		b.linear(p+"ffn_down", D, F, 1, 0.1)
		b.norm(p+"layer_output_norm", D)
	}
	return archModel{name: "bert", data: b.bytes(),
		prompts: []string{"The cat sat on the mat.", "Was the dog happy? She liked it!"},
		pairs:   [][2]string{{"the cat sat on the mat", "it was happy"}},
	}
}

// quantTypes are the ggml block types a model file may store its matrices
// in; archQuant makes one test model per type.
var quantTypes = []GGMLType{GGMLQ4_0, GGMLQ4_1, GGMLQ5_0, GGMLQ5_1, GGMLQ8_0, GGMLQ2_K, GGMLQ3_K, GGMLQ4_K, GGMLQ5_K, GGMLQ6_K}

// addQ stores a row-major [rows, cols] matrix quantized to typ block by
// block with the quantizers of quant_test.go (cols a multiple of the block).
func (b *archBuilder) addQ(name string, vals []float32, typ GGMLType, rows, cols int) {
	blk := ggmlBlocks[typ][0]
	var raw []byte
	for o := 0; o < len(vals); o += blk {
		q, _ := quantizers[typ](vals[o : o+blk])
		raw = append(raw, q...)
	}
	b.tensors = append(b.tensors, wTensor{name, []uint64{uint64(cols), uint64(rows)}, typ, raw})
}

// archQuant: a llama model (byte-level BPE) whose every matrix — the token
// embedding and the output head included — is stored in typ: 2 layers,
// dim 256 (a K-quant block is 256 wide), 4 heads of 64, 2 KV heads, FFN
// 256. The reference dequantizes with its own numpy code.
func archQuant(typ GGMLType) archModel {
	b := &archBuilder{rnd: archRand{rand.New(rand.NewSource(100 + int64(typ)))}}
	const L, D, H, Hkv, F, C = 2, 256, 4, 2, 256, 64
	hd := D / H
	b.decoderHeader("llama", L, D, H, Hkv, F, C)
	b.kvs[1].Value = "attnviz test llama " + typ.String() // general.name
	b.kv("llama.rope.freq_base", float32(10000))
	V := b.bpeTokenizer("llama-bpe", true, []string{"<|begin_of_text|>", "<|end_of_text|>"})
	mat := func(name string, out, in int, gain float64) {
		b.addQ(name, b.rnd.normal(out*in, gain/math.Sqrt(float64(in)), 0), typ, out, in)
	}
	b.addQ("token_embd.weight", b.rnd.normal(V*D, 1, 0), typ, V, D)
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		b.vec(p+"attn_norm.weight", D, 0.1, 1)
		mat(p+"attn_q.weight", H*hd, D, 2)
		mat(p+"attn_k.weight", Hkv*hd, D, 2)
		mat(p+"attn_v.weight", Hkv*hd, D, 1)
		mat(p+"attn_output.weight", D, H*hd, 1)
		b.vec(p+"ffn_norm.weight", D, 0.1, 1)
		mat(p+"ffn_gate.weight", F, D, 1)
		mat(p+"ffn_up.weight", F, D, 1)
		mat(p+"ffn_down.weight", D, F, 1)
	}
	b.vec("output_norm.weight", D, 0.1, 1)
	mat("output.weight", V, D, 1)
	return archModel{name: "llama-" + typ.String(), data: b.bytes(), prompts: []string{"the cat sat on the mat and the dog ran."}}
}

func archModels() []archModel {
	ms := []archModel{archLlamaBPE(), archQwen2(), archGPT2(true), archGPT2(false), archBERT()}
	for _, typ := range quantTypes {
		ms = append(ms, archQuant(typ))
	}
	return ms
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestWriteArchModels writes the test models for the reference script when
// run with -write-arch-models DIR (make model-arch-ref does).
func TestWriteArchModels(t *testing.T) {
	if *writeArchDir == "" {
		t.Skip("writes the test models only with -write-arch-models DIR (make model-arch-ref)")
	}
	if err := os.MkdirAll(*writeArchDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var index strings.Builder
	for _, m := range archModels() {
		p := filepath.Join(*writeArchDir, m.name+".gguf")
		if err := os.WriteFile(p, m.data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&index, "%s\t%s\t%s\t%s\n", m.name, sha(m.data), strings.Join(m.prompts, "\x1f"), pairsField(m.pairs))
	}
	if err := os.WriteFile(filepath.Join(*writeArchDir, "index.tsv"), []byte(index.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pairsField(ps [][2]string) string {
	var s []string
	for _, p := range ps {
		s = append(s, p[0]+"\x1e"+p[1])
	}
	return strings.Join(s, "\x1f")
}
