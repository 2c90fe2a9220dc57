package viz

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// read returns a tensor's values (row-major) and shape, or a friendly error.
func read(view, what string, t *tensor.Tensor) ([]float32, []int, error) {
	if t == nil {
		return nil, nil, tensor.Errorf(tensor.ErrValue, "viz.%s: %s is nil; pass a *tensor.Tensor", view, what)
	}
	if err := t.Err(); err != nil {
		return nil, nil, fmt.Errorf("viz.%s: %s carries an error: %w", view, what, err)
	}
	d, err := t.DataErr()
	if err != nil {
		return nil, nil, fmt.Errorf("viz.%s: cannot read %s: %w", view, what, err)
	}
	shape := t.Shape()
	for _, s := range shape {
		if s == 0 {
			return nil, nil, tensor.Errorf(tensor.ErrShape, "viz.%s: %s is empty (shape %v); there is nothing to draw", view, what, shape)
		}
	}
	return d, shape, nil
}

// shapeErr says what shape was wanted and what was given.
func shapeErr(view, want string, got []int, hint string) error {
	msg := fmt.Sprintf("viz.%s: want %s, got shape %v", view, want, got)
	if hint != "" {
		msg += "; " + hint
	}
	return tensor.Errorf(tensor.ErrShape, "%s", msg)
}

// checkValues refuses NaN and +Inf (−Inf is allowed when allowNegInf: it
// marks a masked score). It returns the position of the first bad value.
func checkValues(view, what string, d []float32, shape []int, allowNegInf bool) error {
	const maxF = math.MaxFloat32
	for i, v := range d {
		if v >= -maxF && v <= maxF { // finite (NaN fails both)
			continue
		}
		if allowNegInf && v < 0 {
			continue
		}
		return tensor.Errorf(tensor.ErrValue, "viz.%s: %s holds %v at %v; every value must be a finite number (look for a division by zero or an overflow before this step)", view, what, v, unravel(i, shape))
	}
	return nil
}

// checkProbs refuses negative weights where probabilities are expected and
// warns about rows that do not sum to 1.
func checkProbs(f *Figure, view, what string, d []float32, shape []int) error {
	for i, v := range d {
		if v < 0 {
			return tensor.Errorf(tensor.ErrValue, "viz.%s: %s should be attention weights (probabilities ≥ 0), but holds %v at %v; pass the softmax output, or use viz.Heatmap to draw raw scores", view, what, v, unravel(i, shape))
		}
	}
	rowSumWarning(f, d, shape[len(shape)-1])
	return nil
}

func rowSumWarning(f *Figure, d []float32, n int) {
	if n <= 0 {
		return
	}
	_, sums := scanRows(d, n, true)
	warnSums(f, sums)
}

func warnSums(f *Figure, sums []float64) {
	bad, first := 0, ""
	for r, s := range sums {
		if s != 0 && math.Abs(s-1) > 1e-3 {
			if bad == 0 {
				first = fmt.Sprintf("row %d sums to %.4g", r, s)
			}
			bad++
		}
	}
	if bad > 0 {
		more := ""
		if bad > 1 {
			more = fmt.Sprintf(" (and %d more rows)", bad-1)
		}
		f.warn("%s%s, not 1: are these softmax weights?", first, more)
	}
}

func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

// tokenCountErr checks the Tokens and KeyTokens counts against the matrix.
func tokenCountErr(view string, cfg *config, rows, cols int) error {
	var probs []string
	if cfg.qSet && len(cfg.qTok) != rows {
		probs = append(probs, fmt.Sprintf("%d query tokens for %d rows", len(cfg.qTok), rows))
	}
	if cfg.kSet && len(cfg.kTok) != cols {
		probs = append(probs, fmt.Sprintf("%d key tokens for %d columns", len(cfg.kTok), cols))
	}
	if len(probs) == 0 {
		return nil
	}
	hint := ""
	if !cfg.keyTokSet && rows != cols {
		hint = " (keys that are other tokens than the queries: add viz.KeyTokens)"
	}
	return tensor.Errorf(tensor.ErrShape, "viz.%s: token count does not match the matrix: %s; pass one token per row and per column%s", view, strings.Join(probs, " and "), hint)
}

