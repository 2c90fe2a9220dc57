package model

import (
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attnviz/attnviz/tensor"
)

// BPE is a byte-level BPE vocabulary (GPT-2, Llama 3, Qwen2, SmolLM;
// tokenizer.ggml.model = "gpt2"). Encode works as llama.cpp's BPE
// tokenizer: the pre-tokenizer splits the text into words, each word's
// UTF-8 bytes are mapped to GPT-2's printable byte characters ("Ġ" for a
// space), and within a word the adjacent pair with the lowest merge rank is
// joined until none is left.
//
// A Hugging Face tokenizer.json of the SentencePiece kind (Llama 2,
// TinyLlama: BPE with byte_fallback, "▁" for spaces) is read into a BPE too,
// without the byte mapping: there characters missing from the vocabulary
// become <0xXX> byte tokens.
type BPE struct {
	*vocab
	// Pre names the pre-tokenizer (tokenizer.ggml.pre): "gpt-2",
	// "llama-bpe", "qwen2", "smollm", or "" for the SentencePiece kind.
	Pre string

	ranks        map[mergePair]int
	split        func(cpts []rune) []int // word lengths, in code points
	byteLevel    bool                    // map bytes to GPT-2's printable characters
	ignoreMerges bool                    // a word that is a token is taken whole (llama-bpe)
	spm          bool                    // SentencePiece kind: "▁" for spaces, dummy prefix, byte fallback
	bytes        [256]int                // byte-fallback tokens (spm kind)
}

type mergePair struct{ a, b string }

// BPEPreTokenizers lists the pre-tokenizers (tokenizer.ggml.pre) a
// byte-level BPE vocabulary may name, with the regular expression each
// stands for (from llama.cpp's llama-vocab.cpp; applied in order, each to
// the pieces the previous one left). Go's regexp lacks the lookahead
// `\s+(?!\S)` needs, so each is implemented by hand in pretok.go.
var BPEPreTokenizers = map[string][]string{
	"gpt-2":     {preGPT2},
	"llama-bpe": {preLlama3},
	"qwen2":     {preQwen2},
	"smollm":    {`\p{N}`, preGPT2},
}

