package tensor

// Reading a slice of an array file without reading the rest: one head of a
// [layers, heads, T, T] attention record saved from a long-context model
// (32 × 32 heads at 4096 tokens is 34 GB in float16) is read with one
// positioned read of its own bytes, converted to float32 a chunk at a time.

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"unsafe"
)

// decodeChunk is the size of the raw buffer decodeStream converts through.
const decodeChunk = 1 << 20

// hostLittleEndian: float32 values can be read straight into memory.
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// decodeStream reads len(out) elements of type dt from r into out. Little-
// endian float32 on a little-endian machine is read straight into out;
// other types go through a buffer of decodeChunk bytes, so reading an
// array never holds its raw bytes and its values at once. It returns the
// bytes read and io.ErrUnexpectedEOF when r ends early.
func decodeStream(r io.Reader, dt npyDtype, out []float32) (int64, error) {
	if len(out) == 0 {
		return 0, nil
	}
	if dt.kind == 'f' && dt.size == 4 && dt.order == binary.LittleEndian && hostLittleEndian {
		b := unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*len(out))
		k, err := io.ReadFull(r, b)
		if err != nil {
			return int64(k), io.ErrUnexpectedEOF
		}
		return int64(k), nil
	}
	per := decodeChunk / dt.size
	buf := make([]byte, min(per, len(out))*dt.size)
	var got int64
	for i := 0; i < len(out); i += per {
		m := min(per, len(out)-i)
		k, err := io.ReadFull(r, buf[:m*dt.size])
		got += int64(k)
		if err != nil {
			return got, io.ErrUnexpectedEOF
		}
		decodeNPYInto(out[i:i+m], buf[:m*dt.size], dt)
	}
	return got, nil
}

// sliceOf checks index against shape (a prefix of indices, fixing the
// leading dimensions) and returns the element offset of the slice in
// row-major order and the slice's shape. op names the caller in messages.
func sliceOf(op string, shape, index []int) (int64, []int, error) {
	if len(index) > len(shape) {
		return 0, nil, Errorf(ErrShape, "%s: %d indices for an array of shape %v; give at most %d", op, len(index), shape, len(shape))
	}
	var off int64
	for d, i := range index {
		if i < 0 || i >= shape[d] {
			return 0, nil, Errorf(ErrShape, "%s: index %d is out of range for dimension %d of shape %v; use 0 … %d", op, i, d, shape, shape[d]-1)
		}
		off = off*int64(shape[d]) + int64(i)
	}
	rest := shape[len(index):]
	n := int64(1)
	for _, s := range rest {
		n *= int64(s)
	}
	if n > maxElements {
		return 0, nil, Errorf(ErrShape, "%s: the slice %v of shape %v has %d elements, more than a tensor can hold (%d); index more dimensions", op, index, shape, n, maxElements)
	}
	return off * n, append([]int(nil), rest...), nil
}

// pyShape writes a shape as Python writes a tuple.
func pyShape(shape []int) string {
	t := make(pyTuple, len(shape))
	for i, s := range shape {
		t[i] = int64(s)
	}
	return pyRepr(t)
}

// LoadNPYAt reads one slice of a .npy file: index fixes the leading
// dimensions, so LoadNPYAt("att.npy", l, h) of a [L, H, T, T] array gives
// the [T, T] matrix of layer l, head h. Only the slice's bytes are read
// (one positioned read after the header), converted to float32 as they
// arrive; the file may hold more elements than one tensor can. With no
// index it reads the whole array, as LoadNPY does. A Fortran-ordered
// array has no contiguous slices: it is read whole and then indexed.
func LoadNPYAt(path string, index ...int) *Tensor {
	f, err := openFile("LoadNPYAt", path)
	if err != nil {
		return Failed(err)
	}
	defer f.Close()
	t, err := readNPYAt(f, fileSize(f), index, "LoadNPYAt")
	if err != nil {
		if e := sniff(f, fileSize(f), path, "npy"); e != nil {
			err = e
		}
		return Failed(prefixErr("LoadNPYAt "+path, err))
	}
	return t
}

