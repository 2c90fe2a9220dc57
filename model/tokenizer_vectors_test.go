package model

import (
	"os"
	"path/filepath"
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
				if equalInts(got, want[i]) {
					ok++
				} else {
					t.Errorf("%q:\n got %v\nwant %v", text, got, want[i])
				}
			}
			t.Logf("%s: %d/%d vectors match", c.file, ok, len(texts))
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
