package model

// Pre-tokenizers: each splits a piece of text (code points [lo, hi)) into
// words, following its regular expression (BPEPreTokenizers) alternative by
// alternative, leftmost first, as a backtracking regex engine would. They
// take and return word lengths in code points, so they chain.

// splitGPT2 is GPT-2's
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(c []rune, pieces []int) []int {
	out := make([]int, 0, len(pieces))
	lo := 0
	for _, n := range pieces {
		hi := lo + n
		at := func(i int) rune { // -1 outside the piece
			if i < hi {
				return c[i]
			}
			return -1
		}
		letter := func(i int) bool { return i < hi && isLetter(c[i]) }
		number := func(i int) bool { return i < hi && isNumber(c[i]) }
		space := func(i int) bool { return i < hi && isSpace(c[i]) }
		other := func(i int) bool { return i < hi && !isSpace(c[i]) && !isLetter(c[i]) && !isNumber(c[i]) }
		for p := lo; p < hi; {
			start := p
			r := c[p]
			// 's|'t|'re|'ve|'m|'ll|'d
			if r == '\'' {
				r1, r2 := at(p+1), at(p+2)
				if r1 == 's' || r1 == 't' || r1 == 'm' || r1 == 'd' {
					out, p = append(out, 2), p+2
					continue
				}
				if r1 == 'r' && r2 == 'e' || r1 == 'v' && r2 == 'e' || r1 == 'l' && r2 == 'l' {
					out, p = append(out, 3), p+3
					continue
				}
			}
			q := p
			if r == ' ' {
				q++ // the optional leading space of the next three
			}
			switch {
			case letter(q):
				for q < hi && letter(q) {
					q++
				}
			case number(q):
				for q < hi && number(q) {
					q++
				}
			case other(q):
				for q < hi && other(q) {
					q++
				}
			default:
				q = p
				for space(q) {
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
		lo = hi
	}
	return out
}

// splitLlama3 is Llama 3's (digits = 3) and Qwen2's (digits = 1)
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func splitLlama3(c []rune, pieces []int, digits int) []int {
	out := make([]int, 0, len(pieces))
	lo := 0
	for _, n := range pieces {
		hi := lo + n
		at := func(i int) rune {
			if i < hi {
				return c[i]
			}
			return -1
		}
		letter := func(i int) bool { return i < hi && isLetter(c[i]) }
		number := func(i int) bool { return i < hi && isNumber(c[i]) }
		space := func(i int) bool { return i < hi && isSpace(c[i]) }
		other := func(i int) bool { return i < hi && !isSpace(c[i]) && !isLetter(c[i]) && !isNumber(c[i]) }
		lower := func(r rune) rune {
			if r >= 'A' && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}
		for p := lo; p < hi; {
			r := c[p]
			// (?i:'s|'t|'re|'ve|'m|'ll|'d)
			if r == '\'' {
				r1, r2 := lower(at(p+1)), lower(at(p+2))
				if r1 == 's' || r1 == 't' || r1 == 'm' || r1 == 'd' {
					out, p = append(out, 2), p+2
					continue
				}
				if r1 == 'r' && r2 == 'e' || r1 == 'v' && r2 == 'e' || r1 == 'l' && r2 == 'l' {
					out, p = append(out, 3), p+3
					continue
				}
			}
			// [^\r\n\p{L}\p{N}]?\p{L}+
			if r != '\r' && r != '\n' && !isNumber(r) && (isLetter(r) || letter(p+1)) {
				q := p + 1
				for letter(q) {
					q++
				}
				out, p = append(out, q-p), q
				continue
			}
			// \p{N}{1,digits}
			if isNumber(r) {
				q := p
				for q < p+digits && number(q) {
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
			if other(q) {
				for other(q) {
					q++
				}
				for at(q) == '\r' || at(q) == '\n' {
					q++
				}
				out, p = append(out, q-p), q
				continue
			}
			// \s*[\r\n]+ : the longest run of spaces that ends in \r or \n
			q, lastNL := p, -1
			for space(q) {
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
		lo = hi
	}
	return out
}

// splitDigits is the regex \p{N} used as a splitter: every number
// character becomes a word of its own, the runs between them stay whole.
func splitDigits(c []rune, pieces []int) []int {
	out := make([]int, 0, len(pieces))
	lo := 0
	for _, n := range pieces {
		hi := lo + n
		run := 0
		for p := lo; p < hi; p++ {
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
		lo = hi
	}
	return out
}
