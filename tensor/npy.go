// # Files: .npy, .npz and safetensors
//
// LoadNPY, LoadNPZ / LoadNPZTensor and LoadSafetensors /
// LoadSafetensorsTensor read what NumPy and PyTorch write (float16/32/64,
// bfloat16, C and Fortran order) into float32 tensors, and the arrays of
// text of an .npz ('<U…', '|S…': the tokens) as strings (NPZ.Tokens);
// SaveNPY, SaveNPZ and SaveSafetensors write them back (atomically: a failed
// save leaves nothing behind). A PyTorch user hands attentions over with
// attnviz's exporter, scripts/attnviz_export.py (NumPy only, no safetensors
// package):
//
//	from attnviz_export import save_attention
//	save_attention("att.safetensors", model(**inputs, output_attentions=True).attentions, tokens)
//
// and reads them with tensor.LoadSafetensorsTensor("att.safetensors", "attention").
// A torch.save file is recognised (its zip holds data.pkl), and the error
// gives the one line of Python that converts it to an .npz.
//
// The readers are written here rather than taken from a library: the Go npy
// packages (codeberg.org/sbinet/npyio v0.14.0, github.com/datumbrain/npy,
// gonpy) read bool, integers, float32/64 and complex but not float16 — the
// usual dtype of attention saved from a GPU — and decode into Go slices or
// gonum matrices rather than tensors; safetensors needs the same float16
// and bfloat16 code anyway (Float16ToFloat32, Float32ToBFloat16, ...). One
// small reader per format (about 1,900 lines with the half-precision code)
// gives every format the same bounds checks against hostile files (declared
// sizes are checked against the bytes present before anything large is
// allocated) and the same error messages, and adds no dependency to pin.
package tensor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/attnviz/attnviz/internal/half"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// npyMaxHeader bounds the header length a reader accepts. NumPy itself
// refuses headers above 10000 bytes by default; a legal header with 32
// dimensions is well under 1 KiB.
const npyMaxHeader = 1 << 20

// npyMaxRank is NumPy's limit on dimensions (NPY_MAXDIMS in NumPy 1.x).
const npyMaxRank = 32

// npyMaxFileElements bounds the elements a header may declare. A file may
// hold more than one tensor can (maxElements): LoadNPYAt reads a slice.
const npyMaxFileElements = 1 << 62

// npyFits refuses an array larger than a tensor can hold, with the
// message the header check gave before files could be read in slices.
func npyFits(h NPYHeader) error {
	total := int64(1)
	for _, n := range h.Shape {
		total *= int64(n)
	}
	if total > maxElements {
		return Errorf(ErrFormat, "npy: shape %s has more than %d elements, the most a tensor can hold; read a slice with LoadNPYAt(path, i, …), or slice the array before saving it", pyShape(h.Shape), maxElements)
	}
	return nil
}

// npyDtype is a decoded NumPy dtype string such as "<f4".
type npyDtype struct {
	str   string           // as written in the header, e.g. "<f4"
	kind  byte             // 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool, 'U' text, 'S' bytes
	size  int              // bytes per element
	order binary.ByteOrder // byte order of multi-byte elements
}

// isText reports whether the dtype holds strings ('<U5' Unicode, '|S5' bytes).
func (d npyDtype) isText() bool { return d.kind == 'U' || d.kind == 'S' }

// errObjectDtype: an array of Python objects, stored with pickle.
var errObjectDtype = errors.New("object dtype")

// npyMaxChars bounds the characters of one string element ('<U…', '|S…').
const npyMaxChars = 1 << 20

