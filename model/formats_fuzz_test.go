package model

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/attnviz/attnviz/tensor"
)

// FuzzTokenizerJSON: any bytes as tokenizer.json give a tokenizer or an
// ErrFormat error, never a panic; a tokenizer it gives encodes and decodes
// any text.
func FuzzTokenizerJSON(f *testing.F) {
	spm, _ := spmTokenizerJSON([]string{"▁", "a", "b", "▁a", "ab"}, []string{"▁ a", "a b"})
	bl, _ := byteLevelTokenizerJSON(gpt2Pre, []string{"Ġ t", "h e"})
	smol, _ := byteLevelTokenizerJSON(map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Digits", "individual_digits": true},
		map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}}}, nil)
	llama3, _ := byteLevelTokenizerJSON(map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "pattern": map[string]string{"Regex": preLlama3}, "behavior": "Isolated"},
		map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}}}, []string{"Ġ t"})
	wp, _ := wordPieceTokenizerJSON([]string{"hello", "##s"})
	for _, s := range []string{spm, bl, smol, llama3, wp, "{}", `{"model":{"type":"BPE","vocab":{"a":0},"merges":[["a","a"]]}}`} {
		f.Add([]byte(s), "Hello, y'all 12345 héllo 🙂")
	}
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		tok, err := ParseTokenizerJSON(data, 0)
		if !parsed(t, err) {
			return
		}
		ids := tok.Encode(text, true)
		for _, id := range ids {
			if id < 0 || id >= tok.Size() {
				t.Fatalf("id %d outside the vocabulary of %d", id, tok.Size())
			}
			tok.Piece(id)
		}
		tok.Decode(ids)
	})
}

// parsed is whether a fuzzed parse succeeded; it fails the test when the
// error is not ErrFormat, the one kind bad bytes may give.
func parsed(t *testing.T, err error) bool {
	t.Helper()
	if err != nil && !errors.Is(err, tensor.ErrFormat) {
		t.Fatalf("error is not ErrFormat: %v", err)
	}
	return err == nil
}

// FuzzHFConfig: any bytes as config.json give a checked Config or an
// ErrFormat error.
func FuzzHFConfig(f *testing.F) {
	for _, m := range []*hfModel{tinyLlamaHF("llama", false), tinyLlamaHF("qwen2", true), tinyGPT2HF(""), tinyBertHF("", false)} {
		f.Add(mustJSONBytes(m.config))
	}
	f.Add([]byte(`{"model_type":"llama","hidden_size":64,"num_hidden_layers":1,"num_attention_heads":4,"intermediate_size":8,"rope_scaling":{"rope_type":"llama3","factor":8}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseHFConfig(data)
		if !parsed(t, err) {
			return
		}
		if c.Layers <= 0 || c.Dim <= 0 || c.Heads <= 0 || c.KVHeads <= 0 || c.HeadDim <= 0 || c.Context <= 0 || c.Heads%c.KVHeads != 0 {
			t.Fatalf("unchecked config %+v", c)
		}
	})
}

// FuzzBPE: the byte-level BPE round-trips any valid UTF-8 text, with every
// pre-tokenizer, and pre-tokenizer words cover the text exactly.
func FuzzBPE(f *testing.F) {
	for _, s := range []string{"", "Hello, y'all! 1234567", "  \n\n \t x", "Führer 🦙.cpp", "'S'LL'd ʼs", "\u00a0\u3000 ½²Ⅻ"} {
		f.Add(s)
	}
	merges := []string{"Ġ t", "h e", "Ġt he", "l l", "e ll", "1 2", "Ġ Ġ"}
	toks := map[string]*BPE{}
	for name := range BPEPreTokenizers {
		src, _ := byteLevelTokenizerJSON(gpt2Pre, merges)
		tok, err := ParseTokenizerJSON([]byte(src), 0)
		if err != nil {
			f.Fatal(err)
		}
		b := tok.(*BPE)
		b.Pre = name
		b.split, b.ignoreMerges, _, _ = preSplitter(name)
		toks[name] = b
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || len(s) > 4000 {
			return
		}
		for name, tok := range toks {
			cpts := cptsFromUTF8(s)
			n := 0
			for _, k := range tok.split(cpts) {
				if k <= 0 {
					t.Fatalf("%s: empty word in %q", name, s)
				}
				n += k
			}
			if n != len(cpts) {
				t.Fatalf("%s: words cover %d of %d code points of %q", name, n, len(cpts), s)
			}
			if got := tok.Decode(tok.Encode(s, false)); got != s {
				t.Fatalf("%s: round trip %q → %q", name, s, got)
			}
		}
	})
}
