package model

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/attnviz/attnviz/tensor"
)

// Tokenizer turns text into token ids and back. One interface covers the
// three kinds of vocabulary model files carry:
//
//	Kind()  tokenizer.ggml.model  tokenizer.json model   type
//	"spm"   llama                 BPE + byte_fallback    *SentencePiece
//	"bpe"   gpt2                  BPE (ByteLevel)        *BPE
//	"wpm"   bert                  WordPiece              *WordPiece
//
// NewTokenizer picks the kind from a GGUF file's metadata, ReadWeights from
// a GGUF file or a Hugging Face folder's tokenizer.json. Encoding follows
// llama.cpp (llama-vocab.cpp) and is checked against its test vectors.
type Tokenizer interface {
	// Kind is "spm", "bpe" or "wpm".
	Kind() string
	// Size is the number of tokens in the vocabulary.
	Size() int
	// Encode turns text into token ids. With special true it adds what the
	// model expects around a prompt (see Special: BOS for Llama-style
	// models, [CLS] … [SEP] for BERT); with false it gives the bare ids, as
	// llama.cpp's test vectors list them. Special-token text inside the
	// prompt ("<|endoftext|>", "[SEP]") is encoded as plain text.
	Encode(text string, special bool) []int
	// Decode turns ids back into text; control tokens (BOS, [CLS], ...)
	// and ids outside the vocabulary are left out.
	Decode(ids []int) string
	// Piece is the text of one token as a reader sees it ("▁the" and
	// "Ġthe" both read " the"); control and byte tokens keep their names
	// ("<s>", "[CLS]", "<0x0A>"). An id outside the vocabulary gives "<id N?>".
	Piece(id int) string
	// Token is the vocabulary entry of id as stored, or "" outside it.
	Token(id int) string
	// Special lists the special tokens and what Encode(text, true) adds.
	Special() SpecialTokens
}

// SpecialTokens are a vocabulary's special ids (-1 when it has none) and
// the tokens Encode adds when asked for special tokens. For BERT, BOS is
// [CLS] and SEP is [SEP], as in llama.cpp.
type SpecialTokens struct {
	BOS, EOS, UNK, SEP, PAD, MASK int
	AddBOS, AddEOS, AddSEP        bool
}

// Token types as stored in tokenizer.ggml.token_type (llama.cpp's
// llama_token_type).
const (
	tokNormal      = 1
	tokUnknown     = 2
	tokControl     = 3
	tokUserDefined = 4
	tokUnused      = 5
	tokByte        = 6
)

// spaceMark is SentencePiece's visible space, "▁" (U+2581).
const spaceMark = "\u2581"

// vocab is what every kind shares: the token strings, their types, an
// index from text to id over every token (as llama.cpp's token_to_id), the
// special ids, and the user-defined tokens that are split out of the text
// before tokenizing.
type vocab struct {
	tokens  []string
	types   []int
	lookup  map[string]int
	spec    SpecialTokens
	userDef []int // user-defined token ids, longest text first
	maxLen  int   // longest token, in bytes
}

func newVocab(tokens []string, types []int) (*vocab, error) {
	if len(tokens) == 0 {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: the vocabulary is empty")
	}
	if types == nil {
		types = make([]int, len(tokens))
		for i := range types {
			types[i] = tokNormal
		}
	}
	if len(types) != len(tokens) {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: %d token types for %d tokens; want one type per token", len(types), len(tokens))
	}
	v := &vocab{tokens: tokens, types: types, lookup: make(map[string]int, len(tokens)),
		spec: SpecialTokens{BOS: -1, EOS: -1, UNK: -1, SEP: -1, PAD: -1, MASK: -1}}
	for i, s := range tokens {
		if _, dup := v.lookup[s]; !dup {
			v.lookup[s] = i
		}
		if len(s) > v.maxLen {
			v.maxLen = len(s)
		}
		if types[i] == tokUserDefined && s != "" {
			v.userDef = append(v.userDef, i)
		}
	}
	sort.SliceStable(v.userDef, func(a, b int) bool { return len(tokens[v.userDef[a]]) > len(tokens[v.userDef[b]]) })
	return v, nil
}

func (v *vocab) Size() int              { return len(v.tokens) }
func (v *vocab) Special() SpecialTokens { return v.spec }

func (v *vocab) Token(id int) string {
	if id < 0 || id >= len(v.tokens) {
		return ""
	}
	return v.tokens[id]
}

func (v *vocab) valid(id int) bool { return id >= 0 && id < len(v.tokens) }

