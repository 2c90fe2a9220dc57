package hardening

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/attnviz/attnviz/model"
	"github.com/attnviz/attnviz/tensor"
)

// Rows for the model file formats of issue #15: quantized GGUF tensors,
// tokenizers read from metadata, Hugging Face folders.

// kvEntry is a metadata entry of ggufKV.
type kvEntry struct {
	key  string
	str  string   // a string value, or
	strs []string // a string array
}

type ggufBlob struct {
	name string
	dims []uint64
	typ  uint32
	data []byte
}

// ggufKV builds a GGUF v3 file with string / string-array metadata and the
// given tensors (each followed by its data bytes).
func ggufKV(kvs []kvEntry, tensors []ggufBlob) []byte {
	b := []byte("GGUF")
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(tensors)))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(kvs)))
	str := func(s string) {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, kv := range kvs {
		str(kv.key)
		if kv.strs == nil {
			b = binary.LittleEndian.AppendUint32(b, 8) // string
			str(kv.str)
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, 9) // array
		b = binary.LittleEndian.AppendUint32(b, 8) // of strings
		b = binary.LittleEndian.AppendUint64(b, uint64(len(kv.strs)))
		for _, s := range kv.strs {
			str(s)
		}
	}
	off := uint64(0)
	for _, ti := range tensors {
		str(ti.name)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(ti.dims)))
		for _, d := range ti.dims {
			b = binary.LittleEndian.AppendUint64(b, d)
		}
		b = binary.LittleEndian.AppendUint32(b, ti.typ)
		b = binary.LittleEndian.AppendUint64(b, off)
		off += (uint64(len(ti.data)) + 31) / 32 * 32
	}
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	for _, ti := range tensors {
		b = append(b, ti.data...)
		for len(b)%32 != 0 {
			b = append(b, 0)
		}
	}
	return b
}