// readNPYAt reads the slice index of the .npy array in r (size bytes; -1
// when unknown, then the stream is read from the start).
func readNPYAt(r io.ReaderAt, size int64, index []int, op string) (*Tensor, error) {
	if size < 0 {
		t, _, err := readNPY(io.NewSectionReader(r, 0, math.MaxInt64), -1)
		if err == nil && len(index) > 0 {
			t = t.Index(index...).Contiguous()
		}
		return t, err
	}
	// the header is read piece by piece, exactly: nothing after it
	cr := &countingReader{r: io.NewSectionReader(r, 0, size)}
	h, dt, err := readNPYHeader(cr)
	if err != nil {
		return nil, err
	}
	start := cr.n
	total := int64(1)
	for _, s := range h.Shape {
		total *= int64(s)
	}
	if nbytes := total * int64(dt.size); nbytes > size-start {
		return nil, Errorf(ErrFormat, "npy: header declares shape %v of %s (%d bytes of data) but only %d bytes follow the header; the file is truncated or its header is corrupt", h.Shape, h.Descr, nbytes, size-start)
	}
	fortran := h.Fortran && len(h.Shape) > 1
	off, shape, err := sliceOf("npy", h.Shape, index)
	if err != nil {
		return nil, err
	}
	if len(index) == 0 || fortran {
		// the whole array: a Fortran-ordered one has no contiguous slices
		if err := npyFits(h); err != nil {
			if len(index) > 0 {
				err = Errorf(ErrFormat, "npy: a Fortran-ordered array is read whole to take a slice, and %v", strings.TrimPrefix(err.Error(), "npy: "))
			}
			return nil, err
		}
		off, shape = 0, h.Shape
	}
	n := numel(shape)
	data := make([]float32, n)
	nbytes := int64(n) * int64(dt.size)
	if _, err := decodeStream(io.NewSectionReader(r, start+off*int64(dt.size), nbytes), dt, data); err != nil {
		return nil, Errorf(ErrFormat, "npy: the data ends before the %d bytes the header declares; the file is truncated — save it again", total*int64(dt.size))
	}
	if fortran {
		data = fortranToC(data, h.Shape)
		if len(index) > 0 {
			return newTensorFromFile(data, shape).Index(index...).Contiguous(), nil
		}
	}
	return newTensorFromFile(data, shape), nil
}

// OpenSafetensors reads and validates the header of a safetensors file and
// leaves the data on disk: Tensor and TensorAt read only the bytes of what
// they return. Close the file when done (an unreachable file is closed by
// the garbage collector too). Use it for files too big for memory, such as
// every layer and head of a long-context model's attention. Like
// LoadSafetensors, the result carries any error (Err).
func OpenSafetensors(path string) *SafetensorsFile {
	f, err := openFile("OpenSafetensors", path)
	if err != nil {
		return &SafetensorsFile{err: err}
	}
	sf, err := openSafetensors(f, fileSize(f))
	if err != nil {
		if e := sniff(f, fileSize(f), path, "safetensors"); e != nil {
			err = e
		}
		f.Close()
		return &SafetensorsFile{err: prefixErr("OpenSafetensors "+path, err)}
	}
	sf.closer = f
	return sf
}