// readSpecials sets the special ids and add_* flags from the GGUF keys
// (tokenizer.ggml.bos_token_id, ..., add_bos_token), keeping the defaults
// for keys the file lacks; ids outside the vocabulary are ignored, as
// llama.cpp does.
func (v *vocab) readSpecials(g *GGUF) {
	for _, k := range []struct {
		key string
		dst *int
	}{
		{"tokenizer.ggml.bos_token_id", &v.spec.BOS}, {"tokenizer.ggml.eos_token_id", &v.spec.EOS},
		{"tokenizer.ggml.unknown_token_id", &v.spec.UNK}, {"tokenizer.ggml.seperator_token_id", &v.spec.SEP},
		{"tokenizer.ggml.padding_token_id", &v.spec.PAD}, {"tokenizer.ggml.mask_token_id", &v.spec.MASK},
	} {
		if id, ok := g.Int(k.key); ok && v.valid(id) {
			*k.dst = id
		}
	}
	for _, k := range []struct {
		key string
		dst *bool
	}{{"tokenizer.ggml.add_bos_token", &v.spec.AddBOS}, {"tokenizer.ggml.add_eos_token", &v.spec.AddEOS}, {"tokenizer.ggml.add_sep_token", &v.spec.AddSEP}} {
		if kv, ok := g.Get(k.key); ok {
			if b, ok := kv.Value.(bool); ok {
				*k.dst = b
			}
		}
	}
	// An add flag without its token cannot be honoured.
	v.spec.AddBOS = v.spec.AddBOS && v.spec.BOS >= 0
	v.spec.AddEOS = v.spec.AddEOS && v.spec.EOS >= 0
	v.spec.AddSEP = v.spec.AddSEP && v.spec.SEP >= 0
}

// fragment is a piece of the text to tokenize (tok < 0) or a user-defined
// token found in it.
type fragment struct {
	text string
	tok  int
}

// partition splits user-defined tokens out of text, longest first, as
// llama.cpp's tokenizer_st_partition does for parse_special = false.
func (v *vocab) partition(text string) []fragment {
	frags := []fragment{{text, -1}}
	if text == "" {
		return nil
	}
	for _, id := range v.userDef {
		s := v.tokens[id]
		var out []fragment
		for _, f := range frags {
			if f.tok >= 0 || !strings.Contains(f.text, s) {
				out = append(out, f)
				continue
			}
			rest := f.text
			for {
				i := strings.Index(rest, s)
				if i < 0 {
					break
				}
				if i > 0 {
					out = append(out, fragment{rest[:i], -1})
				}
				out = append(out, fragment{"", id})
				rest = rest[i+len(s):]
			}
			if rest != "" {
				out = append(out, fragment{rest, -1})
			}
		}
		frags = out
	}
	return frags
}

// encode appends the ids of text to ids: BOS first and EOS last when
// special is true and the vocabulary asks for them, user-defined tokens as
// they are, every other fragment through enc, which is told whether a
// user-defined token (or the start of the text) came just before it.
func (v *vocab) encode(ids []int, text string, special bool, enc func(ids []int, text string, afterSpecial bool) []int) []int {
	if special && v.spec.AddBOS {
		ids = append(ids, v.spec.BOS)
	}
	afterSpecial := true
	for _, f := range v.partition(text) {
		if f.tok >= 0 {
			ids = append(ids, f.tok)
			afterSpecial = true
			continue
		}
		ids = enc(ids, f.text, afterSpecial)
		afterSpecial = false
	}
	if special && v.spec.AddEOS {
		ids = append(ids, v.spec.EOS)
	}
	return ids
}

func badID(id int) string { return fmt.Sprintf("<id %d?>", id) }

// NewTokenizer builds the tokenizer a GGUF file describes, by its
// tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (byte-level BPE,
// with the pre-tokenizer named by tokenizer.ggml.pre) or "bert"
// (WordPiece). Other models, and pre-tokenizers other than those listed in
// BPEPreTokenizers, are refused by name.
func NewTokenizer(g *GGUF) (Tokenizer, error) {
	m, ok := g.Str("tokenizer.ggml.model")
	if !ok {
		m = "llama" // llama2.c-era files (stories260K) say nothing: SentencePiece
	}
	toks, ok := g.Strings("tokenizer.ggml.tokens")
	if !ok || len(toks) == 0 {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: the GGUF file has no string array tokenizer.ggml.tokens; it carries no vocabulary")
	}
	var types []int
	if kv, ok := g.Get("tokenizer.ggml.token_type"); ok {
		ty, ok := g.Ints("tokenizer.ggml.token_type")
		if !ok {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.ggml.token_type is a %s, want an integer array", kv.Type)
		}
		types = ty
	}
	switch m {
	case "llama":
		return newSentencePieceGGUF(g, toks, types)
	case "gpt2":
		return newBPEGGUF(g, toks, types)
	case "bert":
		return newWordPieceGGUF(g, toks, types)
	}
	return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.ggml.model is %q; supported are \"llama\" (SentencePiece), \"gpt2\" (byte-level BPE) and \"bert\" (WordPiece)", m)
}