func parseNPYDtype(s string) (npyDtype, error) {
	d := npyDtype{str: s}
	if len(s) >= 2 && s[1] == 'O' || s == "O" {
		return d, errObjectDtype
	}
	if len(s) < 3 {
		return d, fmt.Errorf("unsupported dtype %q", s)
	}
	switch s[0] {
	case '<':
		d.order = binary.LittleEndian
	case '>':
		d.order = binary.BigEndian
	case '=':
		d.order = binary.NativeEndian
	case '|':
		d.order = binary.LittleEndian // only meaningful for 1-byte types
	default:
		return d, fmt.Errorf("unsupported dtype %q (unknown byte order %q)", s, s[0])
	}
	d.kind = s[1]
	n, err := strconv.Atoi(s[2:])
	if err != nil {
		return d, fmt.Errorf("unsupported dtype %q", s)
	}
	d.size = n
	ok := false
	switch d.kind {
	case 'f':
		ok = n == 2 || n == 4 || n == 8
	case 'i', 'u':
		ok = n == 1 || n == 2 || n == 4 || n == 8
	case 'b':
		ok = n == 1
	case 'U': // UTF-32 code points, n per element
		ok = n >= 0 && n <= npyMaxChars
		d.size = 4 * n
	case 'S': // bytes, n per element
		ok = n >= 0 && n <= npyMaxChars
	}
	if !ok {
		return d, fmt.Errorf("unsupported dtype %q", s)
	}
	if s[0] == '|' && d.size > 1 && d.kind != 'S' {
		return d, fmt.Errorf("unsupported dtype %q (a %d-byte type needs a byte order, < or >)", s, n)
	}
	return d, nil
}

// NPYHeader is what a .npy header says about the array that follows.
type NPYHeader struct {
	Major, Minor int    // format version: 1.0, 2.0 or 3.0
	Descr        string // NumPy dtype, e.g. "<f4"
	Fortran      bool   // column-major data
	Shape        []int  // dimensions; empty for a 0-d array
}

// ReadNPY reads one .npy array from r and returns it as a float32 tensor on
// the default device. Supported element types: float16/32/64 in either
// byte order ("<f2", "<f4", "<f8", ">f4", ...), and — converted to float32,
// so integers above 2^24 lose precision — int8–64, uint8–64 and bool.
// Fortran-ordered data is reordered; header versions 1.0, 2.0 and 3.0 are
// read. float64 values are rounded to the nearest float32.
//
// A malformed, truncated or unsupported file gives a tensor carrying an
// error wrapping ErrFormat that says what was expected and what was found;
// it never panics, and it allocates no more than the bytes actually present.
func ReadNPY(r io.Reader) *Tensor {
	t, _, err := readNPY(r, -1)
	if err != nil {
		return Failed(err)
	}
	return t
}

// ReadNPYHeader reads only the header of a .npy stream; r is left at the
// first data byte.
func ReadNPYHeader(r io.Reader) (NPYHeader, error) {
	h, _, err := readNPYHeader(r)
	return h, err
}

// readNPY reads a .npy stream. size >= 0 is the size of the whole stream
// when known (a file's size, an archive entry's size), so a header that
// declares more data than there is fails before reading; -1 means unknown.
func readNPY(r io.Reader, size int64) (*Tensor, NPYHeader, error) {
	cr := &countingReader{r: r}
	h, dt, err := readNPYHeader(cr)
	if err != nil {
		return nil, h, err
	}
	if dt.isText() {
		return nil, h, Errorf(ErrFormat, "npy: the array holds text (dtype %s, shape %v), not numbers; a tensor holds numbers — keep tokens beside the weights in an .npz, np.savez(f, attention=a, tokens=np.array(tokens)), and read them with LoadNPZ(path).Tokens()", pyRepr(h.Descr), h.Shape)
	}
	t, err := readNPYNumbers(cr, size, h, dt)
	return t, h, err
}

// readNPYValue reads a .npy stream of numbers (a tensor) or of text (strs, in C order).
func readNPYValue(r io.Reader, size int64) (t *Tensor, strs []string, h NPYHeader, err error) {
	cr := &countingReader{r: r}
	h, dt, err := readNPYHeader(cr)
	if err != nil {
		return nil, nil, h, err
	}
	if err := npyFits(h); err != nil {
		return nil, nil, h, err
	}
	if dt.isText() {
		strs, err = readNPYText(cr, size, h, dt)
		return nil, strs, h, err
	}
	t, err = readNPYNumbers(cr, size, h, dt)
	return t, nil, h, err
}

