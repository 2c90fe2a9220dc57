package hardening

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/attnviz/attnviz/model"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

// Bad model files of the four architectures: a tiny, valid file of each
// (archFile) with one thing wrong — a hyperparameter that contradicts the
// tensors, a tensor missing, a convention the forward pass does not know.

type archKV struct {
	key string
	val any // string, uint32, float32, bool, []string, []int32
}

type archTensor struct {
	name  string
	shape []int // row-major
}

type archFile struct {
	kvs     []archKV
	tensors []archTensor
}

func (a *archFile) set(key string, v any) *archFile {
	for i := range a.kvs {
		if a.kvs[i].key == key {
			if v == nil {
				a.kvs = append(a.kvs[:i], a.kvs[i+1:]...)
			} else {
				a.kvs[i].val = v
			}
			return a
		}
	}
	if v != nil {
		a.kvs = append(a.kvs, archKV{key, v})
	}
	return a
}

func (a *archFile) drop(name string) *archFile {
	for i := range a.tensors {
		if a.tensors[i].name == name {
			a.tensors = append(a.tensors[:i], a.tensors[i+1:]...)
			break
		}
	}
	return a
}

func (a *archFile) reshape(name string, shape ...int) *archFile {
	for i := range a.tensors {
		if a.tensors[i].name == name {
			a.tensors[i].shape = shape
		}
	}
	return a
}

func (a *archFile) add(name string, shape ...int) *archFile {
	a.tensors = append(a.tensors, archTensor{name, shape})
	return a
}

// bytes writes the file: GGUF v3, F32 tensors of small values.
func (a *archFile) bytes() []byte {
	le := binary.LittleEndian
	str := func(b []byte, s string) []byte { return append(le.AppendUint64(b, uint64(len(s))), s...) }
	b := le.AppendUint32([]byte("GGUF"), 3)
	b = le.AppendUint64(b, uint64(len(a.tensors)))
	b = le.AppendUint64(b, uint64(len(a.kvs)))
	for _, kv := range a.kvs {
		b = str(b, kv.key)
		switch v := kv.val.(type) {
		case string:
			b = str(le.AppendUint32(b, 8), v)
		case uint32:
			b = le.AppendUint32(le.AppendUint32(b, 4), v)
		case float32:
			b = le.AppendUint32(le.AppendUint32(b, 6), math.Float32bits(v))
		case bool:
			x := byte(0)
			if v {
				x = 1
			}
			b = append(le.AppendUint32(b, 7), x)
		case []string:
			b = le.AppendUint64(le.AppendUint32(le.AppendUint32(b, 9), 8), uint64(len(v)))
			for _, s := range v {
				b = str(b, s)
			}
		case []int32:
			b = le.AppendUint64(le.AppendUint32(le.AppendUint32(b, 9), 5), uint64(len(v)))
			for _, x := range v {
				b = le.AppendUint32(b, uint32(x))
			}
		default:
			panic(fmt.Sprintf("kv %s: %T", kv.key, v))
		}
	}
	off := uint64(0)
	var sizes []int
	for _, t := range a.tensors {
		b = str(b, t.name)
		b = le.AppendUint32(b, uint32(len(t.shape)))
		n := 1
		for i := len(t.shape) - 1; i >= 0; i-- {
			b = le.AppendUint64(b, uint64(t.shape[i]))
			n *= t.shape[i]
		}
		b = le.AppendUint32(b, 0) // F32
		b = le.AppendUint64(b, off)
		sizes = append(sizes, n)
		off += uint64((4*n + 31) / 32 * 32)
	}
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	for i, n := range sizes {
		for j := 0; j < n; j++ {
			b = le.AppendUint32(b, math.Float32bits(float32((i*7+j*13)%17-8)/40))
		}
		for len(b)%32 != 0 {
			b = append(b, 0)
		}
	}
	return b
}

// byteVocab is a byte-level BPE vocabulary without merges: the 256 byte
// tokens (GPT-2's printable stand-ins) and one special token.
func byteVocab(a *archFile, pre string) int {
	var toks []string
	var types []int32
	n := 0
	for c := 0; c < 256; c++ {
		r := rune(c)
		if c < '!' || c > '~' && c < 0xA1 || c == 0xAD {
			r = rune(256 + n) // GPT-2's stand-ins for unprintable bytes
			n++
		}
		toks = append(toks, string(r))
		types = append(types, 1)
	}
	toks = append(toks, "<|endoftext|>")
	types = append(types, 3)
	a.set("tokenizer.ggml.model", "gpt2").set("tokenizer.ggml.pre", pre)
	a.set("tokenizer.ggml.tokens", toks).set("tokenizer.ggml.token_type", types).set("tokenizer.ggml.merges", []string{})
	a.set("tokenizer.ggml.bos_token_id", uint32(256)).set("tokenizer.ggml.eos_token_id", uint32(256))
	return len(toks)
}

