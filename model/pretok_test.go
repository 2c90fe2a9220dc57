package model

import (
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/attnviz/attnviz/internal/testutil"
)

// The hand-written pre-tokenizers split exactly as a regex engine with
// lookahead does on llama.cpp's regular expressions: testdata/pretok_ref.json
// holds Python re's splits of 312 texts (scripts/pretok_ref.py; regenerate
// with `make model-pretok-ref`).
func TestPreTokenizersMatchRegex(t *testing.T) {
	var ref struct {
		Classes map[string]string `json:"classes"`
		Cases   []map[string]any  `json:"cases"`
	}
	testutil.ReadJSON(t, "testdata/pretok_ref.json", &ref, "make model-pretok-ref")
	// Go's Unicode tables and the script's agree on every character used.
	for s, want := range ref.Classes {
		r, _ := utf8.DecodeRuneInString(s)
		got := "O"
		switch {
		case isLetter(r):
			got = "L"
		case isNumber(r):
			got = "N"
		case isSpace(r):
			got = "S"
		}
		if got != want {
			t.Errorf("%U %q: class %s here, %s in the reference", r, s, got, want)
		}
	}
	n := 0
	for _, c := range ref.Cases {
		text := c["text"].(string)
		for name := range BPEPreTokenizers {
			var want []string
			for _, p := range c[name].([]any) {
				want = append(want, p.(string))
			}
			split, _, _, _ := preSplitter(name)
			cpts := cptsFromUTF8(text)
			var got []string
			pos := 0
			for _, k := range split(cpts) {
				got = append(got, string(cpts[pos:pos+k]))
				pos += k
			}
			if !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
				t.Errorf("%s(%q):\n got %q\nwant %q", name, text, got, want)
			}
			n++
		}
	}
	t.Logf("%d splits (%d texts × %d pre-tokenizers) match", n, len(ref.Cases), len(BPEPreTokenizers))
}
