package tensor

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Malformed files: every reader returns an error (never panics) whose
// message says what was expected, what was found and what to do.

// npyBytes builds a .npy file with the given version, header text and data.
func npyBytes(major byte, header string, data []byte) []byte {
	b := []byte(npyMagic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	b = append(b, header...)
	return append(b, data...)
}

// stBytes builds a safetensors file from a header text and data.
func stBytes(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// zipBytes builds a zip archive with the given members (method 0 stored,
// 8 deflated, anything else stored but labelled with that method).
func zipBytes(members ...any) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(12, func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil })
	for i := 0; i < len(members); i += 3 {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: members[i].(string), Method: members[i+1].(uint16)})
		if err != nil {
			panic(err)
		}
		fw.Write(members[i+2].([]byte))
	}
	zw.Close()
	return buf.Bytes()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func f32le(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

const okHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n"

// badFileCase is one malformed input. read is the exact message from the
// io.Reader entry point (ReadNPY, ReadNPZ, ReadSafetensors); load, when
// set, the one from the path entry point with "PATH" standing for the file
// (otherwise "LoadX PATH: " + read without its "npy: " prefix).
type badFileCase struct {
	name   string
	format string // "npy", "npz", "safetensors"
	data   []byte
	read   string
	load   string
}

func badFileCases() []badFileCase {
	good := npyBytes(1, okHeader, f32le(1, 2, 3, 4, 5, 6))
	deep := "{'descr': '<f4', 'fortran_order': False, 'shape': " + strings.Repeat("(", 40) + "}"
	dims33 := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + strings.Repeat("1, ", 33) + "), }"
	st := func(h string) []byte { return stBytes(h, make([]byte, 8)) }
	return []badFileCase{
		// --- .npy ---
		{"npy empty file", "npy", nil,
			"npy: the file is empty; expected a .npy file starting with \\x93NUMPY", ""},
		{"npy cut in the preamble", "npy", []byte("\x93NU"),
			"npy: the file ends after 3 bytes, inside the 8-byte preamble; it is truncated or not a .npy file", ""},
		{"npy wrong magic (a zip)", "npy", zipBytes("x.npy", uint16(0), good),
			"npy: expected the magic string \\x93NUMPY, got \"PK\\x03\\x04\\x14\\x00\"; this is not a .npy file (for .npz use LoadNPZ, for safetensors LoadSafetensors)",
			"LoadNPY PATH: this is an .npz archive of NumPy arrays; read it with LoadNPZ"},
		{"npy wrong magic (safetensors)", "npy", st(`{}      `),
			"npy: expected the magic string \\x93NUMPY, got \"\\b\\x00\\x00\\x00\\x00\\x00\"; this is not a .npy file (for .npz use LoadNPZ, for safetensors LoadSafetensors)", ""},
		{"npy version 4.0", "npy", append([]byte(npyMagic), 4, 0, 0, 0),
			"npy: unsupported format version 4.0; expected 1.0, 2.0 or 3.0", ""},
		{"npy cut in the header length", "npy", []byte(npyMagic + "\x01\x00\x10"),
			"npy: the file ends inside the header length; it is truncated", ""},
		{"npy header past the end", "npy", good[:40],
			"npy: the header is 60 bytes long but the file ends after 30 of them; it is truncated — save it again", ""},
		{"npy huge header length (v2)", "npy", append([]byte(npyMagic+"\x02\x00"), 0xff, 0xff, 0xff, 0xff),
			"npy: header length 4294967295 is larger than the 1048576-byte limit; the file is corrupt", ""},
		{"npy header not a dict", "npy", npyBytes(1, "[1, 2]", nil),
			"npy: header is not a valid Python dict literal: expected '{' at the start, got \"[1, 2]\" at byte 0", ""},
		{"npy header syntax", "npy", npyBytes(1, "{'descr' '<f4'}", nil),
			"npy: header is not a valid Python dict literal: expected ':' after key \"descr\", got \"'<f4'}\" at byte 9", ""},
		{"npy unclosed string", "npy", npyBytes(1, "{'descr': '<f4}", nil),
			"npy: header is not a valid Python dict literal: string not closed before the end of the header", ""},
		{"npy nesting bomb", "npy", npyBytes(1, deep, nil),
			"npy: header is not a valid Python dict literal: nested more than 16 levels deep", ""},
		{"npy duplicate key", "npy", npyBytes(1, "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", nil),
			"npy: header is not a valid Python dict literal: key \"descr\" appears twice", ""},
		{"npy missing shape", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False}", nil),
			"npy: header has no 'shape' key", ""},
		{"npy missing descr", "npy", npyBytes(1, "{'fortran_order': False, 'shape': ()}", nil),
			"npy: header has no 'descr' (dtype) key", ""},
		{"npy extra key", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", nil),
			"npy: header has an unexpected key \"x\"; expected exactly 'descr', 'fortran_order' and 'shape'", ""},
		{"npy fortran_order not bool", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': 'yes', 'shape': (1,)}", nil),
			"npy: 'fortran_order' must be True or False, got 'yes'", ""},
		{"npy shape not a tuple", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 5}", nil),
			"npy: 'shape' must be a tuple of integers, got 5", ""},
		{"npy shape holds a string", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x')}", nil),
			"npy: 'shape' must be a tuple of integers, got (2, 'x')", ""},
		{"npy negative dimension", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3)}", nil),
			"npy: shape (-1, 3) has a negative dimension; the header is corrupt", ""},
		{"npy dimension overflows int64", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", nil),
			"npy: header is not a valid Python dict literal: bad integer \"99999999999999999999\"", ""},
		{"npy too many elements", "npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576)}", nil),
			"npy: shape (1048576, 1048576) has more than 2147483647 elements, the most a tensor can hold; read a slice with LoadNPYAt(path, i, …), or slice the array before saving it", ""},
		{"npy 33 dimensions", "npy", npyBytes(1, dims33, nil),
			"npy: shape has 33 dimensions; at most 32 are allowed", ""},
		{"npy huge declared size, tiny file", "npy", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824,)}", f32le(1, 2)),
			"npy: header declares shape [1073741824] of <f8 (8589934592 bytes of data) but the data ends after 8 bytes; the file is truncated — save it again", "LoadNPY PATH: header declares shape [1073741824] of <f8 (8589934592 bytes of data) but only 8 bytes follow the header; the file is truncated or its header is corrupt"},
		{"npy truncated data", "npy", good[:len(good)-3],
			"npy: header declares shape [2 3] of <f4 (24 bytes of data) but the data ends after 21 bytes; the file is truncated — save it again", "LoadNPY PATH: header declares shape [2 3] of <f4 (24 bytes of data) but only 21 bytes follow the header; the file is truncated or its header is corrupt"},
		{"npy complex dtype", "npy", npyBytes(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", nil),
			"npy: unsupported dtype \"<c8\"; expected float16/32/64 (or an integer or bool type); convert with arr.astype(np.float32) before saving", ""},
		{"npy object dtype", "npy", npyBytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", nil),
			"npy: the array holds Python objects (dtype '|O', stored with pickle), which attnviz does not read; save text as a string array, np.array(tokens, dtype=str), and numbers with arr.astype(np.float32)", ""},
		{"npy string dtype", "npy", npyBytes(1, "{'descr': '<U5', 'fortran_order': False, 'shape': (1,)}", nil),
			"npy: the array holds text (dtype '<U5', shape [1]), not numbers; a tensor holds numbers — keep tokens beside the weights in an .npz, np.savez(f, attention=a, tokens=np.array(tokens)), and read them with LoadNPZ(path).Tokens()", ""},
		{"npy structured dtype", "npy", npyBytes(1, "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,)}", nil),
			"npy: unsupported dtype [('a', '<f4'), ('b', '<i4')] (a structured or record array); save a plain numeric array, e.g. arr.astype(np.float32)", ""},
		{"npy unknown byte order", "npy", npyBytes(1, "{'descr': '!f4', 'fortran_order': False, 'shape': (1,)}", nil),
			"npy: unsupported dtype \"!f4\" (unknown byte order '!'); expected float16/32/64 (or an integer or bool type); convert with arr.astype(np.float32) before saving", ""},
		{"npy multi-byte type without order", "npy", npyBytes(1, "{'descr': '|f4', 'fortran_order': False, 'shape': (1,)}", nil),
			"npy: unsupported dtype \"|f4\" (a 4-byte type needs a byte order, < or >); expected float16/32/64 (or an integer or bool type); convert with arr.astype(np.float32) before saving", ""},
		// --- .npz ---
		{"npz empty file", "npz", nil,
			"npz: not a readable zip archive (zip: not a valid zip file); expected a file written by numpy.savez or numpy.savez_compressed (for one array use LoadNPY)", ""},
		{"npz not a zip (a .npy)", "npz", good,
			"npz: this is a .npy file (one array), not an .npz archive; read it with LoadNPY", ""},
		{"npz truncated archive", "npz", zipBytes("x.npy", uint16(0), good)[:60],
			"npz: not a readable zip archive (zip: not a valid zip file); expected a file written by numpy.savez or numpy.savez_compressed (for one array use LoadNPY)", ""},
		{"npz member truncated", "npz", zipBytes("x.npy", uint16(0), good[:len(good)-3]),
			"npz: array \"x\": header declares shape [2 3] of <f4 (24 bytes of data) but only 21 bytes follow the header; the file is truncated or its header is corrupt", ""},
		{"npz member declares more data than it holds", "npz", zipBytes("x.npy", uint16(8), npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824,)}", nil)),
			"npz: array \"x\": header declares shape [1073741824] of <f8 (8589934592 bytes of data) but only 0 bytes follow the header; the file is truncated or its header is corrupt", ""},
		{"npz member not npy", "npz", zipBytes("x.npy", uint16(0), []byte("hello")),
			"npz: array \"x\": the file ends after 5 bytes, inside the 8-byte preamble; it is truncated or not a .npy file", ""},
		{"npz member with negative dims", "npz", zipBytes("x.npy", uint16(0), npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-5,)}", nil)),
			"npz: array \"x\": shape (-5,) has a negative dimension; the header is corrupt", ""},
		{"npz unknown compression", "npz", zipBytes("x.npy", uint16(12), good),
			"npz: array \"x\" uses zip compression method 12; expected stored (0) or deflated (8) as numpy writes", ""},
		{"npz duplicate member", "npz", zipBytes("x.npy", uint16(0), good, "x.npy", uint16(0), good),
			"npz: the archive holds \"x.npy\" twice; it is corrupt", ""},
		// --- safetensors ---
		{"st empty file", "safetensors", nil,
			"safetensors: the file has 0 bytes; expected at least 8 (the header length) — it is empty or truncated", ""},
		{"st shorter than 8 bytes", "safetensors", []byte{1, 0, 0},
			"safetensors: the file has 3 bytes; expected at least 8 (the header length) — it is empty or truncated", ""},
		{"st huge header length", "safetensors", binary.LittleEndian.AppendUint64(nil, 1<<40),
			"safetensors: header length 1099511627776 is larger than the 100000000-byte limit; this is not a safetensors file or it is corrupt", ""},
		{"st header length past the end", "safetensors", append(binary.LittleEndian.AppendUint64(nil, 1000), "{}"...),
			"safetensors: header length 1000 runs past the end of the file (2 header bytes present); it is truncated", "LoadSafetensors PATH: header length 1000 runs past the end of the 10-byte file; it is truncated or corrupt"},
		{"st not utf-8", "safetensors", stBytes("{\xff}", nil),
			"safetensors: the header is not valid UTF-8; this is not a safetensors file", ""},
		{"st header not an object", "safetensors", stBytes(`[1,2]   `, nil),
			"safetensors: the header must be a JSON object starting with '{', got \"[1,2]   \"; this is not a safetensors file", ""},
		{"st a .npy file", "safetensors", good,
			"safetensors: this is a .npy file, not safetensors; read it with LoadNPY", ""},
		{"st invalid json", "safetensors", stBytes(`{"a":{"dtype":"F32",}`, nil),
			"safetensors: the header is not valid JSON: invalid character '}' looking for beginning of object key string", ""},
		{"st text after the object", "safetensors", stBytes(`{} xyz`, nil),
			"safetensors: unexpected \"xyz\" after the header's JSON object", ""},
		{"st unknown dtype", "safetensors", st(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,8]}}`),
			"safetensors: tensor \"a\" has unknown dtype \"F128\"; expected one of F16, BF16, F32, F64 (or another safetensors dtype)", ""},
		{"st missing field", "safetensors", st(`{"a":{"dtype":"F32","shape":[2]}}`),
			"safetensors: tensor \"a\": expected {\"dtype\", \"shape\", \"data_offsets\"}, got {\"dtype\":\"F32\",\"shape\":[2]}", ""},
		{"st negative dimension", "safetensors", st(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`),
			"safetensors: tensor \"a\": shape must be a list of non-negative integers, got [-2]", ""},
		{"st fractional dimension", "safetensors", st(`{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`),
			"safetensors: tensor \"a\": shape must be a list of non-negative integers, got [2.5]", ""},
		{"st shape not a list", "safetensors", st(`{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}`),
			"safetensors: tensor \"a\": expected {\"dtype\", \"shape\", \"data_offsets\"}, got {\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}", ""},
		{"st 65 dimensions", "safetensors", st(`{"a":{"dtype":"F32","shape":[` + strings.Repeat("1,", 64) + `1],"data_offsets":[0,4]}}`),
			"safetensors: tensor \"a\" has 65 dimensions; at most 64 are allowed", ""},
		{"st shape overflows", "safetensors", st(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}}`),
			"safetensors: tensor \"a\": shape [4294967296 4294967296 16] is too large; the header is corrupt", ""},
		{"st offsets not a pair", "safetensors", st(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`),
			"safetensors: tensor \"a\": data_offsets must be [begin, end], got [0]", ""},
		{"st negative offset", "safetensors", st(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`),
			"safetensors: tensor \"a\": data_offsets must be two non-negative integers, got [-8,0]", ""},
		{"st offsets reversed", "safetensors", st(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`),
			"safetensors: tensor \"a\": data_offsets [8, 0] end before they begin; the file is corrupt", ""},
		{"st offsets do not match the shape", "safetensors", st(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`),
			"safetensors: tensor \"a\": shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8; the header is corrupt", ""},
		{"st first tensor not at 0", "safetensors", st(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`),
			"safetensors: tensor \"a\" starts at byte 4; the first tensor must start at byte 0 of the data — the file is corrupt", ""},
		{"st overlapping tensors", "safetensors", stBytes(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			"safetensors: tensor \"b\" at bytes [4, 12) overlaps tensor \"a\" at [0, 8); the file is corrupt", ""},
		{"st gap between tensors", "safetensors", stBytes(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)),
			"safetensors: tensor \"b\" starts at byte 8 but the previous tensor ends at 4; the data region has a gap — the file is corrupt", ""},
		{"st duplicate tensor", "safetensors", st(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`),
			"safetensors: tensor \"a\" appears twice in the header", ""},
		{"st offsets past the end", "safetensors", st(`{"a":{"dtype":"F64","shape":[1000],"data_offsets":[0,8000]}}`),
			"safetensors: the header's tensors need 8000 bytes of data but the file has 8 after the header; it is truncated — save it again", ""},
		{"st huge offsets, tiny file", "safetensors", st(`{"a":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`),
			"safetensors: the header's tensors need 4000000000 bytes of data but the file has 8 after the header; it is truncated — save it again", ""},
		{"st data not covered", "safetensors", stBytes(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)),
			"safetensors: the file goes on after the 4 bytes of data the header describes; the data region must be covered exactly — the file is corrupt", "LoadSafetensors PATH: the header's tensors cover 4 bytes of data but the file has 8 after the header; the data region must be covered exactly — the file is corrupt"},
		{"st metadata not strings", "safetensors", stBytes(`{"__metadata__":{"n":1}}`, nil),
			"safetensors: metadata value for \"n\" must be a string, got 1; store numbers and lists as JSON text (json.dumps)", ""},
		{"st metadata not an object", "safetensors", stBytes(`{"__metadata__":[1]}`, nil),
			"safetensors: \"__metadata__\" must be an object of strings, got [1]", ""},
		{"st metadata twice", "safetensors", stBytes(`{"__metadata__":{},"__metadata__":{}}`, nil),
			"safetensors: the header has \"__metadata__\" twice", ""},
		{"st sub-byte dtype, odd count", "safetensors", stBytes(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}`, make([]byte, 1)),
			"safetensors: tensor \"a\": 3 elements of F4 do not fill whole bytes", ""},
	}
}