const (
	preGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	preLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	preQwen2  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// preAliases are other names llama.cpp gives the same pre-tokenizers.
var preAliases = map[string]string{
	"llama3": "llama-bpe", "llama-v3": "llama-bpe", "deepseek-r1-qwen": "qwen2",
}

// preSplitter returns the splitter for a pre-tokenizer name and whether
// llama.cpp sets ignore_merges and add_bos for it.
func preSplitter(name string) (split func([]rune) []int, ignoreMerges, addBOS bool, ok bool) {
	switch name {
	case "gpt-2":
		return func(c []rune) []int { return splitGPT2(c, []int{len(c)}) }, false, false, true
	case "llama-bpe":
		return func(c []rune) []int { return splitLlama3(c, []int{len(c)}, 3) }, true, true, true
	case "qwen2":
		return func(c []rune) []int { return splitLlama3(c, []int{len(c)}, 1) }, false, false, true
	case "smollm":
		return func(c []rune) []int { return splitGPT2(c, splitDigits(c, []int{len(c)})) }, false, false, true
	}
	return nil, false, false, false
}

func preNames() string {
	return `"` + strings.Join(slices.Sorted(maps.Keys(BPEPreTokenizers)), `", "`) + `"`
}

func newBPEGGUF(g *GGUF, toks []string, types []int) (*BPE, error) {
	pre, _ := g.Str("tokenizer.ggml.pre")
	if a, ok := preAliases[pre]; ok {
		pre = a
	}
	split, ignore, addBOS, ok := preSplitter(pre)
	if !ok {
		if pre == "" {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: the GGUF file names no pre-tokenizer (tokenizer.ggml.pre); supported are %s — re-convert the model with a current llama.cpp", preNames())
		}
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: unknown pre-tokenizer %q (tokenizer.ggml.pre); supported are %s", pre, preNames())
	}
	kv, ok := g.Get("tokenizer.ggml.merges")
	if !ok {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: a BPE vocabulary (tokenizer.ggml.model = \"gpt2\") needs tokenizer.ggml.merges; the file has none")
	}
	merges, ok := g.Strings("tokenizer.ggml.merges")
	if !ok {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.ggml.merges is a %s, want a string array", kv.Type)
	}
	v, err := newVocab(toks, types)
	if err != nil {
		return nil, err
	}
	t := &BPE{vocab: v, Pre: pre, split: split, byteLevel: true, ignoreMerges: ignore}
	if err := t.setMerges(merges); err != nil {
		return nil, err
	}
	t.spec.AddBOS = addBOS
	// llama.cpp's BPE default BOS/EOS is id 11; files name their own.
	t.spec.BOS, t.spec.EOS = 11, 11
	if !t.valid(11) {
		t.spec.BOS, t.spec.EOS = -1, -1
	}
	t.readSpecials(g)
	return t, nil
}

// setMerges reads merges "a b" (split at the first space after the first
// byte, as llama.cpp does); the index is the rank.
func (t *BPE) setMerges(merges []string) error {
	t.ranks = make(map[mergePair]int, len(merges))
	for i, m := range merges {
		var p mergePair
		if k := strings.IndexByte(m[min(1, len(m)):], ' '); k >= 0 {
			k += min(1, len(m))
			p = mergePair{m[:k], m[k+1:]}
		}
		if _, dup := t.ranks[p]; !dup {
			t.ranks[p] = i
		}
	}
	return nil
}

// Kind is "bpe".
func (t *BPE) Kind() string { return "bpe" }

// Encode turns text into token ids; with special true BOS (and EOS) are
// added when the vocabulary asks for them (Llama 3 does, GPT-2 does not).
func (t *BPE) Encode(text string, special bool) []int {
	return t.encode(make([]int, 0, len(text)/3+2), text, special, func(ids []int, s string, afterSpecial bool) []int {
		if !t.spm {
			return t.encodeText(s, ids)
		}
		if afterSpecial {
			s = " " + s
		}
		return t.encodeWord(strings.ReplaceAll(s, " ", spaceMark), ids)
	})
}

// encodeText pre-tokenizes text and encodes each word.
func (t *BPE) encodeText(text string, out []int) []int {
	cpts := cptsFromUTF8(text)
	var word []byte
	pos := 0
	for _, n := range t.split(cpts) {
		word = word[:0]
		for _, r := range cpts[pos : pos+n] {
			var buf [4]byte
			k := utf8.EncodeRune(buf[:], r)
			for _, b := range buf[:k] {
				word = append(word, byteChars[b]...)
			}
		}
		pos += n
		out = t.encodeWord(string(word), out)
	}
	return out
}

// encodeWord runs the merges on one word (llama.cpp's
// llm_tokenizer_bpe_session): symbols are the UTF-8 characters, the pair
// with the lowest rank (leftmost on ties) joins first.
func (t *BPE) encodeWord(word string, out []int) []int {
	if word == "" {
		return out
	}
	if t.ignoreMerges {
		if id, ok := t.lookup[word]; ok {
			return append(out, id)
		}
	}
	mergeSymbols(word, func(s string, mid int) (float32, bool) {
		rank, ok := t.ranks[mergePair{s[:mid], s[mid:]}]
		return -float32(rank), ok // the heap takes the highest score first: use −rank
	}, func(s string) {
		if id, ok := t.lookup[s]; ok {
			out = append(out, id)
			return
		}
		for j := 0; j < len(s); j++ {
			if t.spm {
				if id := t.bytes[s[j]]; id >= 0 {
					out = append(out, id)
				} else if t.spec.UNK >= 0 {
					out = append(out, t.spec.UNK)
				}
			} else if id, ok := t.lookup[s[j:j+1]]; ok {
				out = append(out, id)
			}
		}
	})
	return out
}

// missing lists, in order of first appearance, the characters of text
// that this vocabulary cannot encode: in byte-level BPE, a character one of
// whose bytes has no token of its own (every merge starts from those).
// GPT-2's vocabulary has all 256; a small one (the induction model's a-z
// 0-9) does not, and encodeWord would drop such a character silently.
func (t *BPE) missing(text string) []rune {
	if t.spm {
		return nil
	}
	var out []rune
	for _, r := range text {
		var buf [4]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			if _, ok := t.lookup[byteChars[c]]; !ok {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
				break
			}
		}
	}
	return out
}