// ---- SentencePiece -----------------------------------------------------------

// SentencePiece is the vocabulary of Llama-family GGUF files
// (tokenizer.ggml.model = "llama"): pieces with scores, "▁" for spaces,
// <0xXX> byte tokens. Encode works as llama.cpp's SPM tokenizer: a
// dummy-prefix space, one symbol per UTF-8 character, then repeated
// merging of the adjacent pair whose joined text is a token with the
// highest score (leftmost on ties); a symbol left that is not a token
// becomes byte tokens.
type SentencePiece struct {
	*vocab
	Scores []float32 // merge score of each id (higher merges first)

	addSpacePrefix bool
	bytes          [256]int // id of <0xXX> (or the one-byte token), -1 if absent
}

func newSentencePieceGGUF(g *GGUF, toks []string, types []int) (*SentencePiece, error) {
	var scores []float32
	if kv, ok := g.Get("tokenizer.ggml.scores"); ok {
		sc, ok := g.Floats("tokenizer.ggml.scores")
		if !ok {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.ggml.scores is a %s, want a float array", kv.Type)
		}
		if len(sc) != len(toks) {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: %d scores for %d tokens; want one score per token", len(sc), len(toks))
		}
		scores = sc
	}
	if types == nil {
		types = make([]int, len(toks))
		for i, s := range toks {
			types[i] = tokNormal
			if len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' {
				types[i] = tokByte
			}
		}
	}
	t, err := newSentencePiece(toks, types, scores)
	if err != nil {
		return nil, err
	}
	// llama.cpp's SPM defaults: BOS 1, EOS 2, UNK 0, add BOS, dummy prefix.
	t.spec.BOS, t.spec.EOS, t.spec.UNK, t.spec.AddBOS = 1, 2, 0, true
	for _, p := range []*int{&t.spec.BOS, &t.spec.EOS, &t.spec.UNK} {
		if !t.valid(*p) {
			*p = -1
		}
	}
	t.readSpecials(g)
	if kv, ok := g.Get("tokenizer.ggml.add_space_prefix"); ok {
		if b, ok := kv.Value.(bool); ok {
			t.addSpacePrefix = b
		}
	}
	return t, nil
}

func newSentencePiece(toks []string, types []int, scores []float32) (*SentencePiece, error) {
	v, err := newVocab(toks, types)
	if err != nil {
		return nil, err
	}
	if scores == nil {
		scores = make([]float32, len(toks))
	}
	t := &SentencePiece{vocab: v, Scores: scores, addSpacePrefix: true}
	for i := range t.bytes {
		t.bytes[i] = -1
	}
	for i, s := range toks {
		if v.types[i] == tokByte {
			if b, ok := parseByteToken(s); ok && t.bytes[b] < 0 {
				t.bytes[b] = i
			}
		}
	}
	for b := range t.bytes {
		if t.bytes[b] < 0 {
			if id, ok := v.lookup[string([]byte{byte(b)})]; ok {
				t.bytes[b] = id
			}
		}
	}
	return t, nil
}

// parseByteToken reads "<0xXX>".
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	var b byte
	for _, c := range s[3:5] {
		b <<= 4
		switch {
		case c >= '0' && c <= '9':
			b |= byte(c - '0')
		case c >= 'A' && c <= 'F':
			b |= byte(c - 'A' + 10)
		case c >= 'a' && c <= 'f':
			b |= byte(c - 'a' + 10)
		default:
			return 0, false
		}
	}
	return b, true
}

// Kind is "spm".
func (t *SentencePiece) Kind() string { return "spm" }

// Tokens returns the vocabulary (the slice itself: do not modify it).
func (t *SentencePiece) Tokens() []string { return t.tokens }

// Encode turns text into token ids, starting with BOS when special is true
// (and the vocabulary asks for it).
func (t *SentencePiece) Encode(text string, special bool) []int {
	return t.encode(make([]int, 0, len(text)+2), text, special, func(ids []int, s string, afterSpecial bool) []int {
		if t.addSpacePrefix && afterSpecial {
			s = " " + s
		}
		return t.encodeFragment(strings.ReplaceAll(s, " ", spaceMark), ids)
	})
}