// openSafetensors reads the header of the safetensors file r of size bytes.
func openSafetensors(r io.ReaderAt, size int64) (*SafetensorsFile, error) {
	if size < 0 {
		return nil, Errorf(ErrFormat, "safetensors: not a regular file; open a file on disk (or read the stream with ReadSafetensors)")
	}
	var pre [8]byte
	if k, err := r.ReadAt(pre[:], 0); k < 8 {
		_ = err
		return nil, Errorf(ErrFormat, "safetensors: the file has %d bytes; expected at least 8 (the header length) — it is empty or truncated", k)
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if string(pre[:6]) == npyMagic {
		return nil, Errorf(ErrFormat, "safetensors: this is a .npy file, not safetensors; read it with LoadNPY")
	}
	if string(pre[:4]) == "PK\x03\x04" {
		return nil, Errorf(ErrFormat, "safetensors: this is a zip archive (.npz?), not safetensors; read it with LoadNPZ")
	}
	if n > safetensorsMaxHeader {
		return nil, Errorf(ErrFormat, "safetensors: header length %d is larger than the %d-byte limit; this is not a safetensors file or it is corrupt", n, safetensorsMaxHeader)
	}
	if int64(n) > size-8 {
		return nil, Errorf(ErrFormat, "safetensors: header length %d runs past the end of the %d-byte file; it is truncated or corrupt", n, size)
	}
	hdr := make([]byte, n)
	if k, _ := r.ReadAt(hdr, 8); uint64(k) < n {
		return nil, Errorf(ErrFormat, "safetensors: header length %d runs past the end of the file (%d header bytes present); it is truncated", n, k)
	}
	f, dataLen, err := parseSafetensorsHeader(hdr)
	if err != nil {
		return nil, err
	}
	if int64(dataLen) != size-8-int64(n) {
		return nil, safetensorsCoverErr(dataLen, uint64(size-8-int64(n)))
	}
	f.src, f.dataStart = r, 8+int64(n)
	return f, nil
}

// DataRange returns where the named tensor's bytes lie in the file: bytes
// start … end-1, little-endian, row-major, of its Dtype. ok is false when
// there is no such tensor. A program can map them (mmap) itself.
func (f *SafetensorsFile) DataRange(name string) (start, end int64, ok bool) {
	if f.Err() != nil || f.entries[name] == nil {
		return 0, 0, false
	}
	e := f.entries[name]
	return f.dataStart + int64(e.begin), f.dataStart + int64(e.end), true
}

// Close closes a file opened with OpenSafetensors; its tensors read
// before stay valid. It does nothing for a file read whole.
func (f *SafetensorsFile) Close() error {
	if f == nil || f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer, f.src = nil, nil
	return err
}

// safetensorsDtype is how a stored dtype is decoded.
func safetensorsDtype(name string, e *safetensorsEntry) (npyDtype, error) {
	switch e.dtype {
	case "F16":
		return npyDtype{kind: 'f', size: 2, order: binary.LittleEndian}, nil
	case "BF16":
		return npyDtype{kind: 'B', size: 2, order: binary.LittleEndian}, nil
	case "F32":
		return npyDtype{kind: 'f', size: 4, order: binary.LittleEndian}, nil
	case "F64":
		return npyDtype{kind: 'f', size: 8, order: binary.LittleEndian}, nil
	}
	return npyDtype{}, Errorf(ErrFormat, "safetensors: tensor %q: unsupported dtype %s; convert with tensor.float() before saving (attnviz reads F16, BF16, F32, F64)", name, e.dtype)
}

// TensorAt reads one slice of the named tensor: index fixes its leading
// dimensions, so TensorAt("attention", l, h) of a [L, H, T, T] record gives
// the [T, T] matrix of layer l, head h. On a file from OpenSafetensors only
// the slice's bytes are read; F16 and BF16 are converted to float32 as
// they arrive. The tensor may hold more elements than one tensor can; the
// slice may not.
func (f *SafetensorsFile) TensorAt(name string, index ...int) *Tensor {
	e, dt, err := f.entry(name)
	if err != nil {
		return Failed(err)
	}
	off, shape, err := sliceOf(fmt.Sprintf("safetensors: tensor %q", name), e.shape, index)
	if err != nil {
		return Failed(err)
	}
	n := numel(shape)
	data := make([]float32, n)
	if err := f.readInto(data, name, int64(e.begin)+off*int64(dt.size), int64(n)*int64(dt.size), dt); err != nil {
		return Failed(err)
	}
	return newTensorFromFile(data, shape)
}
