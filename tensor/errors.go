package tensor

import (
	"errors"
	"fmt"
)

// Sentinel errors. An error returned or carried by this package wraps one
// of them, so callers can test the kind of problem with errors.Is (an
// error of the operating system on a file wraps that error instead, and
// ErrNotFound when the file is missing):
//
//	if errors.Is(t.Err(), tensor.ErrShape) { ... }
var (
	// ErrShape: shapes or ranks do not fit the operation's rule.
	ErrShape = errors.New("shape mismatch")
	// ErrValue: an argument has a bad value (negative size, NaN where a number is needed, ...).
	ErrValue = errors.New("bad value")
	// ErrDevice: a device is missing, or tensors live on different devices.
	ErrDevice = errors.New("device problem")
	// ErrFormat: a file is malformed, truncated or uses an unsupported type.
	ErrFormat = errors.New("bad file format")
	// ErrNotFound: a named tensor is not in a file.
	ErrNotFound = errors.New("not found")
)

// ShapeError describes a shape or rank problem: the operation, the shapes
// it was given, the rule they broke and, where one is likely, a fix.
//
// It matches ErrShape with errors.Is, and can be read with errors.As:
//
//	var se *tensor.ShapeError
//	if errors.As(err, &se) { fmt.Println(se.Shapes) }
type ShapeError struct {
	Op     string  // the operation, e.g. "MatMul"
	Shapes [][]int // the shapes involved, in argument order
	Rule   string  // the rule that was broken, e.g. "inner dimensions differ"
	Hint   string  // a likely fix, may be empty
}

func (e *ShapeError) Error() string {
	s := e.Op + ": " + e.Rule
	if len(e.Shapes) > 0 {
		s += ": "
		for i, sh := range e.Shapes {
			if i > 0 {
				s += " × "
			}
			s += fmt.Sprint(sh)
		}
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Is reports whether target is ErrShape.
func (e *ShapeError) Is(target error) bool { return target == ErrShape }

func shapeErr(op, rule, hint string, shapes ...[]int) error {
	cp := make([][]int, len(shapes))
	for i, s := range shapes {
		cp[i] = append([]int(nil), s...)
	}
	return &ShapeError{Op: op, Shapes: cp, Rule: rule, Hint: hint}
}

// opError is an error of one kind (a sentinel) with a message that names
// the operation, and the errors it wraps with %w, if any.
type opError struct {
	kind   error
	msg    string
	causes []error
}

func (e *opError) Error() string { return e.msg }

// Unwrap gives the kind first, then the causes: errors.Is and errors.As
// see all of them.
func (e *opError) Unwrap() []error { return append([]error{e.kind}, e.causes...) }

// Errorf returns an error of the given kind (one of the sentinels) with a
// message formatted as fmt.Errorf does. An argument given with %w is
// wrapped too: errors.Is and errors.As reach both the kind and the cause.
//
//	tensor.Errorf(tensor.ErrNotFound, "model: cannot read %s: %w", path, err)
//
// It is exported so that sibling packages (viz, model) produce errors that
// match the same sentinels.
func Errorf(kind error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	e := &opError{kind: kind, msg: err.Error()}
	switch w := err.(type) {
	case interface{ Unwrap() error }:
		e.causes = []error{w.Unwrap()}
	case interface{ Unwrap() []error }:
		e.causes = w.Unwrap()
	}
	return e
}
