package viz

import (
	"errors"
	"fmt"
	"math"
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
	bad, first := 0, ""
	for r := 0; r*n < len(d); r++ {
		s := 0.0
		for _, v := range d[r*n : (r+1)*n] {
			if v > -math.MaxFloat32 {
				s += float64(v)
			}
		}
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

// checkTokens checks token counts against the matrix.
func tokenCountErr(view string, cfg *config, rows, cols int) error {
	if !cfg.tokSet {
		return nil
	}
	var probs []string
	if len(cfg.qTok) != rows {
		probs = append(probs, fmt.Sprintf("%d query tokens for %d rows", len(cfg.qTok), rows))
	}
	if len(cfg.kTok) != cols {
		probs = append(probs, fmt.Sprintf("%d key tokens for %d columns", len(cfg.kTok), cols))
	}
	if len(probs) > 0 {
		return tensor.Errorf(tensor.ErrShape, "viz.%s: token count does not match the matrix: %s; pass one token per row and per column", view, strings.Join(probs, " and "))
	}
	return nil
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
	const maxF = math.MaxFloat32
	l, h := float32(maxF), float32(-maxF)
	s := valueScan{bad: -1}
	for i, v := range d {
		if v >= -maxF && v <= maxF {
			if v < l {
				l = v
			}
			if v > h {
				h = v
			}
			continue
		}
		if v < 0 {
			s.negInf = true
			continue
		}
		if s.bad < 0 {
			s.bad = i
		}
	}
	s.lo, s.hi, s.seen = float64(l), float64(h), l <= h
	return s
}