// readMask reads the Mask option as a [rows, cols] boolean "blocked" slice.
func readMask(view string, cfg *config, rows, cols int) ([]bool, error) {
	if cfg.mask == nil {
		return nil, nil
	}
	d, shape, err := read(view, "the mask", cfg.mask)
	if err != nil {
		return nil, err
	}
	// accept [cols] / [1, cols] (padding) and [rows, cols], with leading 1s
	for len(shape) > 2 && shape[0] == 1 {
		shape = shape[1:]
	}
	switch {
	case len(shape) == 2 && shape[0] == rows && shape[1] == cols:
	case len(shape) == 2 && shape[0] == 1 && shape[1] == cols, len(shape) == 1 && shape[0] == cols:
		full := make([]float32, rows*cols)
		for r := 0; r < rows; r++ {
			copy(full[r*cols:], d[:cols])
		}
		d = full
	default:
		return nil, shapeErr(view, fmt.Sprintf("a mask of shape [%d %d] (1 = may attend, 0 = blocked)", rows, cols), shape, "build one with tensor.CausalMask(n) or tensor.PaddingMask")
	}
	out := make([]bool, rows*cols)
	for i, v := range d {
		out[i] = v == 0
	}
	return out, nil
}

func isShape(err error) bool { return errors.Is(err, tensor.ErrShape) }

// minMax returns the range of the finite values not skipped.
func minMax(d []float32, skip []bool) (lo, hi float64, ok bool) {
	const maxF = math.MaxFloat32
	l, h := float32(maxF), float32(-maxF)
	seen := false
	for i, v := range d {
		if !(v >= -maxF && v <= maxF) || (skip != nil && skip[i]) {
			continue
		}
		seen = true
		if v < l {
			l = v
		}
		if v > h {
			h = v
		}
	}
	return float64(l), float64(h), seen
}

// valueScan is what one pass over the values finds.
type valueScan struct {
	lo, hi float64 // range of the finite values
	seen   bool    // some value is finite
	negInf bool    // some value is −Inf
	bad    int     // index of the first NaN or +Inf, or −1
}

func scanValues(d []float32) valueScan {
	s, _ := scanRows(d, len(d), false)
	return s
}

// scanRows makes one pass over rows of n values: the value range, −Inf and
// NaN/+Inf positions and, when sums is true, each row's sum of its finite
// values (for the rows-sum-to-1 warning).
func scanRows(d []float32, n int, sums bool) (valueScan, []float64) {
	rows := 0
	if n > 0 {
		rows = len(d) / n
	}
	if len(d) < 1<<18 || rows < 2 || runtime.GOMAXPROCS(0) < 2 {
		return scanRowsSerial(d, n, sums)
	}
	// two halves at once: large matrices are memory-bound
	half := rows / 2 * n
	var s2 valueScan
	var r2 []float64
	done := make(chan struct{})
	go func() {
		s2, r2 = scanRowsSerial(d[half:], n, sums)
		close(done)
	}()
	s1, r1 := scanRowsSerial(d[:half], n, sums)
	<-done
	if s2.bad >= 0 && s1.bad < 0 {
		s1.bad = half + s2.bad
	}
	s1.negInf = s1.negInf || s2.negInf
	if s2.seen {
		if !s1.seen {
			s1.lo, s1.hi = s2.lo, s2.hi
		}
		s1.lo, s1.hi, s1.seen = math.Min(s1.lo, s2.lo), math.Max(s1.hi, s2.hi), true
	}
	return s1, append(r1, r2...)
}