// tinyArch is a valid 2-layer model of the architecture: dim 16, 4 heads
// (2 KV heads for llama and qwen2), FFN 24, context 32.
func tinyArch(arch string) *archFile {
	const L, D, H, F, C = 2, 16, 4, 24, 32
	a := &archFile{}
	a.set("general.architecture", arch)
	p := arch + "."
	a.set(p+"block_count", uint32(L)).set(p+"embedding_length", uint32(D)).set(p+"feed_forward_length", uint32(F))
	a.set(p+"attention.head_count", uint32(H)).set(p+"context_length", uint32(C))
	var V int
	switch arch {
	case "llama", "qwen2":
		a.set(p+"attention.head_count_kv", uint32(2))
		pre := "llama-bpe"
		if arch == "qwen2" {
			pre = "qwen2"
		}
		V = byteVocab(a, pre)
		a.add("token_embd.weight", V, D)
		for l := 0; l < L; l++ {
			b := fmt.Sprintf("blk.%d.", l)
			a.add(b+"attn_norm.weight", D).add(b+"attn_q.weight", D, D).add(b+"attn_k.weight", 8, D).add(b+"attn_v.weight", 8, D)
			if arch == "qwen2" {
				a.add(b+"attn_q.bias", D).add(b+"attn_k.bias", 8).add(b+"attn_v.bias", 8)
			}
			a.add(b+"attn_output.weight", D, D).add(b+"ffn_norm.weight", D)
			a.add(b+"ffn_gate.weight", F, D).add(b+"ffn_up.weight", F, D).add(b+"ffn_down.weight", D, F)
		}
		a.add("output_norm.weight", D)
	case "gpt2":
		V = byteVocab(a, "gpt-2")
		a.add("token_embd.weight", V, D).add("position_embd.weight", C, D)
		for l := 0; l < L; l++ {
			b := fmt.Sprintf("blk.%d.", l)
			a.add(b+"attn_norm.weight", D).add(b+"attn_norm.bias", D).add(b+"attn_qkv.weight", 3*D, D).add(b+"attn_qkv.bias", 3*D)
			a.add(b+"attn_output.weight", D, D).add(b+"attn_output.bias", D).add(b+"ffn_norm.weight", D).add(b+"ffn_norm.bias", D)
			a.add(b+"ffn_up.weight", F, D).add(b+"ffn_up.bias", F).add(b+"ffn_down.weight", D, F).add(b+"ffn_down.bias", D)
		}
		a.add("output_norm.weight", D).add("output_norm.bias", D)
	case "bert":
		toks := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\u2581the", "\u2581cat", "s"}
		a.set("tokenizer.ggml.model", "bert").set("tokenizer.ggml.tokens", toks).set("tokenizer.ggml.token_type", []int32{3, 3, 3, 3, 3, 1, 1, 1})
		a.set("tokenizer.ggml.cls_token_id", uint32(2)).set("tokenizer.ggml.seperator_token_id", uint32(3)).set("tokenizer.ggml.unknown_token_id", uint32(1))
		V = len(toks)
		a.add("token_embd.weight", V, D).add("position_embd.weight", C, D).add("token_types.weight", 2, D)
		a.add("token_embd_norm.weight", D).add("token_embd_norm.bias", D)
		for l := 0; l < L; l++ {
			b := fmt.Sprintf("blk.%d.", l)
			for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_output"} {
				a.add(b+n+".weight", D, D).add(b+n+".bias", D)
			}
			a.add(b+"attn_output_norm.weight", D).add(b+"attn_output_norm.bias", D)
			a.add(b+"ffn_up.weight", F, D).add(b+"ffn_up.bias", F).add(b+"ffn_down.weight", D, F).add(b+"ffn_down.bias", D)
			a.add(b+"layer_output_norm.weight", D).add(b+"layer_output_norm.bias", D)
		}
	}
	return a
}

