package tensor

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Arrays of text in .npy files, as NumPy writes np.array(["the", "cat"]):
// dtype '<U3' holds each string as 3 UTF-32 code points (little- or
// big-endian), '|S3' as 3 bytes (np.array([b"the", b"cat"])); shorter
// strings are padded with NUL, which NumPy drops when it reads them back, and
// so do we. Bytes are taken as UTF-8 (invalid sequences become U+FFFD).

// readNPYText reads the data of a text array whose header has been read.
func readNPYText(cr *countingReader, size int64, h NPYHeader, dt npyDtype) ([]string, error) {
	n := numel(h.Shape)
	raw, err := readNPYData(cr, size, h, int64(n)*int64(dt.size))
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		el := raw[i*dt.size : (i+1)*dt.size]
		if dt.kind == 'S' {
			out[i] = strings.ToValidUTF8(string(bytes.TrimRight(el, "\x00")), "\uFFFD")
			continue
		}
		s, err := decodeUTF32(el, dt)
		if err != nil {
			return nil, Errorf(ErrFormat, "npy: string %d of the %s array: %v; the file is corrupt", i, pyRepr(h.Descr), err)
		}
		out[i] = s
	}
	if h.Fortran && len(h.Shape) > 1 {
		out = fortranToCStrings(out, h.Shape)
	}
	return out, nil
}

// decodeUTF32 decodes one '<U…' element, dropping the NUL padding.
func decodeUTF32(el []byte, dt npyDtype) (string, error) {
	var b strings.Builder
	end := len(el)
	for end >= 4 && dt.order.Uint32(el[end-4:end]) == 0 {
		end -= 4
	}
	for j := 0; j < end; j += 4 {
		r := rune(dt.order.Uint32(el[j : j+4]))
		if !utf8.ValidRune(r) {
			return "", Errorf(ErrFormat, "code point %#x is not a character", uint32(r))
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// fortranToCStrings reorders column-major strings of the given shape to row-major.
func fortranToCStrings(f []string, shape []int) []string {
	out := make([]string, len(f))
	rank := len(shape)
	idx := make([]int, rank)
	for c := range out {
		// column-major offset of the row-major position c
		off, s := 0, 1
		for d := 0; d < rank; d++ {
			off += idx[d] * s
			s *= shape[d]
		}
		out[c] = f[off]
		nextIndex(idx, shape)
	}
	return out
}
