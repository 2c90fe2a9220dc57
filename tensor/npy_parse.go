package tensor

import (
	"fmt"
	"strconv"
	"strings"
)

// A tiny parser for the Python literal that a .npy header holds, e.g.
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// It accepts dicts, tuples, lists, strings, integers, True, False and None
// — what numpy writes — and nothing else (numpy reads the header with
// ast.literal_eval; no code is ever run).

type (
	pyTuple []any    // (a, b)
	pyList  []any    // [a, b]
	pyNone  struct{} // None
)

// pyMaxDepth bounds nesting, so "((((..." cannot exhaust the stack.
const pyMaxDepth = 16

type pyParser struct {
	s   string
	pos int
}

// parsePyDict parses a header: one dict literal, then only whitespace.
func parsePyDict(s string) (map[string]any, error) {
	p := &pyParser{s: s}
	p.space()
	if p.pos >= len(p.s) || p.s[p.pos] != '{' {
		return nil, fmt.Errorf("expected '{' at the start, got %s", p.near())
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected %s after the dict", p.near())
	}
	return v.(map[string]any), nil
}

func (p *pyParser) near() string {
	if p.pos >= len(p.s) {
		return "the end of the header"
	}
	e := p.pos + 12
	if e > len(p.s) {
		e = len(p.s)
	}
	return fmt.Sprintf("%q at byte %d", p.s[p.pos:e], p.pos)
}

func (p *pyParser) space() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > pyMaxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", pyMaxDepth)
	}
	p.space()
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("unexpected end of the header")
	}
	c := p.s[p.pos]
	switch {
	case c == '{':
		p.pos++
		m := map[string]any{}
		for {
			p.space()
			if p.pos < len(p.s) && p.s[p.pos] == '}' {
				p.pos++
				return m, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("dict key %s is not a string", pyRepr(k))
			}
			p.space()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				return nil, fmt.Errorf("expected ':' after key %q, got %s", ks, p.near())
			}
			p.pos++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, dup := m[ks]; dup {
				return nil, fmt.Errorf("key %q appears twice", ks)
			}
			m[ks] = v
			if err := p.sep('}'); err != nil {
				return nil, err
			}
		}
	case c == '(' || c == '[':
		end := byte(')')
		if c == '[' {
			end = ']'
		}
		p.pos++
		var items []any
		sawComma := false
		for {
			p.space()
			if p.pos < len(p.s) && p.s[p.pos] == end {
				p.pos++
				break
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
			p.space()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				sawComma = true
			}
			if err := p.sep(end); err != nil {
				return nil, err
			}
		}
		if c == '[' {
			return pyList(items), nil
		}
		if len(items) == 1 && !sawComma { // (x) is just x in Python
			return items[0], nil
		}
		return pyTuple(items), nil
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		txt := p.s[start:p.pos]
		if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') { // Python 2 long
			p.pos++
		}
		n, err := strconv.ParseInt(txt, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", txt)
		}
		return n, nil
	default:
		for _, w := range []struct {
			word string
			v    any
		}{{"True", true}, {"False", false}, {"None", pyNone{}}} {
			if strings.HasPrefix(p.s[p.pos:], w.word) {
				p.pos += len(w.word)
				return w.v, nil
			}
		}
		return nil, fmt.Errorf("unexpected %s", p.near())
	}
}

// sep consumes a ',' or sees the closing bracket.
func (p *pyParser) sep(end byte) error {
	p.space()
	if p.pos >= len(p.s) {
		return fmt.Errorf("unexpected end of the header; expected ',' or %q", end)
	}
	switch p.s[p.pos] {
	case ',':
		p.pos++
		return nil
	case end:
		return nil
	}
	return fmt.Errorf("expected ',' or %q, got %s", end, p.near())
}

func (p *pyParser) str() (any, error) {
	q := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.s):
			p.pos++
			switch e := p.s[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		case c == '\n':
			return nil, fmt.Errorf("string not closed before the end of the line")
		default:
			b.WriteByte(c)
		}
		p.pos++
	}
	return nil, fmt.Errorf("string not closed before the end of the header")
}

// pyRepr formats a parsed value back as Python would, for messages,
// shortened to 80 bytes.
func pyRepr(v any) string {
	s := pyReprFull(v)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func pyReprFull(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", "\\'") + "'"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case pyNone:
		return "None"
	case pyTuple:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyReprFull(e)
		}
		if len(x) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case pyList:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyReprFull(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{...}"
	}
	return fmt.Sprint(v)
}