// encodeFragment is llama.cpp's llm_tokenizer_spm_session: symbols are the
// UTF-8 characters (an invalid byte is a symbol of its own), bigrams whose
// text is a token merge best score first, leftmost on ties.
func (t *SentencePiece) encodeFragment(text string, out []int) []int {
	if text == "" {
		return out
	}
	mergeSymbols(text, func(s string, _ int) (float32, bool) {
		id, ok := t.lookup[s]
		if !ok {
			return 0, false
		}
		return t.Scores[id], true
	}, func(s string) {
		if id, ok := t.lookup[s]; ok {
			out = append(out, id)
			return
		}
		for j := 0; j < len(s); j++ {
			if id := t.bytes[s[j]]; id >= 0 {
				out = append(out, id)
			} else if t.spec.UNK >= 0 {
				out = append(out, t.spec.UNK)
			}
		}
	})
	return out
}

// mergeSymbols is the merge loop of llama.cpp's tokenizer sessions
// (llm_tokenizer_spm_session, llm_tokenizer_bpe_session): the symbols
// start as text's UTF-8 characters (an invalid byte is a symbol of its
// own) and the pair of neighbours with the highest score joins first,
// leftmost on ties, until no pair may join. score gets the text of the two
// symbols joined and where the second begins in it (ok false: they never
// join); each gets the final symbols, left to right. text is not empty.
func mergeSymbols(text string, score func(s string, mid int) (float32, bool), each func(sym string)) {
	// symbol i covers text[start[i] : start[i]+size[i]]
	var start, size []int
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		start, size = append(start, i), append(size, n)
		i += n
	}
	n := len(start)
	prev, next := make([]int, n), make([]int, n)
	for i := range prev {
		prev[i], next[i] = i-1, i+1
	}
	next[n-1] = -1
	h := &pairHeap{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		s := text[start[l] : start[r]+size[r]]
		if sc, ok := score(s, size[l]); ok {
			h.push(pair{score: sc, left: l, right: r, size: len(s)})
		}
	}
	for i := 1; i < n; i++ {
		try(i-1, i)
	}
	for h.len() > 0 {
		p := h.pop()
		if size[p.left] == 0 || size[p.right] == 0 || size[p.left]+size[p.right] != p.size {
			continue // stale
		}
		size[p.left] += size[p.right]
		size[p.right] = 0
		next[p.left] = next[p.right]
		if next[p.right] >= 0 {
			prev[next[p.right]] = p.left
		}
		try(prev[p.left], p.left)
		try(p.left, next[p.left])
	}
	for i := 0; i >= 0; i = next[i] {
		each(text[start[i] : start[i]+size[i]])
	}
}

type pair struct {
	score       float32
	left, right int
	size        int
}

// pairHeap is a max-heap on score, then on leftmost position.
type pairHeap struct{ a []pair }

func (h *pairHeap) len() int { return len(h.a) }

func (h *pairHeap) less(i, j int) bool {
	if h.a[i].score != h.a[j].score {
		return h.a[i].score > h.a[j].score
	}
	return h.a[i].left < h.a[j].left
}

func (h *pairHeap) push(p pair) {
	h.a = append(h.a, p)
	for i := len(h.a) - 1; i > 0; {
		up := (i - 1) / 2
		if !h.less(i, up) {
			break
		}
		h.a[i], h.a[up] = h.a[up], h.a[i]
		i = up
	}
}

func (h *pairHeap) pop() pair {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(l, m) {
			m = l
		}
		if r < last && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}

// Piece returns the text of one token as a reader would see it: "▁" becomes
// a space; byte tokens and control tokens keep their names ("<0x0A>", "<s>").
func (t *SentencePiece) Piece(id int) string {
	if !t.valid(id) {
		return badID(id)
	}
	if t.types[id] == tokByte || t.types[id] == tokControl {
		return t.tokens[id]
	}
	return strings.ReplaceAll(t.tokens[id], spaceMark, " ")
}

// Decode turns ids back into text the way llama2.c prints them: a space
// right after BOS is dropped (the dummy prefix), byte tokens become their
// bytes, and control tokens are left out.
func (t *SentencePiece) Decode(ids []int) string {
	var b strings.Builder
	prev := -1
	for _, id := range ids {
		if !t.valid(id) {
			prev = id
			continue
		}
		switch t.types[id] {
		case tokControl, tokUnknown, tokUnused:
		case tokByte:
			if v, ok := parseByteToken(t.tokens[id]); ok {
				b.WriteByte(v)
			}
		default:
			s := strings.ReplaceAll(t.tokens[id], spaceMark, " ")
			if prev >= 0 && prev == t.spec.BOS {
				s = strings.TrimPrefix(s, " ")
			}
			b.WriteString(s)
		}
		prev = id
	}
	return b.String()
}
