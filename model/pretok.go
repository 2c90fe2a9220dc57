package model

// Pre-tokenizers: each splits a piece of text (code points [lo, hi)) into
// words, following its regular expression (BPEPreTokenizers) alternative by
// alternative, leftmost first, as a backtracking regex engine would. They
// take and return word lengths in code points, so they chain.

// splitGPT2 is GPT-2's
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(c []rune, pieces []int) []int {
	return eachPiece(c, pieces, func(out []int, s span, lo int) []int {
		hi := s.hi
		for p := lo; p < hi; {
			start := p
			r := c[p]
			// 's|'t|'re|'ve|'m|'ll|'d
			if k := s.contraction(p, false); k > 0 {
				out, p = append(out, k), p+k
				continue
			}
			q := p
			if r == ' ' {
				q++ // the optional leading space of the next three
			}
			switch {
			case s.letter(q):
				for q < hi && s.letter(q) {
					q++
				}
			case s.number(q):
				for q < hi && s.number(q) {
					q++
				}
			case s.other(q):
				for q < hi && s.other(q) {
					q++
				}
			default:
				q = p
				for s.space(q) {
					q++
				}
				switch {
				case q-p > 1 && q < hi: // \s+(?!\S): leave the last space for the next word
					q--
				case q == p: // nothing matched: one character on its own
					q = p + 1
				}
			}
			out, p = append(out, q-start), q
		}
		return out
	})
}

// splitLlama3 is Llama 3's (digits = 3) and Qwen2's (digits = 1)
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(c []rune, pieces []int, digits int) []int {
	return eachPiece(c, pieces, func(out []int, s span, lo int) []int {
		hi := s.hi
		for p := lo; p < hi; {
			r := c[p]
			// (?i:'s|'t|'re|'ve|'m|'ll|'d)
			if k := s.contraction(p, true); k > 0 {
				out, p = append(out, k), p+k
				continue
			}
			// [^\r\n\p{L}\p{N}]?\p{L}+
			if r != '\r' && r != '\n' && !isNumber(r) && (isLetter(r) || s.letter(p+1)) {
				q := p + 1
				for s.letter(q) {
					q++
				}
				out, p = append(out, q-p), q
				continue
			}
			// \p{N}{1,digits}
			if isNumber(r) {
				q := p
				for q < p+digits && s.number(q) {
					q++
				}
				out, p = append(out, q-p), q
				continue
			}
			// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
			q := p
			if r == ' ' {
				q++
			}
			if s.other(q) {
				for s.other(q) {
					q++
				}
				for s.at(q) == '\r' || s.at(q) == '\n' {
					q++
				}
				out, p = append(out, q-p), q
				continue
			}
			// \s*[\r\n]+ : the longest run of spaces that ends in \r or \n
			q, lastNL := p, -1
			for s.space(q) {
				if c[q] == '\r' || c[q] == '\n' {
					lastNL = q + 1
				}
				q++
			}
			switch {
			case lastNL > 0:
				q = lastNL
			case q-p > 1 && q < hi: // \s+(?!\S)
				q--
			case q == p:
				q = p + 1
			}
			out, p = append(out, q-p), q
		}
		return out
	})
}

// splitDigits is the regex \p{N} used as a splitter: every number
// character becomes a word of its own, the runs between them stay whole.
func splitDigits(c []rune, pieces []int) []int {
	return eachPiece(c, pieces, func(out []int, s span, lo int) []int {
		run := 0
		for p := lo; p < s.hi; p++ {
			if isNumber(c[p]) {
				if run > 0 {
					out = append(out, run)
					run = 0
				}
				out = append(out, 1)
			} else {
				run++
			}
		}
		if run > 0 {
			out = append(out, run)
		}
		return out
	})
}

// eachPiece runs split on each piece of c in turn (s.c[lo:s.hi]), which
// appends the piece's word lengths to out.
func eachPiece(c []rune, pieces []int, split func(out []int, s span, lo int) []int) []int {
	out := make([]int, 0, len(pieces))
	lo := 0
	for _, n := range pieces {
		out = split(out, span{c, lo + n}, lo)
		lo += n
	}
	return out
}

// span is the piece c[:hi] a pre-tokenizer splits: its tests are false,
// and at is -1, past hi.
type span struct {
	c  []rune
	hi int
}

func (s span) at(i int) rune {
	if i < s.hi {
		return s.c[i]
	}
	return -1
}

func (s span) letter(i int) bool { return i < s.hi && isLetter(s.c[i]) }
func (s span) number(i int) bool { return i < s.hi && isNumber(s.c[i]) }
func (s span) space(i int) bool  { return i < s.hi && isSpace(s.c[i]) }
func (s span) other(i int) bool {
	return i < s.hi && !isSpace(s.c[i]) && !isLetter(s.c[i]) && !isNumber(s.c[i])
}

// contraction is the length of the contraction 's, 't, 're, 've, 'm, 'll
// or 'd at p, 0 if there is none; fold takes the letters in either case.
func (s span) contraction(p int, fold bool) int {
	if s.c[p] != '\'' {
		return 0
	}
	r1, r2 := s.at(p+1), s.at(p+2)
	if fold {
		r1, r2 = lowerASCII(r1), lowerASCII(r2)
	}
	switch {
	case r1 == 's' || r1 == 't' || r1 == 'm' || r1 == 'd':
		return 2
	case r1 == 'r' && r2 == 'e' || r1 == 'v' && r2 == 'e' || r1 == 'l' && r2 == 'l':
		return 3
	}
	return 0
}

func lowerASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}