// alphabet is the text of the vocabulary's one-character tokens, in id
// order, when it has few enough to list (a character model's); "" else.
func (t *BPE) alphabet() string {
	if len(t.tokens) > 128 {
		return ""
	}
	var b strings.Builder
	for id := range t.tokens {
		if t.types[id] != tokNormal {
			continue
		}
		if s := t.Piece(id); utf8.RuneCountInString(s) == 1 {
			b.WriteString(s)
		}
	}
	return b.String()
}

// tokenBytes is the text a token stands for, as bytes.
func (t *BPE) tokenBytes(id int, b []byte) []byte {
	s := t.tokens[id]
	switch t.types[id] {
	case tokControl, tokUnknown, tokUnused:
		return b
	case tokUserDefined:
		return append(b, s...)
	case tokByte:
		if v, ok := parseByteToken(s); ok {
			return append(b, v)
		}
		return b
	}
	if !t.byteLevel {
		return append(b, strings.ReplaceAll(s, spaceMark, " ")...)
	}
	for _, r := range s {
		if v, ok := charByte[r]; ok {
			b = append(b, v)
		} else {
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// Decode turns ids back into text (control tokens and unknown ids are
// left out; the SentencePiece kind drops the dummy-prefix space).
func (t *BPE) Decode(ids []int) string {
	var b []byte
	first := true
	for _, id := range ids {
		if !t.valid(id) {
			continue
		}
		n := len(b)
		b = t.tokenBytes(id, b)
		if t.spm && first && len(b) > n {
			if b[n] == ' ' {
				b = append(b[:n], b[n+1:]...)
			}
			first = false
		}
	}
	return string(b)
}

// Piece is the text of one token: GPT-2's byte characters decoded ("Ġthe"
// reads " the"); bytes that do not form whole UTF-8 characters (a token
// holding part of an emoji) show as <0xXX>; control tokens keep their
// names.
func (t *BPE) Piece(id int) string {
	if !t.valid(id) {
		return badID(id)
	}
	if ty := t.types[id]; ty == tokControl || ty == tokByte || ty == tokUnknown || ty == tokUnused {
		return t.tokens[id]
	}
	return readableBytes(t.tokenBytes(id, nil))
}

// readableBytes writes invalid UTF-8 bytes as <0xXX>.
func readableBytes(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			s.WriteString("<0x")
			s.WriteByte("0123456789ABCDEF"[b[0]>>4])
			s.WriteByte("0123456789ABCDEF"[b[0]&15])
			s.WriteString(">")
			n = 1
		} else {
			s.Write(b[:n])
		}
		b = b[n:]
	}
	return s.String()
}

// byteChars maps each byte to GPT-2's printable character for it (the
// printable Latin-1 bytes stand for themselves, the others are shifted to
// U+0100 and up: a space is "Ġ", a newline "Ċ"); charByte is the inverse.
var (
	byteChars [256]string
	charByte  = map[rune]byte{}
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= 0x21 && b <= 0x7E || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
			r = rune(256 + n)
			n++
		}
		byteChars[b] = string(r)
		charByte[r] = byte(b)
	}
}

// cptsFromUTF8 decodes text as llama.cpp's unicode_cpts_from_utf8 does:
// a byte that does not start a well-formed sequence becomes U+FFFD.
func cptsFromUTF8(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			n = 1
		}
		out = append(out, r)
		i += n
	}
	return out
}

// Character classes of the pre-tokenizers, as llama.cpp's unicode tables
// define them (generated with Python's regex module): \p{L}, \p{N}, and
// \s = the Unicode White_Space property.
func isLetter(r rune) bool {
	if r < 0x80 {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r)
}

func isNumber(r rune) bool {
	if r < 0x80 {
		return r >= '0' && r <= '9'
	}
	return unicode.IsNumber(r)
}

func isSpace(r rune) bool {
	if r < 0x80 {
		return r == ' ' || r >= '\t' && r <= '\r'
	}
	return unicode.Is(unicode.White_Space, r)
}