// tokenizerCase parses a GGUF of tokenizer metadata and builds its tokenizer.
func tokenizerCase(input string, kvs []kvEntry) badCase {
	return badCase{"model file", input, func(t *testing.T, dir string) result {
		p := filepath.Join(dir, "tok.gguf")
		if err := os.WriteFile(p, ggufKV(kvs, nil), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		var err error
		safely(t, func() {
			var g *model.GGUF
			g, err = model.ReadGGUF(p)
			if err == nil {
				_, err = model.NewTokenizer(g)
			}
		})
		if err == nil {
			t.Fatal("want an error, got none")
		}
		if !errors.Is(err, tensor.ErrFormat) {
			t.Errorf("error does not wrap tensor.ErrFormat: %v", err)
		}
		return result{clean(err.Error()), refused}
	}}
}

// hfFolder writes a tiny, valid GPT-2 Hugging Face folder into dir, after
// edit has had its way with the config, the tensors and tokenizer.json.
func hfFolder(t *testing.T, dir string, edit func(cfg map[string]any, ts map[string]*tensor.Tensor, tok *string)) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const V, D, C = 257, 8, 16
	cfg := map[string]any{"model_type": "gpt2", "n_embd": D, "n_layer": 1, "n_head": 2, "n_positions": C, "vocab_size": V}
	ts := map[string]*tensor.Tensor{}
	seed := int64(1)
	add := func(name string, shape ...int) {
		seed++
		ts[name] = tensor.RandN(seed, shape...)
	}
	add("wte.weight", V, D)
	add("wpe.weight", C, D)
	add("ln_f.weight", D)
	add("ln_f.bias", D)
	for _, n := range []string{"ln_1", "ln_2"} {
		add("h.0."+n+".weight", D)
		add("h.0."+n+".bias", D)
	}
	add("h.0.attn.c_attn.weight", D, 3*D)
	add("h.0.attn.c_attn.bias", 3*D)
	add("h.0.attn.c_proj.weight", D, D)
	add("h.0.attn.c_proj.bias", D)
	add("h.0.mlp.c_fc.weight", D, 4*D)
	add("h.0.mlp.c_fc.bias", 4*D)
	add("h.0.mlp.c_proj.weight", 4*D, D)
	add("h.0.mlp.c_proj.bias", D)
	vocab := map[string]int{}
	n := 0
	for b := 0; b < 256; b++ { // GPT-2's printable byte characters
		r := rune(b)
		if !(b >= 0x21 && b <= 0x7E || b >= 0xA1 && b <= 0xAC || b >= 0xAE) {
			r = rune(256 + n)
			n++
		}
		vocab[string(r)] = b
	}
	tj, _ := json.Marshal(map[string]any{
		"added_tokens":  []map[string]any{{"id": 256, "content": "<|endoftext|>", "special": true}},
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": []string{}},
	})
	tok := string(tj)
	if edit != nil {
		edit(cfg, ts, &tok)
	}
	c, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), c, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(ts) > 0 {
		if err := tensor.SaveSafetensors(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
			t.Fatal(err)
		}
	}
	if tok != "" {
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(tok), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// folderCase reads a Hugging Face folder built by hfFolder + edit.
func folderCase(input string, edit func(cfg map[string]any, ts map[string]*tensor.Tensor, tok *string)) badCase {
	return badCase{"model folder", input, func(t *testing.T, dir string) result {
		d := filepath.Join(dir, "hf")
		os.RemoveAll(d)
		defer os.RemoveAll(d)
		hfFolder(t, d, edit)
		var err error
		safely(t, func() { _, err = model.ReadWeights(d) })
		if err == nil {
			t.Fatal("want an error, got none")
		}
		if !errors.Is(err, tensor.ErrFormat) && !errors.Is(err, tensor.ErrNotFound) {
			t.Errorf("error does not wrap a tensor sentinel: %v", err)
		}
		return result{clean(err.Error()), refused}
	}}
}

func modelFileCases() []badCase {
	bytesOf := func(b []byte) func(*testing.T) []byte { return func(*testing.T) []byte { return b } }
	gpt2Vocab := []kvEntry{{key: "tokenizer.ggml.model", str: "gpt2"}, {key: "tokenizer.ggml.tokens", strs: []string{"a", "b", "ab"}}}
	return []badCase{
		// quantized tensors
		fileCase("Q8_0 tensor cut short (64 elements, 40 of 68 bytes)", "a.gguf", bytesOf(ggufKV(nil, []ggufBlob{{"a", []uint64{64}, 8, make([]byte, 40)}}))),
		fileCase("Q4_K row of 100 elements (a block holds 256)", "a.gguf", bytesOf(ggufKV(nil, []ggufBlob{{"a", []uint64{100}, 12, make([]byte, 144)}}))),
		fileCase("IQ2_XXS tensor (a type attnviz does not decode)", "a.gguf", bytesOf(ggufKV(nil, []ggufBlob{{"a", []uint64{256}, 16, make([]byte, 66)}}))),
		// tokenizers from GGUF metadata
		tokenizerCase("byte-level BPE with an unknown pre-tokenizer (\"falcon\")", append(gpt2Vocab, kvEntry{key: "tokenizer.ggml.pre", str: "falcon"}, kvEntry{key: "tokenizer.ggml.merges", strs: []string{"a b"}})),
		tokenizerCase("byte-level BPE naming no pre-tokenizer", append(gpt2Vocab, kvEntry{key: "tokenizer.ggml.merges", strs: []string{"a b"}})),
		tokenizerCase("byte-level BPE without merges", append(gpt2Vocab, kvEntry{key: "tokenizer.ggml.pre", str: "gpt-2"})),
		tokenizerCase("tokenizer model \"t5\" (Unigram)", []kvEntry{{key: "tokenizer.ggml.model", str: "t5"}, {key: "tokenizer.ggml.tokens", strs: []string{"a"}}}),
		// Hugging Face folders
		folderCase("folder without tokenizer.json", func(_ map[string]any, _ map[string]*tensor.Tensor, tok *string) { *tok = "" }),
		folderCase("folder without model.safetensors", func(_ map[string]any, ts map[string]*tensor.Tensor, _ *string) {
			for k := range ts {
				delete(ts, k)
			}
		}),
		folderCase("config.json vocab_size 50257, embedding of 257 rows", func(cfg map[string]any, _ map[string]*tensor.Tensor, _ *string) { cfg["vocab_size"] = 50257 }),
		folderCase("config.json n_embd 16, weights 8 wide", func(cfg map[string]any, _ map[string]*tensor.Tensor, _ *string) { cfg["n_embd"] = 16 }),
		folderCase("config.json n_layer 2, weights of 1 layer", func(cfg map[string]any, _ map[string]*tensor.Tensor, _ *string) { cfg["n_layer"] = 2 }),
		folderCase("config.json of another architecture (mamba)", func(cfg map[string]any, _ map[string]*tensor.Tensor, _ *string) { cfg["model_type"] = "mamba" }),
		folderCase("config.json that is not JSON", func(cfg map[string]any, _ map[string]*tensor.Tensor, _ *string) {
			cfg["model_type"] = func() {} // json.Marshal fails: an empty config.json
		}),
		folderCase("tokenizer.json with a word-splitting Metaspace pre-tokenizer", func(_ map[string]any, _ map[string]*tensor.Tensor, tok *string) {
			*tok = withPre(*tok, map[string]any{"type": "Metaspace", "replacement": "▁", "split": true})
		}),
		folderCase("tokenizer.json with a Whitespace pre-tokenizer", func(_ map[string]any, _ map[string]*tensor.Tensor, tok *string) {
			*tok = withPre(*tok, map[string]any{"type": "Whitespace"})
		}),
		folderCase("tokenizer.json splitting with an unknown regex", func(_ map[string]any, _ map[string]*tensor.Tensor, tok *string) {
			*tok = withPre(*tok, map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]string{"Regex": `\w+|[^\w\s]+`}, "behavior": "Isolated"},
				map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false},
			}})
		}),
		folderCase("tokenizer.json that is cut short", func(_ map[string]any, _ map[string]*tensor.Tensor, tok *string) { *tok = (*tok)[:len(*tok)/2] }),
		badCase{"CLI", "model: Hugging Face folder without tokenizer.json", func(t *testing.T, dir string) result {
			d := filepath.Join(dir, "hfcli")
			defer os.RemoveAll(d)
			hfFolder(t, d, func(_ map[string]any, _ map[string]*tensor.Tensor, tok *string) { *tok = "" })
			return cliCase("", nil, "out.png", "model", "-m", "PATH/hfcli", "-prompt", "hi", "-o", "out.png").run(t, dir)
		}},
	}
}

// withPre replaces the pre_tokenizer of a tokenizer.json.
func withPre(tok string, pre any) string {
	var j map[string]any
	json.Unmarshal([]byte(tok), &j)
	j["pre_tokenizer"] = pre
	b, _ := json.Marshal(j)
	return string(b)
}