func scanRowsSerial(d []float32, n int, sums bool) (valueScan, []float64) {
	const maxF = math.MaxFloat32
	s := valueScan{bad: -1}
	if n <= 0 {
		return s, nil
	}
	var rs []float64
	if sums {
		rs = make([]float64, len(d)/n)
	}
	l, h := float32(maxF), float32(-maxF)
	for r := 0; r*n < len(d); r++ {
		row := d[r*n : (r+1)*n]
		var a0, a1 float64
		finite := true
		j := 0
		for ; j+1 < len(row); j += 2 {
			v0, v1 := row[j], row[j+1]
			if !(v0 >= -maxF && v0 <= maxF && v1 >= -maxF && v1 <= maxF) {
				finite = false
				break
			}
			a0 += float64(v0)
			a1 += float64(v1)
			if v0 < l {
				l = v0
			}
			if v1 < l {
				l = v1
			}
			if v0 > h {
				h = v0
			}
			if v1 > h {
				h = v1
			}
		}
		for ; j < len(row); j++ {
			v := row[j]
			if v >= -maxF && v <= maxF {
				a0 += float64(v)
				if v < l {
					l = v
				}
				if v > h {
					h = v
				}
				continue
			}
			finite = false
			if v < 0 {
				s.negInf = true
				continue
			}
			if s.bad < 0 {
				s.bad = r*n + j
			}
		}
		_ = finite
		if sums {
			rs[r] = a0 + a1
		}
	}
	s.lo, s.hi, s.seen = float64(l), float64(h), l <= h
	return s, rs
}

// scanPool2 is scanRows fused with the 2×2 block maximum used to draw a
// matrix at half size: one pass over the values instead of two. rows and
// cols must be even.
func scanPool2(d []float32, rows, cols int) (valueScan, []float64, []float32) {
	sums := make([]float64, rows)
	best := make([]float32, rows/2*(cols/2))
	half := rows / 4 * 2
	if rows*cols < 1<<18 || runtime.GOMAXPROCS(0) < 2 || half == 0 {
		s := scanPool2Serial(d, 0, rows, cols, sums, best)
		return s, sums, best
	}
	var s2 valueScan
	done := make(chan struct{})
	go func() {
		s2 = scanPool2Serial(d, half, rows, cols, sums, best)
		close(done)
	}()
	s1 := scanPool2Serial(d, 0, half, cols, sums, best)
	<-done
	if s2.bad >= 0 && s1.bad < 0 {
		s1.bad = s2.bad
	}
	s1.negInf = s1.negInf || s2.negInf
	if s2.seen {
		if !s1.seen {
			s1.lo, s1.hi = s2.lo, s2.hi
		}
		s1.lo, s1.hi, s1.seen = math.Min(s1.lo, s2.lo), math.Max(s1.hi, s2.hi), true
	}
	return s1, sums, best
}

func scanPool2Serial(d []float32, r0, r1, cols int, sums []float64, best []float32) valueScan {
	const maxF = math.MaxFloat32
	s := valueScan{bad: -1}
	l, h := float32(maxF), float32(-maxF)
	cw := cols / 2
	for r := r0; r < r1; r += 2 {
		a := d[r*cols : (r+1)*cols]
		b := d[(r+1)*cols : (r+2)*cols]
		out := best[(r/2)*cw : (r/2+1)*cw]
		a = a[:2*len(out)]
		b = b[:len(a)]
		var sa, sb float64
		for j := range out {
			x0, x1, y0, y1 := a[2*j], a[2*j+1], b[2*j], b[2*j+1]
			if !(x0 >= -maxF && x0 <= maxF && x1 >= -maxF && x1 <= maxF &&
				y0 >= -maxF && y0 <= maxF && y1 >= -maxF && y1 <= maxF) {
				// rare: −Inf (masked) or a bad value; redo these rows slowly
				for k, v := range [4]float32{x0, x1, y0, y1} {
					if v >= -maxF && v <= maxF {
						continue
					}
					if v < 0 {
						s.negInf = true
					} else if s.bad < 0 {
						s.bad = (r+k/2)*cols + 2*j + k%2
					}
				}
				out[j] = -maxF
				continue
			}
			sa += float64(x0) + float64(x1)
			sb += float64(y0) + float64(y1)
			m := max(x0, x1, y0, y1)
			out[j] = m
			if m > h {
				h = m
			}
			if n := min(x0, x1, y0, y1); n < l {
				l = n
			}
		}
		sums[r], sums[r+1] = sa, sb
	}
	s.lo, s.hi, s.seen = float64(l), float64(h), l <= h
	return s
}
