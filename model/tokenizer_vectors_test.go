package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// tokenizerDir holds real vocabularies with llama.cpp's test vectors
// (../shared/tokenizers from the repo root; see its README). They are not
// part of the repository.
const tokenizerDir = "../../shared/tokenizers"

// readVectors reads NAME.inp (cases separated by a line
// "__ggml_vocab_test__") and NAME.out (one line of ids per case).
func readVectors(t *testing.T, name string) (texts []string, ids [][]int) {
	t.Helper()
	inp, err := os.ReadFile(filepath.Join(tokenizerDir, name+".inp"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join(tokenizerDir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	texts = strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if last := len(texts) - 1; texts[last] == "" || texts[last] == "\n" {
		texts = texts[:last]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%s: %d inputs but %d outputs", name, len(texts), len(lines))
	}
	for _, l := range lines {
		var row []int
		for _, f := range strings.Fields(l) {
			v, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s: bad id %q", name, f)
			}
			row = append(row, v)
		}
		ids = append(ids, row)
	}
	return texts, ids
}

// Every test vector of llama.cpp's tokenizer tests matches, for each of
// the three kinds of vocabulary.
func TestTokenizerVectors(t *testing.T) {
	if _, err := os.Stat(tokenizerDir); err != nil {
		t.Skipf("no %s (%v): the real vocabularies with llama.cpp's test vectors live outside the repository; see its README", tokenizerDir, err)
	}
	for _, c := range []struct{ file, kind string }{
		{"ggml-vocab-gpt-2.gguf", "bpe"},
		{"ggml-vocab-llama-spm.gguf", "spm"},
		{"ggml-vocab-bert-bge.gguf", "wpm"},
	} {
		t.Run(c.file, func(t *testing.T) {
			g, err := ReadGGUF(filepath.Join(tokenizerDir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := NewTokenizer(g)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Kind() != c.kind {
				t.Errorf("kind %s, want %s", tok.Kind(), c.kind)
			}
			texts, want := readVectors(t, c.file)
			ok := 0
			for i, text := range texts {
				got := tok.Encode(text, false)
				if slices.Equal(got, want[i]) {
					ok++
				} else {
					t.Errorf("%q:\n got %v\nwant %v", text, got, want[i])
				}
			}
			t.Logf("%s: %d/%d vectors match", c.file, ok, len(texts))
		})
	}
}

// The same vocabularies as Hugging Face tokenizer.json files (GPT-2 from
// the original encoder.json + vocab.bpe; BERT and Llama 2 rebuilt from the
// GGUF vocabularies the way Hugging Face's converters write them) give the
// same ids on every vector.
func TestTokenizerJSONVectors(t *testing.T) {
	if _, err := os.Stat(tokenizerDir); err != nil {
		t.Skipf("no %s (%v): the real vocabularies with llama.cpp's test vectors live outside the repository; see its README", tokenizerDir, err)
	}
	build := map[string]func(t *testing.T) []byte{
		"ggml-vocab-gpt-2.gguf": func(t *testing.T) []byte {
			enc, err := os.ReadFile(filepath.Join(tokenizerDir, "encoder.json"))
			if err != nil {
				t.Fatal(err)
			}
			bpe, err := os.ReadFile(filepath.Join(tokenizerDir, "vocab.bpe"))
			if err != nil {
				t.Fatal(err)
			}
			var merges []string
			for _, l := range strings.Split(string(bpe), "\n") {
				if l != "" && !strings.HasPrefix(l, "#version") {
					merges = append(merges, l)
				}
			}
			m, _ := json.Marshal(merges)
			return []byte(`{"added_tokens":[{"id":50256,"content":"<|endoftext|>","special":true}],` +
				`"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},` +
				`"post_processor":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":` + string(enc) + `,"merges":` + string(m) + `}}`)
		},
		"ggml-vocab-bert-bge.gguf": func(t *testing.T) []byte {
			toks, types := ggufVocab(t, "ggml-vocab-bert-bge.gguf")
			vocab := map[string]int{}
			var added []map[string]any
			for i, s := range toks {
				switch {
				case types[i] == tokControl:
					added = append(added, map[string]any{"id": i, "content": s, "special": true})
				case strings.HasPrefix(s, spaceMark):
					s = s[len(spaceMark):]
				case !(strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]")):
					s = "##" + s
				}
				vocab[s] = i
			}
			return mustJSONBytes(map[string]any{
				"added_tokens":  added,
				"normalizer":    map[string]any{"type": "BertNormalizer", "lowercase": true, "strip_accents": nil},
				"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
				"model":         map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "vocab": vocab},
			})
		},
		"ggml-vocab-llama-spm.gguf": func(t *testing.T) []byte {
			toks, types := ggufVocab(t, "ggml-vocab-llama-spm.gguf")
			g, _ := ReadGGUF(filepath.Join(tokenizerDir, "ggml-vocab-llama-spm.gguf"))
			scores, _ := g.Floats("tokenizer.ggml.scores")
			vocab := map[string]int{}
			var added []map[string]any
			for i, s := range toks {
				vocab[s] = i
				if types[i] == tokControl || types[i] == tokUnknown {
					added = append(added, map[string]any{"id": i, "content": s, "special": true})
				}
			}
			// transformers' SentencePieceExtractor: every split of a piece
			// into two pieces is a merge, ranked by the piece's score.
			type merge struct {
				l, r  string
				score float32
			}
			var ms []merge
			for i, s := range toks {
				var local []merge
				rs := []rune(s)
				for k := 1; k < len(rs); k++ {
					l, r := string(rs[:k]), string(rs[k:])
					if _, ok := vocab[l]; !ok {
						continue
					}
					if _, ok := vocab[r]; ok {
						local = append(local, merge{l, r, scores[i]})
					}
				}
				sort.SliceStable(local, func(a, b int) bool {
					if vocab[local[a].l] != vocab[local[b].l] {
						return vocab[local[a].l] < vocab[local[b].l]
					}
					return vocab[local[a].r] < vocab[local[b].r]
				})
				ms = append(ms, local...)
			}
			sort.SliceStable(ms, func(a, b int) bool { return ms[a].score > ms[b].score })
			merges := make([]string, len(ms))
			for i, m := range ms {
				merges[i] = m.l + " " + m.r
			}
			return mustJSONBytes(map[string]any{
				"added_tokens": added,
				"normalizer": map[string]any{"type": "Sequence", "normalizers": []map[string]any{
					{"type": "Prepend", "prepend": "▁"},
					{"type": "Replace", "pattern": map[string]string{"String": " "}, "content": "▁"},
				}},
				"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": merges, "byte_fallback": true, "unk_token": "<unk>"},
			})
		},
	}
	// Newer Llama tokenizer.json files say the same with a Metaspace
	// pre-tokenizer that does not split, and no normalizer.
	build["ggml-vocab-llama-spm.gguf (Metaspace)"] = func(t *testing.T) []byte {
		var j map[string]any
		json.Unmarshal(build["ggml-vocab-llama-spm.gguf"](t), &j)
		delete(j, "normalizer")
		j["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}
		return mustJSONBytes(j)
	}
	for _, name := range []string{"ggml-vocab-gpt-2.gguf", "ggml-vocab-bert-bge.gguf", "ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-spm.gguf (Metaspace)"} {
		file := strings.TrimSuffix(name, " (Metaspace)")
		t.Run(name, func(t *testing.T) {
			tok, err := ParseTokenizerJSON(build[name](t), 0)
			if err != nil {
				t.Fatal(err)
			}
			texts, want := readVectors(t, file)
			ok := 0
			for i, text := range texts {
				if got := tok.Encode(text, false); slices.Equal(got, want[i]) {
					ok++
				} else {
					t.Errorf("%q:\n got %v\nwant %v", text, got, want[i])
				}
			}
			t.Logf("tokenizer.json of %s: %d/%d vectors match", name, ok, len(texts))
		})
	}
}

func ggufVocab(t *testing.T, file string) ([]string, []int) {
	g, err := ReadGGUF(filepath.Join(tokenizerDir, file))
	if err != nil {
		t.Fatal(err)
	}
	toks, _ := g.Strings("tokenizer.ggml.tokens")
	types, _ := g.Ints("tokenizer.ggml.token_type")
	return toks, types
}

func mustJSONBytes(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
