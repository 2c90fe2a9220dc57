package tensor

// Helpers every file format of this package uses (.npy, .npz,
// safetensors): opening and sizing a file, reading a declared length
// without trusting it, building the tensor, and errors that name the file
// and keep the operating system's cause.

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/attnviz/attnviz/internal/atomicfile"
)

// fileError is an error from the file readers and writers: a message and
// the errors it wraps (a sentinel such as ErrFormat, and the cause).
type fileError struct {
	msg    string
	causes []error
}

func (e *fileError) Error() string   { return e.msg }
func (e *fileError) Unwrap() []error { return e.causes }

// fileErr wraps an error from the operating system (open, create, rename)
// for op. A missing file also matches ErrNotFound.
func fileErr(op string, err error) error {
	causes := []error{err}
	msg := op + ": " + err.Error()
	if errors.Is(err, fs.ErrNotExist) {
		causes = append(causes, ErrNotFound)
		var pe *fs.PathError
		if wd, e := os.Getwd(); e == nil && !(errors.As(err, &pe) && filepath.IsAbs(pe.Path)) {
			msg += " (relative paths start at " + wd + ")"
		}
	}
	return &fileError{msg: msg, causes: causes}
}

// openFile opens path for reading; a directory is refused with a clear
// message (reading one would otherwise look like an empty file).
func openFile(op, path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(op, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, Errorf(ErrValue, "%s: %s is a directory; give the path of a file", op, path)
	}
	return f, nil
}

// prefixErr puts "op path" in front of an error from a reader, replacing
// the reader's own "npy: " style prefix. errors.Is still sees the kind.
func prefixErr(prefix string, err error) error {
	msg := err.Error()
	for _, p := range []string{"npy: ", "npz: ", "safetensors: "} {
		if strings.HasPrefix(msg, p) {
			msg = msg[len(p):]
			break
		}
	}
	return &fileError{msg: prefix + ": " + msg, causes: []error{err}}
}

// writeFileAtomic writes a file with internal/atomicfile: through a
// temporary file renamed into place, so a reader never sees a partial file
// and an error leaves path as it was (absent, or the old contents).
func writeFileAtomic(op, path string, write func(w io.Writer) error) error {
	var own error
	err := atomicfile.Write(path, func(w io.Writer) error {
		own = write(w)
		return own
	})
	switch {
	case err == nil:
		return nil
	case own != nil:
		return prefixErr(op+" "+path, err)
	case errors.Is(err, atomicfile.ErrIsDir):
		return Errorf(ErrValue, "%s: %s is a directory; give a file name", op, path)
	}
	return fileErr(op, err)
}

// saveFile writes what encode makes to path with writeFileAtomic; an
// encoding error is op's, naming path, and writes nothing.
func saveFile(op, path string, encode func() ([]byte, error)) error {
	b, err := encode()
	if err != nil {
		return prefixErr(op+" "+path, err)
	}
	return writeFileAtomic(op, path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// newTensorFromFile builds a tensor of the given shape (0-d when shape is
// empty) from freshly decoded data.
func newTensorFromFile(data []float32, shape []int) *Tensor {
	if len(shape) == 0 {
		return Scalar(data[0])
	}
	return Wrap(data, shape...) // data is fresh: no second copy
}

// readExact reads exactly n bytes. It grows its buffer as data arrives, so
// a header that declares gigabytes in a file of a few bytes costs only
// those bytes. On a short read it returns what it got and an error.
func readExact(r io.Reader, n int64) ([]byte, error) {
	const chunk = 1 << 20
	if n <= chunk {
		buf := make([]byte, n)
		k, err := io.ReadFull(r, buf)
		if err != nil {
			return buf[:k], io.ErrUnexpectedEOF
		}
		return buf, nil
	}
	buf := make([]byte, 0, chunk)
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			c := 2 * int64(cap(buf))
			if c > n {
				c = n
			}
			nb := make([]byte, len(buf), c)
			copy(nb, buf)
			buf = nb
		}
		k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return buf, io.ErrUnexpectedEOF
		}
	}
	return buf, nil
}

// fileSize returns the size of a regular file, or -1.
func fileSize(f *os.File) int64 {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return -1
	}
	return st.Size()
}