func readNPYNumbers(cr *countingReader, size int64, h NPYHeader, dt npyDtype) (*Tensor, error) {
	if err := npyFits(h); err != nil {
		return nil, err
	}
	n := numel(h.Shape)
	nbytes := int64(n) * int64(dt.size)
	var data []float32
	if size >= 0 {
		// the bytes are there: decode a chunk at a time into the result
		if nbytes > size-cr.n {
			return nil, Errorf(ErrFormat, "npy: header declares shape %v of %s (%d bytes of data) but only %d bytes follow the header; the file is truncated or its header is corrupt", h.Shape, h.Descr, nbytes, size-cr.n)
		}
		data = make([]float32, n)
		if got, err := decodeStream(cr, dt, data); err != nil {
			return nil, Errorf(ErrFormat, "npy: header declares shape %v of %s (%d bytes of data) but the data ends after %d bytes; the file is truncated — save it again", h.Shape, h.Descr, nbytes, got)
		}
	} else {
		raw, err := readNPYData(cr, size, h, nbytes)
		if err != nil {
			return nil, err
		}
		data = decodeNPYData(raw, dt, n)
	}
	if h.Fortran && len(h.Shape) > 1 {
		data = fortranToC(data, h.Shape)
	}
	return newTensorFromFile(data, h.Shape), nil
}

// readNPYData reads the nbytes of data the header declares, checking them
// against the stream's size first when it is known.
func readNPYData(cr *countingReader, size int64, h NPYHeader, nbytes int64) ([]byte, error) {
	if size >= 0 && nbytes > size-cr.n {
		return nil, Errorf(ErrFormat, "npy: header declares shape %v of %s (%d bytes of data) but only %d bytes follow the header; the file is truncated or its header is corrupt", h.Shape, h.Descr, nbytes, size-cr.n)
	}
	raw, err := readExact(cr, nbytes)
	if err != nil {
		return nil, Errorf(ErrFormat, "npy: header declares shape %v of %s (%d bytes of data) but the data ends after %d bytes; the file is truncated — save it again", h.Shape, h.Descr, nbytes, len(raw))
	}
	return raw, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

func readNPYHeader(r io.Reader) (NPYHeader, npyDtype, error) {
	var h NPYHeader
	var pre [8]byte
	if k, err := io.ReadFull(r, pre[:]); err != nil {
		if k == 0 {
			return h, npyDtype{}, Errorf(ErrFormat, "npy: the file is empty; expected a .npy file starting with \\x93NUMPY")
		}
		return h, npyDtype{}, Errorf(ErrFormat, "npy: the file ends after %d bytes, inside the 8-byte preamble; it is truncated or not a .npy file", k)
	}
	if string(pre[:6]) != npyMagic {
		return h, npyDtype{}, Errorf(ErrFormat, "npy: expected the magic string \\x93NUMPY, got %q; this is not a .npy file (for .npz use LoadNPZ, for safetensors LoadSafetensors)", pre[:6])
	}
	h.Major, h.Minor = int(pre[6]), int(pre[7])
	var hlen int64
	switch h.Major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, npyDtype{}, Errorf(ErrFormat, "npy: the file ends inside the header length; it is truncated")
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, npyDtype{}, Errorf(ErrFormat, "npy: the file ends inside the header length; it is truncated")
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
	default:
		return h, npyDtype{}, Errorf(ErrFormat, "npy: unsupported format version %d.%d; expected 1.0, 2.0 or 3.0", h.Major, h.Minor)
	}
	if hlen > npyMaxHeader {
		return h, npyDtype{}, Errorf(ErrFormat, "npy: header length %d is larger than the %d-byte limit; the file is corrupt", hlen, npyMaxHeader)
	}
	hb, err := readExact(r, hlen)
	if err != nil {
		return h, npyDtype{}, Errorf(ErrFormat, "npy: the header is %d bytes long but the file ends after %d of them; it is truncated — save it again", hlen, len(hb))
	}
	d, err := parsePyDict(string(hb))
	if err != nil {
		return h, npyDtype{}, Errorf(ErrFormat, "npy: header is not a valid Python dict literal: %v", err)
	}
	for k := range d {
		if k != "descr" && k != "fortran_order" && k != "shape" {
			return h, npyDtype{}, Errorf(ErrFormat, "npy: header has an unexpected key %q; expected exactly 'descr', 'fortran_order' and 'shape'", k)
		}
	}
	if h.Descr, err = headerKey[string](d, "descr", "'descr' (dtype)", "unsupported dtype %s (a structured or record array); save a plain numeric array, e.g. arr.astype(np.float32)"); err != nil {
		return h, npyDtype{}, err
	}
	if h.Fortran, err = headerKey[bool](d, "fortran_order", "'fortran_order'", "'fortran_order' must be True or False, got %s"); err != nil {
		return h, npyDtype{}, err
	}
	sh := d["shape"]
	tup, err := headerKey[pyTuple](d, "shape", "'shape'", "'shape' must be a tuple of integers, got %s")
	if err != nil {
		return h, npyDtype{}, err
	}
	if len(tup) > npyMaxRank {
		return h, npyDtype{}, Errorf(ErrFormat, "npy: shape has %d dimensions; at most %d are allowed", len(tup), npyMaxRank)
	}
	h.Shape = make([]int, len(tup))
	total := int64(1)
	for i, v := range tup {
		n, ok := v.(int64)
		if !ok {
			return h, npyDtype{}, Errorf(ErrFormat, "npy: 'shape' must be a tuple of integers, got %s", pyRepr(sh))
		}
		if n < 0 {
			return h, npyDtype{}, Errorf(ErrFormat, "npy: shape %s has a negative dimension; the header is corrupt", pyRepr(sh))
		}
		if n > 0 && total > npyMaxFileElements/n {
			return h, npyDtype{}, Errorf(ErrFormat, "npy: shape %s has more than 2^62 elements; the header is corrupt", pyRepr(sh))
		}
		total *= n
		h.Shape[i] = int(n)
	}
	dt, err := parseNPYDtype(h.Descr)
	if errors.Is(err, errObjectDtype) {
		return h, dt, Errorf(ErrFormat, "npy: the array holds Python objects (dtype %s, stored with pickle), which attnviz does not read; save text as a string array, np.array(tokens, dtype=str), and numbers with arr.astype(np.float32)", pyRepr(h.Descr))
	}
	if err != nil {
		return h, dt, Errorf(ErrFormat, "npy: %v; expected float16/32/64 (or an integer or bool type); convert with arr.astype(np.float32) before saving", err)
	}
	return h, dt, nil
}

