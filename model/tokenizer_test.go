package model

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokenizerEncode(t *testing.T) {
	m := testModel(t)
	tok := m.Tokenizer()
	if sp := tok.Special(); sp.BOS != 1 || sp.EOS != 2 || sp.UNK != 0 || tok.Size() != 512 || tok.Kind() != "spm" {
		t.Errorf("specials: %+v size %d kind %s", sp, tok.Size(), tok.Kind())
	}
	cases := []struct {
		text string
		want []string
	}{
		{"", []string{"<s>"}},
		{"Once upon a time", []string{"<s>", " Once", " upon", " a", " time"}},
		{"Lily", []string{"<s>", " Lily"}},
		{"  two", []string{"<s>", " ", " ", " t", "w", "o"}},
		// é is in the vocabulary; ï and 🙂 are not: UTF-8 byte fallback.
		{"é ï 🙂", []string{"<s>", " ", "é", " ", "<0xC3>", "<0xAF>", " ", "<0xF0>", "<0x9F>", "<0x99>", "<0x82>"}},
		{"a\nb", []string{"<s>", " a", "<0x0A>", "b"}},
	}
	for _, c := range cases {
		got := m.TokenStrings(m.Tokenize(c.text))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if ids := tok.Encode("Lily", false); len(ids) != 1 || tok.Token(ids[0]) != "▁Lily" {
		t.Errorf("Encode without BOS: %v", ids)
	}
}

func TestTokenizerRoundTrip(t *testing.T) {
	m := testModel(t)
	for _, s := range []string{
		"Once upon a time, there was a little girl named Lily.",
		"naïve café — “quotes” 🙂 and tabs\tand\nnewlines",
		"  leading spaces and trailing  ",
		"x",
		"\xff invalid utf-8 \xc3",
	} {
		ids := m.Tokenize(s)
		if got := m.Decode(ids); got != s {
			t.Errorf("round trip %q → %v → %q", s, ids, got)
		}
	}
	// A space is kept when the text does not follow BOS.
	tok := m.Tokenizer()
	if got := tok.Decode(tok.Encode("the cat", false)); got != " the cat" {
		t.Errorf("decode without BOS = %q", got)
	}
	if got := tok.Piece(-1) + tok.Piece(600); !strings.Contains(got, "<id -1?>") {
		t.Errorf("bad ids: %q", got)
	}
	if got := m.Decode([]int{1, 2, -5, 9999}); got != "" {
		t.Errorf("control/bad ids decode to %q", got)
	}
}

// Merging picks the best-scoring pair first, not the leftmost: "▁the"
// (score -6) must win over pieces made left to right.
func TestTokenizerMergeOrder(t *testing.T) {
	g := mustParse(t, encodeGGUF(3, []KV{
		{"tokenizer.ggml.model", TypeString, "llama"},
		{"tokenizer.ggml.tokens", TypeArray, &Array{Elem: TypeString, Len: 7, Values: []string{"<s>", "▁", "a", "b", "▁a", "ab", "<0x63>"}}},
		{"tokenizer.ggml.scores", TypeArray, &Array{Elem: TypeFloat32, Len: 7, Values: []float32{0, 0, 0, 0, -5, -1, 0}}},
		{"tokenizer.ggml.token_type", TypeArray, &Array{Elem: TypeInt32, Len: 7, Values: []int32{3, 1, 1, 1, 1, 1, 6}}},
		{"tokenizer.ggml.bos_token_id", TypeUint32, uint32(0)},
	}, nil, 0))
	tok, err := NewTokenizer(g)
	if err != nil {
		t.Fatal(err)
	}
	// "▁ab": pairs ▁a (-5) and ab (-1): ab wins, leaving ▁ + ab.
	if got := tok.Encode("ab", true); !reflect.DeepEqual(got, []int{0, 1, 5}) {
		t.Errorf("Encode(ab) = %v, want [0 1 5]", got)
	}
	// "c" is missing: byte fallback to <0x63>; "d" has no byte token and no UNK: dropped.
	if got := tok.Encode("ca", false); !reflect.DeepEqual(got, []int{1, 6, 2}) {
		t.Errorf("Encode(ca) = %v, want [1 6 2]", got)
	}
	if got := tok.Decode([]int{0, 1, 6, 5}); got != "cab" {
		t.Errorf("Decode = %q", got)
	}
}

// naiveEncode is llama.cpp's SPM algorithm written the slow way: symbols
// are the characters of "▁"+text (spaces as "▁"), the adjacent pair whose
// joined text is a token with the best score (leftmost on ties) joins,
// again and again; what is left maps to tokens or byte tokens.
func naiveEncode(t *SentencePiece, text string) []int {
	if text == "" {
		return nil
	}
	text = spaceMark + strings.ReplaceAll(text, " ", spaceMark)
	var syms []string
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		syms = append(syms, text[i:i+n])
		i += n
	}
	for {
		best, at := float32(0), -1
		for i := 0; i+1 < len(syms); i++ {
			id, ok := t.lookup[syms[i]+syms[i+1]]
			if ok && (at < 0 || t.Scores[id] > best) {
				best, at = t.Scores[id], i
			}
		}
		if at < 0 {
			break
		}
		syms[at] += syms[at+1]
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	var ids []int
	for _, s := range syms {
		if id, ok := t.lookup[s]; ok {
			ids = append(ids, id)
			continue
		}
		for _, c := range []byte(s) {
			if t.bytes[c] >= 0 {
				ids = append(ids, t.bytes[c])
			}
		}
	}
	return ids
}

func lessonSPM(t testing.TB) *SentencePiece {
	sp, ok := testModel(t).Tokenizer().(*SentencePiece)
	if !ok {
		t.Fatalf("the lesson model's tokenizer is %T", testModel(t).Tokenizer())
	}
	return sp
}

// The heap merge gives exactly the slow loop's result, and long texts stay fast.
func TestTokenizerMergeMatchesNaive(t *testing.T) {
	m := testModel(t)
	tok := lessonSPM(t)
	alphabet := []string{"a", "e", "t", "h", " ", "Lily", " the", "ou", "n", "d", ".", "é", "🙂", "s", "o", "r"}
	seed := uint32(1)
	for trial := 0; trial < 300; trial++ {
		var b strings.Builder
		seed = seed*1664525 + 1013904223
		n := int(seed>>24) % 40
		for i := 0; i < n; i++ {
			seed = seed*1664525 + 1013904223
			b.WriteString(alphabet[int(seed>>20)%len(alphabet)])
		}
		text := b.String()
		got := tok.Encode(text, false)
		if want := naiveEncode(tok, text); (len(got) > 0 || len(want) > 0) && !reflect.DeepEqual(got, want) {
			t.Fatalf("Encode(%q)\n heap  %v\n naive %v", text, got, want)
		}
	}
	long := strings.Repeat("Once upon a time, there was a little girl named Lily. ", 2000) // 110k bytes
	ids := m.Tokenize(long)
	if m.Decode(ids) != long {
		t.Errorf("long text does not round-trip")
	}
	r := m.Run(long)
	if r.Err() == nil || !strings.Contains(r.Err().Error(), "context") {
		t.Errorf("110k-byte prompt: %v", r.Err())
	}
	t.Logf("110k-byte prompt: %d tokens; Run says: %v", len(ids), r.Err())
}

// FuzzTokenizer: any text round-trips through Encode/Decode, and the heap
// merge agrees with llama2.c's quadratic loop.
func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{"", "Once upon a time", "  x ", "naïve 🙂\n", "\xff\xfe", "<s></s><0x41>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		tok := lessonSPM(t)
		ids := tok.Encode(s, true)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("round trip %q → %q", s, got)
		}
		want := append([]int{tok.Special().BOS}, naiveEncode(tok, s)...)
		if !reflect.DeepEqual(ids, want) {
			t.Fatalf("Encode(%q)\n heap  %v\n naive %v", s, ids, want)
		}
	})
}