// archCase loads a bad model file with model.Load.
func archCase(input string, file func() *archFile) badCase {
	return badCase{"model file", input, func(t *testing.T, dir string) result {
		p := filepath.Join(dir, "bad.gguf")
		if err := os.WriteFile(p, file().bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		var err error
		safely(t, func() { _, err = model.Load(p, model.Device(tensor.CPU)) })
		if err == nil {
			t.Fatal("want an error, got none")
		}
		return result{clean(err.Error()), refused}
	}}
}

// archRun loads a valid tiny model and runs fn on it.
func archRun(area, input, arch string, fn func(m *model.Model) error) badCase {
	return badCase{area, input, func(t *testing.T, dir string) result {
		p := filepath.Join(dir, arch+".gguf")
		if err := os.WriteFile(p, tinyArch(arch).bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		m, err := model.Load(p, model.Device(tensor.CPU))
		if err != nil {
			t.Fatalf("the valid %s file does not load: %v", arch, err)
		}
		safely(t, func() { err = fn(m) })
		if err == nil {
			t.Fatal("want an error, got none")
		}
		return result{clean(err.Error()), refused}
	}}
}

func modelArchCases() []badCase {
	return []badCase{
		archCase("gpt2: fused attn_qkv of 2·dim rows (config says 3·dim)", func() *archFile {
			return tinyArch("gpt2").reshape("blk.1.attn_qkv.weight", 32, 16)
		}),
		archCase("gpt2: context_length 64, position_embd has 32 rows", func() *archFile {
			return tinyArch("gpt2").set("gpt2.context_length", uint32(64))
		}),
		archCase("gpt2: embedding_length 15 with 4 heads", func() *archFile {
			return tinyArch("gpt2").set("gpt2.embedding_length", uint32(15))
		}),
		archCase("llama: blk.1.ffn_gate.weight missing", func() *archFile {
			return tinyArch("llama").drop("blk.1.ffn_gate.weight")
		}),
		archCase("llama: 4 heads, 3 KV heads", func() *archFile {
			return tinyArch("llama").set("llama.attention.head_count_kv", uint32(3))
		}),
		archCase("llama: feed_forward_length 32, ffn matrices of 24", func() *archFile {
			return tinyArch("llama").set("llama.feed_forward_length", uint32(32))
		}),
		archCase("llama: rope.scaling.type yarn", func() *archFile {
			return tinyArch("llama").set("llama.rope.scaling.type", "yarn").set("llama.rope.scaling.factor", float32(4))
		}),
		archCase("llama: rope.scaling.type linear without a factor", func() *archFile {
			return tinyArch("llama").set("llama.rope.scaling.type", "linear")
		}),
		archCase("llama: rope_freqs.weight of 3 values for head size 4", func() *archFile {
			return tinyArch("llama").add("rope_freqs.weight", 3)
		}),
		archCase("qwen2: attn_q.bias missing", func() *archFile {
			return tinyArch("qwen2").drop("blk.0.attn_q.bias")
		}),
		archCase("bert: token_types.weight missing", func() *archFile {
			return tinyArch("bert").drop("token_types.weight")
		}),
		archCase("architecture \"mamba\"", func() *archFile {
			return tinyArch("llama").set("general.architecture", "mamba")
		}),
		archRun("model", "Generate with a bert model (no language-model head)", "bert", func(m *model.Model) error {
			_, err := m.Generate("the cats", 3)
			return err
		}),
		archRun("model", "bert: token type 2 (the model has 2 types)", "bert", func(m *model.Model) error {
			return m.RunTypes([]int{2, 5, 3}, []int{0, 2, 0}).Err()
		}),
		archRun("model", "gpt2: token types given", "gpt2", func(m *model.Model) error {
			return m.RunTypes([]int{1, 2}, []int{0, 0}).Err()
		}),
		archRun("model", "Ablate(0, 9) of a 4-head model", "gpt2", func(m *model.Model) error {
			return m.Ablate(0, 9).Run("hi").Err()
		}),
		archRun("model", "InductionScore of a prompt without repeats", "gpt2", func(m *model.Model) error {
			return m.Run("abc").InductionScore().Err()
		}),
		badCase{"viz", "Induction with nil tokens", func(t *testing.T, dir string) result {
			var err error
			safely(t, func() { err = viz.Induction(tensor.Ones(1, 1, 3, 3).Scale(1.0/3), nil).Err() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},
		badCase{"viz", "Induction: tokens without a repeat", func(t *testing.T, dir string) result {
			var err error
			safely(t, func() {
				err = viz.Induction(tensor.Ones(1, 1, 3, 3).Scale(1.0/3), []string{"a", "b", "c"}).Err()
			})
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},
		cliCase("model: gpt2 file whose qkv contradicts its config", map[string]func(*testing.T) []byte{
			"bad.gguf": func(*testing.T) []byte { return tinyArch("gpt2").reshape("blk.0.attn_qkv.weight", 32, 16).bytes() },
		}, "out.safetensors", "model", "-m", "bad.gguf", "-prompt", "hi", "-o", "out.safetensors"),
	}
}