// decodeNPYData converts n elements of raw file data to float32.
func decodeNPYData(raw []byte, dt npyDtype, n int) []float32 {
	out := make([]float32, n)
	decodeNPYInto(out, raw, dt)
	return out
}

// decodeNPYInto converts len(out) elements of raw file data to float32.
// Besides NumPy's kinds it decodes kind 'B', bfloat16 (safetensors).
func decodeNPYInto(out []float32, raw []byte, dt npyDtype) {
	o := dt.order
	switch {
	case dt.kind == 'B':
		half.DecodeBFloat16(out, raw, o)
	case dt.kind == 'f' && dt.size == 2:
		half.DecodeFloat16(out, raw, o)
	case dt.kind == 'f' && dt.size == 4:
		for i := range out {
			out[i] = math.Float32frombits(o.Uint32(raw[4*i:]))
		}
	case dt.kind == 'f' && dt.size == 8:
		for i := range out {
			out[i] = float32(math.Float64frombits(o.Uint64(raw[8*i:])))
		}
	case dt.kind == 'i' && dt.size == 1:
		for i := range out {
			out[i] = float32(int8(raw[i]))
		}
	case dt.kind == 'i' && dt.size == 2:
		for i := range out {
			out[i] = float32(int16(o.Uint16(raw[2*i:])))
		}
	case dt.kind == 'i' && dt.size == 4:
		for i := range out {
			out[i] = float32(int32(o.Uint32(raw[4*i:])))
		}
	case dt.kind == 'i' && dt.size == 8:
		for i := range out {
			out[i] = float32(int64(o.Uint64(raw[8*i:])))
		}
	case dt.kind == 'u' && dt.size == 1, dt.kind == 'b':
		for i := range out {
			out[i] = float32(raw[i])
		}
	case dt.kind == 'u' && dt.size == 2:
		for i := range out {
			out[i] = float32(o.Uint16(raw[2*i:]))
		}
	case dt.kind == 'u' && dt.size == 4:
		for i := range out {
			out[i] = float32(o.Uint32(raw[4*i:]))
		}
	case dt.kind == 'u' && dt.size == 8:
		for i := range out {
			out[i] = float32(o.Uint64(raw[8*i:]))
		}
	}
}

