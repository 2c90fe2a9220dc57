package model

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/attnviz/attnviz/tensor"
)

// SentencePiece token types as stored in tokenizer.ggml.token_type.
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

// Tokenizer is the SentencePiece-style BPE vocabulary of a Llama GGUF file
// (tokenizer.ggml.model = "llama"), encoding text the way llama2.c does:
// a BOS token, a dummy-prefix space, one token per UTF-8 character (or
// <0xXX> byte tokens when a character is not in the vocabulary), then
// repeated merging of the adjacent pair whose merged piece has the highest
// score.
type Tokenizer struct {
	Tokens []string  // piece of each id, with "▁" for spaces
	Scores []float32 // merge score of each id (higher merges first)
	Types  []int     // SentencePiece token type of each id (1 normal, 3 control, 6 byte, ...)
	BOS    int       // beginning-of-sequence id (-1 if none)
	EOS    int       // end-of-sequence id (-1 if none)
	UNK    int       // unknown id (-1 if none)

	lookup map[string]int // text pieces that may appear in encoded text
	bytes  [256]int       // id of <0xXX>, -1 if absent
}

// NewTokenizer builds the tokenizer from a GGUF file's metadata.
func NewTokenizer(g *GGUF) (*Tokenizer, error) {
	if m, ok := g.Str("tokenizer.ggml.model"); ok && m != "llama" {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.ggml.model is %q; only the SentencePiece-style \"llama\" tokenizer is supported (GPT-2 style BPE is not)", m)
	}
	toks, ok := g.Strings("tokenizer.ggml.tokens")
	if !ok || len(toks) == 0 {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: the GGUF file has no string array tokenizer.ggml.tokens; it carries no vocabulary")
	}
	t := &Tokenizer{Tokens: toks, BOS: -1, EOS: -1, UNK: -1}
	if sc, ok := g.Floats("tokenizer.ggml.scores"); ok {
		if len(sc) != len(toks) {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: %d scores for %d tokens; want one score per token", len(sc), len(toks))
		}
		t.Scores = sc
	} else {
		t.Scores = make([]float32, len(toks))
	}
	if ty, ok := g.Ints("tokenizer.ggml.token_type"); ok {
		if len(ty) != len(toks) {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: %d token types for %d tokens; want one type per token", len(ty), len(toks))
		}
		t.Types = ty
	} else {
		t.Types = make([]int, len(toks))
		for i, s := range toks {
			t.Types[i] = tokNormal
			if len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' {
				t.Types[i] = tokByte
			}
		}
	}
	for _, k := range []struct {
		key string
		dst *int
	}{{"tokenizer.ggml.bos_token_id", &t.BOS}, {"tokenizer.ggml.eos_token_id", &t.EOS}, {"tokenizer.ggml.unknown_token_id", &t.UNK}} {
		if v, ok := g.Int(k.key); ok && v >= 0 && v < len(toks) {
			*k.dst = v
		}
	}
	t.lookup = make(map[string]int, len(toks))
	for i := range t.bytes {
		t.bytes[i] = -1
	}
	for i, s := range toks {
		switch t.Types[i] {
		case tokByte:
			var b int
			if _, err := fmt.Sscanf(s, "<0x%02X>", &b); err == nil && b >= 0 && b < 256 && t.bytes[b] < 0 {
				t.bytes[b] = i
			}
		case tokControl, tokUnknown, tokUnused:
		default:
			if _, dup := t.lookup[s]; !dup {
				t.lookup[s] = i
			}
		}
	}
	return t, nil
}

// Size is the number of tokens in the vocabulary.
func (t *Tokenizer) Size() int { return len(t.Tokens) }

// Encode turns text into token ids, starting with BOS when bos is true
// (llama2.c's encode with add_dummy_prefix).
func (t *Tokenizer) Encode(text string, bos bool) []int {
	ids := make([]int, 0, len(text)+2)
	if bos && t.BOS >= 0 {
		ids = append(ids, t.BOS)
	}
	if text == "" {
		return ids
	}
	text = spaceMark + strings.ReplaceAll(text, " ", spaceMark)
	start := len(ids)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && n <= 1 {
			n = 1
		}
		piece := text[i : i+n]
		if id, ok := t.lookup[piece]; ok {
			ids = append(ids, id)
		} else {
			for j := 0; j < n; j++ {
				if id := t.bytes[text[i+j]]; id >= 0 {
					ids = append(ids, id)
				} else if t.UNK >= 0 {
					ids = append(ids, t.UNK)
				}
			}
		}
		i += n
	}
	n := t.merge(ids[start:])
	return ids[:start+n]
}

// merge repeatedly joins the adjacent pair whose joined piece is in the
// vocabulary with the highest score (the leftmost such pair on ties), as
// llama2.c does, until no pair joins; it works in place and returns the new
// length. A heap of candidate pairs keeps this O(n log n), so long texts
// stay fast.
func (t *Tokenizer) merge(seq []int) int {
	n := len(seq)
	if n < 2 {
		return n
	}
	prev := make([]int, n)
	next := make([]int, n)
	for i := range seq {
		prev[i], next[i] = i-1, i+1
	}
	next[n-1] = -1
	h := &pairHeap{}
	push := func(l int) {
		r := next[l]
		if l < 0 || r < 0 {
			return
		}
		if id, ok := t.lookup[t.Tokens[seq[l]]+t.Tokens[seq[r]]]; ok {
			h.push(pair{score: t.Scores[id], left: l, right: r, id: id, lid: seq[l], rid: seq[r]})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(i)
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	for h.len() > 0 {
		p := h.pop()
		// Skip pairs made stale by earlier merges.
		if !alive[p.left] || !alive[p.right] || next[p.left] != p.right || seq[p.left] != p.lid || seq[p.right] != p.rid {
			continue
		}
		seq[p.left] = p.id
		alive[p.right] = false
		next[p.left] = next[p.right]
		if next[p.right] >= 0 {
			prev[next[p.right]] = p.left
		}
		if prev[p.left] >= 0 {
			push(prev[p.left])
		}
		push(p.left)
	}
	k := 0
	for i := 0; i >= 0; i = next[i] {
		seq[k] = seq[i]
		k++
	}
	return k
}

type pair struct {
	score        float32
	left, right  int
	id, lid, rid int
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
// An id outside the vocabulary gives "<id N?>".
func (t *Tokenizer) Piece(id int) string {
	if id < 0 || id >= len(t.Tokens) {
		return fmt.Sprintf("<id %d?>", id)
	}
	if t.Types[id] == tokByte || t.Types[id] == tokControl {
		return t.Tokens[id]
	}
	return strings.ReplaceAll(t.Tokens[id], spaceMark, " ")
}

// Decode turns ids back into text the way llama2.c prints them: a space
// right after BOS is dropped, byte tokens become their bytes, and BOS/EOS
// and other control tokens are left out.
func (t *Tokenizer) Decode(ids []int) string {
	var b strings.Builder
	prev := -1
	for _, id := range ids {
		if id < 0 || id >= len(t.Tokens) {
			prev = id
			continue
		}
		switch t.Types[id] {
		case tokControl:
		case tokByte:
			var v int
			if _, err := fmt.Sscanf(t.Tokens[id], "<0x%02X>", &v); err == nil {
				b.WriteByte(byte(v))
			}
		default:
			s := strings.ReplaceAll(t.Tokens[id], spaceMark, " ")
			if prev == t.BOS && prev >= 0 && strings.HasPrefix(s, " ") {
				s = s[1:]
			}
			b.WriteString(s)
		}
		prev = id
	}
	return b.String()
}
