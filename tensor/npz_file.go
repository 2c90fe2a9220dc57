package tensor

import (
	"fmt"
	"strings"
)

// NPZ is a .npz archive that has been read (LoadNPZ, ReadNPZ): its arrays of
// numbers as tensors, and its arrays of text — NumPy's '<U…' and '|S…'
// dtypes, what np.array(tokens) makes — as strings. Like a Tensor it
// carries its error: a cell that ends in tensor.LoadNPZ(path) shows either
// the arrays or what went wrong, and Err reports it in a program. Every
// method is safe on a failed or nil *NPZ (they return nothing, or a tensor
// that carries the error).
type NPZ struct {
	path    string
	names   []string
	tensors map[string]*Tensor
	text    map[string]npzText
	err     error
}

type npzText struct {
	strs  []string
	shape []int
	dtype string
}

// Err returns the error that reading the file met, or nil.
func (z *NPZ) Err() error {
	if z == nil {
		return Errorf(ErrValue, "npz: nil *NPZ; read a file with tensor.LoadNPZ")
	}
	return z.err
}

// Names lists every array of the file, numbers and text, sorted.
func (z *NPZ) Names() []string {
	if z.Err() != nil {
		return nil
	}
	return append([]string(nil), z.names...)
}

// TensorNames lists the arrays of numbers, sorted.
func (z *NPZ) TensorNames() []string {
	if z.Err() != nil {
		return nil
	}
	var out []string
	for _, n := range z.names {
		if _, ok := z.tensors[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Tensor returns the array of numbers called name. The tensor carries an
// error when the file failed, when there is no such array (ErrNotFound,
// listing the names there are) or when the array holds text (use Strings).
func (z *NPZ) Tensor(name string) *Tensor {
	if err := z.Err(); err != nil {
		return Failed(err)
	}
	if t, ok := z.tensors[name]; ok {
		return t
	}
	if tx, ok := z.text[name]; ok {
		return Failed(z.prefix(textNotTensor(name, tx.dtype)))
	}
	return Failed(z.prefix(Errorf(ErrNotFound, "npz: no array named %q; the file has %s", name, quoteList(z.names))))
}

// Tensors returns the arrays of numbers by name (nil when the file failed).
func (z *NPZ) Tensors() map[string]*Tensor {
	if z.Err() != nil {
		return nil
	}
	out := make(map[string]*Tensor, len(z.tensors))
	for k, v := range z.tensors {
		out[k] = v
	}
	return out
}

// Strings returns the array of text called name, in row-major order (nil
// when there is no such array of text).
func (z *NPZ) Strings(name string) []string {
	if z.Err() != nil {
		return nil
	}
	if tx, ok := z.text[name]; ok {
		return append([]string(nil), tx.strs...)
	}
	return nil
}

// Tokens returns the array of text called "tokens" — what
// np.savez(f, attention=a, tokens=np.array(tokens)) stores — or nil when the
// file has none. (An array of numbers called "tokens", token ids, is not
// text: read it with Tensor.)
func (z *NPZ) Tokens() []string { return z.Strings("tokens") }

// Shape returns the shape of the array called name (nil if there is none).
func (z *NPZ) Shape(name string) []int {
	if z.Err() != nil {
		return nil
	}
	if t, ok := z.tensors[name]; ok {
		return t.Shape()
	}
	if tx, ok := z.text[name]; ok {
		return append([]int(nil), tx.shape...)
	}
	return nil
}

// String lists the arrays, one a line with its shape (and the first strings
// of a text array), or says what went wrong.
func (z *NPZ) String() string {
	if err := z.Err(); err != nil {
		return "npz error: " + err.Error()
	}
	var b strings.Builder
	what := "npz"
	if z.path != "" {
		what = z.path
	}
	fmt.Fprintf(&b, "%s: %d arrays", what, len(z.names))
	if len(z.names) == 1 {
		b.Reset()
		fmt.Fprintf(&b, "%s: 1 array", what)
	}
	for _, n := range z.names {
		if t, ok := z.tensors[n]; ok {
			fmt.Fprintf(&b, "\n  %-12s float32 %v", n, t.Shape())
			continue
		}
		tx := z.text[n]
		show := tx.strs
		more := ""
		if len(show) > 8 {
			show, more = show[:8], fmt.Sprintf(" … (%d in all)", len(tx.strs))
		}
		fmt.Fprintf(&b, "\n  %-12s text    %v %q%s", n, tx.shape, show, more)
	}
	return b.String()
}

func (z *NPZ) prefix(err error) error {
	if z.path == "" {
		return err
	}
	return prefixErr("LoadNPZ "+z.path, err)
}

// textNotTensor is the error for a text array asked for as a tensor.
func textNotTensor(name, dtype string) error {
	return Errorf(ErrValue, "npz: array %q holds text (dtype %s), not numbers; read it with LoadNPZ(path).Strings(%q)", name, pyRepr(dtype), name)
}