// fortranToC reorders column-major data of the given shape to row-major.
func fortranToC(f []float32, shape []int) []float32 {
	n := len(f)
	out := make([]float32, n)
	if n == 0 {
		return out
	}
	rank := len(shape)
	// Column-major strides: dimension 0 varies fastest.
	fs := make([]int, rank)
	s := 1
	for d := 0; d < rank; d++ {
		fs[d] = s
		s *= shape[d]
	}
	idx := make([]int, rank)
	inner := shape[rank-1]
	is := fs[rank-1]
	for k := 0; k < n; k += inner {
		off := 0
		for d := 0; d < rank-1; d++ {
			off += idx[d] * fs[d]
		}
		for j := 0; j < inner; j++ {
			out[k+j] = f[off+j*is]
		}
		nextIndex(idx[:rank-1], shape)
	}
	return out
}

// headerKey is the value of key in a .npy header, of type T: a missing key
// (named name in the message) or a value of another type (wrong, its
// printf format, gets the value) is an ErrFormat error.
func headerKey[T any](d map[string]any, key, name, wrong string) (T, error) {
	var zero T
	v, ok := d[key]
	if !ok {
		return zero, Errorf(ErrFormat, "npy: header has no %s key", name)
	}
	t, ok := v.(T)
	if !ok {
		return zero, Errorf(ErrFormat, "npy: "+wrong, pyRepr(v))
	}
	return t, nil
}

// nextIndex advances idx, a row-major index into the first len(idx)
// dimensions of shape, by one: the last of them fastest, zeros after the end.
func nextIndex(idx, shape []int) {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < shape[d] {
			return
		}
		idx[d] = 0
	}
}

// LoadNPY reads a .npy file. The returned tensor carries any error (see
// Err), so a notebook cell shows either the tensor or what went wrong:
//
//	att := tensor.LoadNPY("attention.npy")
func LoadNPY(path string) *Tensor {
	f, err := openFile("LoadNPY", path)
	if err != nil {
		return Failed(err)
	}
	defer f.Close()
	t, _, err := readNPY(bufio.NewReaderSize(f, 1<<16), fileSize(f))
	if err != nil {
		if e := sniff(f, fileSize(f), path, "npy"); e != nil {
			err = e
		}
		return Failed(prefixErr("LoadNPY "+path, err))
	}
	return t
}

// WriteNPY writes t to w as a .npy file of little-endian float32 ("<f4"),
// C order, format version 1.0 — byte for byte what numpy.save writes for
// the same float32 array.
func WriteNPY(w io.Writer, t *Tensor) error {
	return WriteNPYAs(w, t, "<f4", false)
}