func readBad(c badFileCase) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	switch c.format {
	case "npy":
		err = ReadNPY(bytes.NewReader(c.data)).Err()
	case "npz":
		err = ReadNPZ(bytes.NewReader(c.data), int64(len(c.data))).Err()
	case "safetensors":
		err = ReadSafetensors(bytes.NewReader(c.data)).Err()
	}
	return err
}

func loadBad(c badFileCase, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	switch c.format {
	case "npy":
		err = LoadNPY(path).Err()
	case "npz":
		err = LoadNPZ(path).Err()
	case "safetensors":
		err = LoadSafetensors(path).Err()
	}
	return err
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	for i, c := range badFileCases() {
		err := readBad(c)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v does not wrap ErrFormat", c.name, err)
		}
		if c.read == "" {
			t.Logf("%s:\n\tread: %s", c.name, err)
		} else if err.Error() != c.read {
			t.Errorf("%s:\n got  %s\n want %s", c.name, err, c.read)
		}
		path := filepath.Join(dir, fmt.Sprintf("bad%02d.%s", i, c.format))
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		lerr := loadBad(c, path)
		if lerr == nil {
			t.Errorf("%s: Load: no error", c.name)
			continue
		}
		if !errors.Is(lerr, ErrFormat) {
			t.Errorf("%s: Load: %v does not wrap ErrFormat", c.name, lerr)
		}
		op := map[string]string{"npy": "LoadNPY", "npz": "LoadNPZ", "safetensors": "LoadSafetensors"}[c.format]
		want := c.load
		if want == "" && c.read != "" {
			want = op + " PATH: " + strings.TrimPrefix(c.read, c.format+": ")
		}
		got := strings.ReplaceAll(lerr.Error(), path, "PATH")
		if want == "" {
			t.Logf("\tload: %s", got)
		} else if got != want {
			t.Errorf("%s: Load:\n got  %s\n want %s", c.name, got, want)
		}
	}
}
