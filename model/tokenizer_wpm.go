package model

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// WordPiece is BERT's vocabulary (tokenizer.ggml.model = "bert"). Encode
// works as llama.cpp's WPM tokenizer: BERT's basic pre-tokenization
// (lowercasing and accent stripping when the vocabulary is uncased; control
// characters dropped; every punctuation mark, ASCII symbol and CJK
// ideograph a word of its own; split at whitespace), then each word is cut
// greedily into the longest vocabulary pieces from the left; a word that
// cannot be cut becomes [UNK].
//
// Vocabularies are kept as llama.cpp's converter writes them: a piece that
// starts a word carries "▁" ("▁hello"), a continuation piece is bare
// ("llo"; Hugging Face writes "hello" and "##llo").
type WordPiece struct {
	*vocab
	// Lowercase and StripAccents are BERT's normalizer options (both on for
	// uncased vocabularies, the default).
	Lowercase, StripAccents bool
}

func newWordPieceGGUF(g *GGUF, toks []string, types []int) (*WordPiece, error) {
	v, err := newVocab(toks, types)
	if err != nil {
		return nil, err
	}
	t := &WordPiece{vocab: v, Lowercase: true, StripAccents: true}
	// llama.cpp's WPM defaults: [CLS] 101 as BOS, [UNK] 100, [SEP] 102,
	// [PAD] 0, [MASK] 103; Encode(…, true) adds [CLS] and [SEP].
	t.spec.BOS, t.spec.UNK, t.spec.SEP, t.spec.PAD, t.spec.MASK = 101, 100, 102, 0, 103
	for _, p := range []*int{&t.spec.BOS, &t.spec.UNK, &t.spec.SEP, &t.spec.PAD, &t.spec.MASK} {
		if !t.valid(*p) {
			*p = -1
		}
	}
	if id, ok := g.Int("tokenizer.ggml.cls_token_id"); ok && t.valid(id) {
		t.spec.BOS = id
	}
	t.spec.AddBOS, t.spec.AddSEP = true, true
	t.readSpecials(g)
	if kv, ok := g.Get("tokenizer.ggml.normalizer.lowercase"); ok {
		if b, ok := kv.Value.(bool); ok {
			t.Lowercase, t.StripAccents = b, b
		}
	}
	if kv, ok := g.Get("tokenizer.ggml.normalizer.strip_accents"); ok {
		if b, ok := kv.Value.(bool); ok {
			t.StripAccents = b
		}
	}
	return t, nil
}

// Kind is "wpm".
func (t *WordPiece) Kind() string { return "wpm" }

// Encode turns text into token ids; with special true they are framed as
// [CLS] … [SEP].
func (t *WordPiece) Encode(text string, special bool) []int {
	var ids []int
	if special && t.spec.AddBOS {
		ids = append(ids, t.spec.BOS)
	}
	for _, f := range t.partition(text) {
		if f.tok >= 0 {
			ids = append(ids, f.tok)
			continue
		}
		for _, w := range t.words(f.text) {
			ids = t.encodeWord(w, ids)
		}
	}
	if special && t.spec.AddSEP {
		ids = append(ids, t.spec.SEP)
	}
	if special && t.spec.AddEOS {
		ids = append(ids, t.spec.EOS)
	}
	return ids
}

// words is BERT's basic tokenizer (llama.cpp's llm_tokenizer_wpm_session
// preprocess).
func (t *WordPiece) words(text string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	for _, r := range cptsFromUTF8(text) {
		if t.StripAccents {
			r = nfdFirst(r)
		}
		if isSpace(r) {
			flush()
			continue
		}
		if r == 0 || r == utf8.RuneError || isControl(r) {
			continue
		}
		if t.StripAccents && unicode.IsMark(r) {
			continue
		}
		if t.Lowercase {
			r = unicode.ToLower(r)
		}
		if unicode.IsPunct(r) || r < 0x7F && unicode.IsSymbol(r) || isChineseChar(r) {
			flush()
			words = append(words, string(r))
			continue
		}
		cur.WriteRune(r)
	}
	flush()
	return words
}

// encodeWord cuts "▁"+word into the longest pieces from the left.
func (t *WordPiece) encodeWord(word string, out []int) []int {
	w := spaceMark + word
	n0 := len(out)
	for i := 0; i < len(w); {
		found := false
		for j := min(len(w), i+t.maxLen+1); j > i; j-- {
			if id, ok := t.lookup[w[i:j]]; ok {
				out = append(out, id)
				i, found = j, true
				break
			}
		}
		if !found {
			out = out[:n0]
			break
		}
	}
	if len(out) == n0 && t.spec.UNK >= 0 {
		out = append(out, t.spec.UNK)
	}
	return out
}

// Piece is the text of one token: "▁hello" reads " hello" (a word start),
// a continuation piece "llo" reads "##llo" as BERT users know it; special
// tokens keep their names ("[CLS]").
func (t *WordPiece) Piece(id int) string {
	if !t.valid(id) {
		return badID(id)
	}
	s := t.tokens[id]
	if t.types[id] != tokNormal && t.types[id] != 0 {
		return s
	}
	if strings.HasPrefix(s, spaceMark) {
		return " " + s[len(spaceMark):]
	}
	return "##" + s
}

// Decode joins the pieces: a word-start piece begins with a space (dropped
// at the very start), a continuation piece sticks to the one before;
// special tokens are left out.
func (t *WordPiece) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if !t.valid(id) {
			continue
		}
		switch t.types[id] {
		case tokControl, tokUnknown, tokUnused:
			continue
		}
		s := t.tokens[id]
		if strings.HasPrefix(s, spaceMark) {
			s = s[len(spaceMark):]
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

// isControl is \p{C} as llama.cpp's tables have it: control, format,
// surrogate, private-use and unassigned code points.
func isControl(r rune) bool {
	if r < 0x80 {
		return r < 0x20 || r == 0x7F
	}
	return unicode.In(r, unicode.C) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

func isChineseChar(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r >= 0x20000 && r <= 0x2A6DF ||
		r >= 0x2A700 && r <= 0x2B73F || r >= 0x2B740 && r <= 0x2B81F || r >= 0x2B920 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}

var nfdCache sync.Map // rune → rune

// nfdFirst is the first code point of r's canonical decomposition ("é" →
// "e"): llama.cpp's table keeps only that one and drops the marks.
func nfdFirst(r rune) rune {
	if r < 0xC0 {
		return r
	}
	if v, ok := nfdCache.Load(r); ok {
		return v.(rune)
	}
	d := norm.NFD.String(string(r))
	f, _ := utf8.DecodeRuneInString(d)
	nfdCache.Store(r, f)
	return f
}