// WriteNPYAs writes t to w as a .npy file with the given dtype — "<f2"
// (float16, rounded to nearest even), "<f4", "<f8", or the big-endian
// ">f2", ">f4", ">f8"; the short names "f2", "float16", "f4", "float32",
// "f8", "float64" mean little-endian — in C order, or in Fortran
// (column-major) order when fortran is true.
func WriteNPYAs(w io.Writer, t *Tensor, dtype string, fortran bool) error {
	b, err := encodeNPY(t, dtype, fortran)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// SaveNPY writes t to path as a float32 .npy file (see WriteNPY). The file
// is written atomically: on any error nothing is left at path (an existing
// file stays as it was).
func (t *Tensor) SaveNPY(path string) error {
	return t.SaveNPYAs(path, "<f4", false)
}

// SaveNPYAs is SaveNPY with a dtype and order (see WriteNPYAs).
func (t *Tensor) SaveNPYAs(path, dtype string, fortran bool) error {
	return saveFile("SaveNPY", path, func() ([]byte, error) { return encodeNPY(t, dtype, fortran) })
}

// npyWriteDtype maps the dtype names a writer accepts to NumPy's.
func npyWriteDtype(s string) (npyDtype, error) {
	switch s {
	case "f2", "float16", "<f2":
		s = "<f2"
	case "f4", "float32", "<f4", "":
		s = "<f4"
	case "f8", "float64", "<f8":
		s = "<f8"
	case ">f2", ">f4", ">f8":
	default:
		return npyDtype{}, Errorf(ErrValue, "npy: cannot write dtype %q; use \"<f2\" (float16), \"<f4\" (float32) or \"<f8\" (float64)", s)
	}
	return parseNPYDtype(s)
}

// encodeNPY returns the whole .npy file for t.
func encodeNPY(t *Tensor, dtype string, fortran bool) ([]byte, error) {
	dt, err := npyWriteDtype(dtype)
	if err != nil {
		return nil, err
	}
	data, err := t.DataErr()
	if err != nil {
		return nil, err
	}
	shape := t.Shape()
	if fortran && len(shape) > 1 {
		data = cToFortran(data, shape)
	}
	hdr := npyHeaderBytes(dt.str, fortran, shape)
	out := make([]byte, len(hdr), len(hdr)+len(data)*dt.size)
	copy(out, hdr)
	return appendElements(out, data, dt), nil
}

// appendElements appends data encoded as dt (a float type) to b.
func appendElements(b []byte, data []float32, dt npyDtype) []byte {
	o := dt.order.(binary.AppendByteOrder)
	switch dt.size {
	case 2:
		for _, v := range data {
			b = o.AppendUint16(b, Float32ToFloat16(v))
		}
	case 4:
		for _, v := range data {
			b = o.AppendUint32(b, math.Float32bits(v))
		}
	case 8:
		for _, v := range data {
			b = o.AppendUint64(b, math.Float64bits(float64(v)))
		}
	}
	return b
}

// cToFortran reorders row-major data of the given shape to column-major.
func cToFortran(c []float32, shape []int) []float32 {
	// Column-major data of shape s is row-major data of the reversed shape
	// with the axes reversed: gather it through the reversed strides.
	rank := len(shape)
	rev := make([]int, rank)
	for i := range shape {
		rev[i] = shape[rank-1-i]
	}
	// fortranToC(x, rev) reads x as column-major of shape rev, i.e. as
	// row-major of shape `shape`, and writes row-major of shape rev.
	return fortranToC(c, rev)
}

// npyHeaderBytes formats the preamble and header exactly as numpy 1.24's
// format.write_array_header does: sorted keys, Python reprs, spare spaces
// for growing the first axis, padding to a 64-byte boundary, '\n' last.
func npyHeaderBytes(descr string, fortran bool, shape []int) []byte {
	var sb strings.Builder
	sb.WriteString("{'descr': '")
	sb.WriteString(descr)
	sb.WriteString("', 'fortran_order': ")
	if fortran {
		sb.WriteString("True")
	} else {
		sb.WriteString("False")
	}
	sb.WriteString(", 'shape': (")
	for i, s := range shape {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(s))
	}
	if len(shape) == 1 {
		sb.WriteString(",")
	}
	sb.WriteString("), }")
	if len(shape) > 0 {
		growth := shape[0]
		if fortran {
			growth = shape[len(shape)-1]
		}
		sb.WriteString(strings.Repeat(" ", 21-len(strconv.Itoa(growth))))
	}
	hdr := sb.String()
	major, lenBytes := 1, 2
	hlen := len(hdr) + 1
	if hlen+64 > 0xffff {
		major, lenBytes = 2, 4
	}
	pad := 64 - (8+lenBytes+hlen)%64
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.WriteByte(byte(major))
	b.WriteByte(0)
	if lenBytes == 2 {
		b.Write(binary.LittleEndian.AppendUint16(nil, uint16(hlen+pad)))
	} else {
		b.Write(binary.LittleEndian.AppendUint32(nil, uint32(hlen+pad)))
	}
	b.WriteString(hdr)
	b.WriteString(strings.Repeat(" ", pad))
	b.WriteByte('\n')
	return b.Bytes()
}
