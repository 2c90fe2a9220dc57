package tensor

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// Errorf wraps its kind and, with %w, its causes: errors.Is and errors.As
// reach all of them, and the message is fmt.Errorf's.
func TestErrorfWraps(t *testing.T) {
	_, osErr := os.Open("/no/such/file")
	var shape error = &ShapeError{Op: "MatMul", Rule: "inner dimensions differ"}
	for _, c := range []struct {
		name   string
		err    error
		msg    string
		is     []error
		isNot  []error
		pathAs bool
	}{
		{"no cause", Errorf(ErrValue, "x: want %d, got %v", 1, "two"), "x: want 1, got two", []error{ErrValue}, []error{ErrShape, fs.ErrNotExist}, false},
		{"%v flattens", Errorf(ErrValue, "x: %v", osErr), "x: open /no/such/file: no such file or directory", []error{ErrValue}, []error{fs.ErrNotExist}, false},
		{"%w wraps", Errorf(ErrDevice, "x: %w", osErr), "x: open /no/such/file: no such file or directory", []error{ErrDevice, fs.ErrNotExist}, []error{ErrValue}, true},
		{"two %w", Errorf(ErrFormat, "x: %w; %w", osErr, shape), "x: open /no/such/file: no such file or directory; MatMul: inner dimensions differ", []error{ErrFormat, fs.ErrNotExist, ErrShape}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.err.Error() != c.msg {
				t.Errorf("message %q, want %q", c.err.Error(), c.msg)
			}
			for _, e := range c.is {
				if !errors.Is(c.err, e) {
					t.Errorf("errors.Is(err, %v) = false", e)
				}
			}
			for _, e := range c.isNot {
				if errors.Is(c.err, e) {
					t.Errorf("errors.Is(err, %v) = true", e)
				}
			}
			var pe *fs.PathError
			if got := errors.As(c.err, &pe); got != c.pathAs {
				t.Errorf("errors.As(err, *fs.PathError) = %v, want %v", got, c.pathAs)
			}
		})
	}
}
