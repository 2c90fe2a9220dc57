package tensor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The safetensors format (https://github.com/huggingface/safetensors):
//
//	8 bytes      N, little-endian uint64: the header length
//	N bytes      UTF-8 JSON: {"__metadata__": {"k": "v", ...},
//	             "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//	             padded with spaces so that 8+N is a multiple of 8
//	rest         the tensors' bytes, little-endian, row-major; offsets are
//	             relative to the start of this region
//
// The reader validates a file as the Rust crate does: the header length is
// bounded and within the file, the header is one JSON object starting with
// '{', every dtype is known, each tensor's byte range matches its dtype and
// shape, the ranges do not overlap and leave no gaps, and together they
// cover the data region exactly.

// safetensorsMaxHeader is the Rust crate's MAX_HEADER_SIZE.
const safetensorsMaxHeader = 100_000_000

// safetensorsMaxRank bounds the dimensions of one tensor.
const safetensorsMaxRank = 64

// safetensorsBits is the size in bits of each dtype the format defines.
var safetensorsBits = map[string]uint64{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// safetensorsEntry is one tensor's header record.
type safetensorsEntry struct {
	name       string
	dtype      string
	shape      []int
	begin, end uint64
}

// SafetensorsFile is a parsed safetensors file: its tensors (decoded to
// float32 on demand by Tensor) and its metadata map. Like a Tensor it
// carries its error: a cell that ends in tensor.LoadSafetensors(path) shows
// either what the file holds or what went wrong, Err reports it in a
// program, and every method is safe on a failed or nil file (no names, and
// tensors that carry the error).
type SafetensorsFile struct {
	entries map[string]*safetensorsEntry
	meta    map[string]string
	data    []byte // the data region (read whole), or nil
	err     error
	// A file opened with OpenSafetensors: its data region starts at byte
	// dataStart of src.
	src       io.ReaderAt
	dataStart int64
	closer    io.Closer
}

// ReadSafetensors reads and validates a safetensors file from r. Every
// tensor is kept; Tensor converts F16, BF16, F32 and F64 to float32 and
// reports other dtypes as unsupported. The result carries any error (Err).
func ReadSafetensors(r io.Reader) *SafetensorsFile {
	f, err := readSafetensors(r, -1)
	if err != nil {
		return &SafetensorsFile{err: err}
	}
	return f
}

// Err returns the error that reading the file met, or nil.
func (f *SafetensorsFile) Err() error {
	if f == nil {
		return Errorf(ErrValue, "safetensors: nil *SafetensorsFile; read a file with tensor.LoadSafetensors")
	}
	return f.err
}

func readSafetensors(r io.Reader, size int64) (*SafetensorsFile, error) {
	var pre [8]byte
	if k, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, Errorf(ErrFormat, "safetensors: the file has %d bytes; expected at least 8 (the header length) — it is empty or truncated", k)
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if string(pre[:6]) == npyMagic {
		return nil, Errorf(ErrFormat, "safetensors: this is a .npy file, not safetensors; read it with LoadNPY")
	}
	if string(pre[:4]) == "PK\x03\x04" {
		return nil, Errorf(ErrFormat, "safetensors: this is a zip archive, not safetensors (an .npz: read it with LoadNPZ; a torch.save file: convert it with %s)", torchConvert(""))
	}
	if n > safetensorsMaxHeader {
		return nil, Errorf(ErrFormat, "safetensors: header length %d is larger than the %d-byte limit; this is not a safetensors file or it is corrupt", n, safetensorsMaxHeader)
	}
	if size >= 0 && int64(n) > size-8 {
		return nil, Errorf(ErrFormat, "safetensors: header length %d runs past the end of the %d-byte file; it is truncated or corrupt", n, size)
	}
	hdr, err := readExact(r, int64(n))
	if err != nil {
		return nil, Errorf(ErrFormat, "safetensors: header length %d runs past the end of the file (%d header bytes present); it is truncated", n, len(hdr))
	}
	f, dataLen, err := parseSafetensorsHeader(hdr)
	if err != nil {
		return nil, err
	}
	if size >= 0 && int64(dataLen) != size-8-int64(n) {
		return nil, safetensorsCoverErr(dataLen, uint64(size-8-int64(n)))
	}
	data, err := readExact(r, int64(dataLen))
	if err != nil {
		return nil, safetensorsCoverErr(dataLen, uint64(len(data)))
	}
	if size < 0 {
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			return nil, Errorf(ErrFormat, "safetensors: the file goes on after the %d bytes of data the header describes; the data region must be covered exactly — the file is corrupt", dataLen)
		}
	}
	f.data, f.dataStart = data, 8+int64(n)
	return f, nil
}

func safetensorsCoverErr(want, have uint64) error {
	if have < want {
		return Errorf(ErrFormat, "safetensors: the header's tensors need %d bytes of data but the file has %d after the header; it is truncated — save it again", want, have)
	}
	return Errorf(ErrFormat, "safetensors: the header's tensors cover %d bytes of data but the file has %d after the header; the data region must be covered exactly — the file is corrupt", want, have)
}

// parseSafetensorsHeader parses and validates the JSON header and returns
// the file (without data) and the data region's length.
func parseSafetensorsHeader(hdr []byte) (*SafetensorsFile, uint64, error) {
	if !utf8.Valid(hdr) {
		return nil, 0, Errorf(ErrFormat, "safetensors: the header is not valid UTF-8; this is not a safetensors file")
	}
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, 0, Errorf(ErrFormat, "safetensors: the header must be a JSON object starting with '{', got %q; this is not a safetensors file", shortBytes(hdr))
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	bad := func(err error) (*SafetensorsFile, uint64, error) {
		return nil, 0, Errorf(ErrFormat, "safetensors: the header is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != nil { // '{'
		return bad(err)
	}
	f := &SafetensorsFile{entries: map[string]*safetensorsEntry{}}
	var order []*safetensorsEntry
	sawMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		name := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad(err)
		}
		if name == "__metadata__" {
			if sawMeta {
				return nil, 0, Errorf(ErrFormat, "safetensors: the header has \"__metadata__\" twice")
			}
			sawMeta = true
			m, err := parseSafetensorsMeta(raw)
			if err != nil {
				return nil, 0, err
			}
			f.meta = m
			continue
		}
		if _, dup := f.entries[name]; dup {
			return nil, 0, Errorf(ErrFormat, "safetensors: tensor %q appears twice in the header", name)
		}
		e, err := parseSafetensorsEntry(name, raw)
		if err != nil {
			return nil, 0, err
		}
		f.entries[name] = e
		order = append(order, e)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return bad(err)
	}
	if rest := hdr[dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		return nil, 0, Errorf(ErrFormat, "safetensors: unexpected %q after the header's JSON object", shortBytes(bytes.TrimLeft(rest, " \t\r\n")))
	}
	// Ranges sorted by offset must tile [0, end) with no gap or overlap.
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].begin != order[j].begin {
			return order[i].begin < order[j].begin
		}
		return order[i].end < order[j].end
	})
	var pos uint64
	var prev *safetensorsEntry
	for _, e := range order {
		if e.begin != pos {
			if prev == nil {
				return nil, 0, Errorf(ErrFormat, "safetensors: tensor %q starts at byte %d; the first tensor must start at byte 0 of the data — the file is corrupt", e.name, e.begin)
			}
			if e.begin < pos {
				return nil, 0, Errorf(ErrFormat, "safetensors: tensor %q at bytes [%d, %d) overlaps tensor %q at [%d, %d); the file is corrupt", e.name, e.begin, e.end, prev.name, prev.begin, prev.end)
			}
			return nil, 0, Errorf(ErrFormat, "safetensors: tensor %q starts at byte %d but the previous tensor ends at %d; the data region has a gap — the file is corrupt", e.name, e.begin, pos)
		}
		pos = e.end
		prev = e
	}
	return f, pos, nil
}

func parseSafetensorsMeta(raw json.RawMessage) (map[string]string, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, Errorf(ErrFormat, "safetensors: \"__metadata__\" must be an object of strings, got %s", shortBytes(raw))
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, Errorf(ErrFormat, "safetensors: metadata value for %q must be a string, got %s; store numbers and lists as JSON text (json.dumps)", k, shortBytes(mustJSON(v)))
		}
		out[k] = s
	}
	return out, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func parseSafetensorsEntry(name string, raw json.RawMessage) (*safetensorsEntry, error) {
	var info struct {
		Dtype       *string `json:"dtype"`
		Shape       *[]any  `json:"shape"`
		DataOffsets *[]any  `json:"data_offsets"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&info); err != nil {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: expected {\"dtype\", \"shape\", \"data_offsets\"}, got %s", name, shortBytes(raw))
	}
	if info.Dtype == nil || info.Shape == nil || info.DataOffsets == nil {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: expected {\"dtype\", \"shape\", \"data_offsets\"}, got %s", name, shortBytes(raw))
	}
	e := &safetensorsEntry{name: name, dtype: *info.Dtype}
	bits, ok := safetensorsBits[e.dtype]
	if !ok {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q has unknown dtype %q; expected one of F16, BF16, F32, F64 (or another safetensors dtype)", name, e.dtype)
	}
	if len(*info.Shape) > safetensorsMaxRank {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q has %d dimensions; at most %d are allowed", name, len(*info.Shape), safetensorsMaxRank)
	}
	n := uint64(1)
	overflow := false
	e.shape = make([]int, len(*info.Shape))
	for i, v := range *info.Shape {
		d, ok := jsonUint(v)
		if !ok {
			return nil, Errorf(ErrFormat, "safetensors: tensor %q: shape must be a list of non-negative integers, got %s", name, shortBytes(mustJSON(*info.Shape)))
		}
		if d > math.MaxInt32 {
			overflow = true
		}
		if d != 0 && n > math.MaxUint64/d {
			overflow = true
		}
		n *= d
		e.shape[i] = int(d)
	}
	if len(*info.DataOffsets) != 2 {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: data_offsets must be [begin, end], got %s", name, shortBytes(mustJSON(*info.DataOffsets)))
	}
	var okB, okE bool
	e.begin, okB = jsonUint((*info.DataOffsets)[0])
	e.end, okE = jsonUint((*info.DataOffsets)[1])
	if !okB || !okE {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: data_offsets must be two non-negative integers, got %s", name, shortBytes(mustJSON(*info.DataOffsets)))
	}
	if e.end < e.begin {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: data_offsets [%d, %d] end before they begin; the file is corrupt", name, e.begin, e.end)
	}
	if overflow || n > math.MaxUint64/bits {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: shape %v is too large; the header is corrupt", name, e.shape)
	}
	nbits := n * bits
	if nbits%8 != 0 {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: %d elements of %s do not fill whole bytes", name, n, e.dtype)
	}
	if e.end-e.begin != nbits/8 {
		return nil, Errorf(ErrFormat, "safetensors: tensor %q: shape %v of %s needs %d bytes but data_offsets [%d, %d] hold %d; the header is corrupt", name, e.shape, e.dtype, nbits/8, e.begin, e.end, e.end-e.begin)
	}
	return e, nil
}

// jsonUint reads a JSON number that is a non-negative integer.
func jsonUint(v any) (uint64, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(string(num), 10, 64)
	return u, err == nil
}

func shortBytes(b []byte) string {
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// LoadSafetensors reads and validates a safetensors file (the whole file
// is read into memory; tensors are decoded when asked for). The result
// carries any error (Err), so a cell shows either the tensors or what went
// wrong:
//
//	f := tensor.LoadSafetensors("att.safetensors")
//	att := f.Tensor("attention")
func LoadSafetensors(path string) *SafetensorsFile {
	f, err := loadSafetensors(path)
	if err != nil {
		return &SafetensorsFile{err: err}
	}
	return f
}

func loadSafetensors(path string) (*SafetensorsFile, error) {
	f, err := openFile("LoadSafetensors", path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sf, err := readSafetensors(bufio.NewReaderSize(f, 1<<16), fileSize(f))
	if err != nil {
		if e := sniff(f, fileSize(f), path, "safetensors"); e != nil {
			err = e
		}
		return nil, prefixErr("LoadSafetensors "+path, err)
	}
	return sf, nil
}

// LoadSafetensorsTensor reads one tensor of a safetensors file; the tensor
// carries any error (for a notebook cell):
//
//	att := tensor.LoadSafetensorsTensor("att.safetensors", "attention")
func LoadSafetensorsTensor(path, name string) *Tensor {
	f, err := loadSafetensors(path)
	if err != nil {
		return Failed(err)
	}
	t := f.Tensor(name)
	if err := t.Err(); err != nil {
		return Failed(prefixErr("LoadSafetensorsTensor "+path, err))
	}
	return t
}

// Names returns the tensor names, sorted.
func (f *SafetensorsFile) Names() []string {
	if f.Err() != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(f.entries))
}

// Metadata returns a copy of the file's "__metadata__" map (empty when the
// file has none or could not be read).
func (f *SafetensorsFile) Metadata() map[string]string {
	out := map[string]string{}
	if f.Err() == nil {
		for k, v := range f.meta {
			out[k] = v
		}
	}
	return out
}

// Dtype returns the stored dtype of a tensor ("F32", "BF16", ...), or ""
// when there is no such tensor.
func (f *SafetensorsFile) Dtype(name string) string {
	if f.Err() != nil || f.entries[name] == nil {
		return ""
	}
	return f.entries[name].dtype
}

// Shape returns the shape of a tensor, or nil when there is no such tensor.
func (f *SafetensorsFile) Shape(name string) []int {
	if f.Err() != nil || f.entries[name] == nil {
		return nil
	}
	return append([]int(nil), f.entries[name].shape...)
}

// Tensor decodes the named tensor to float32 on the default device: F32
// exactly, F16 and BF16 exactly (every value is a float32), F64 rounded to
// nearest. The result carries the file's error, an ErrNotFound error for
// an unknown name (listing the names there are) or an ErrFormat error for
// other dtypes.
func (f *SafetensorsFile) Tensor(name string) *Tensor {
	e, dt, err := f.entry(name)
	if err != nil {
		return Failed(err)
	}
	if err := checkShape("safetensors", e.shape); err != nil {
		return Failed(Errorf(ErrFormat, "safetensors: tensor %q: %v", name, err))
	}
	data := make([]float32, numel(e.shape))
	if err := f.readInto(data, name, int64(e.begin), int64(e.end-e.begin), dt); err != nil {
		return Failed(err)
	}
	if len(e.shape) == 0 {
		return Scalar(data[0])
	}
	return Wrap(data, e.shape...) // data is fresh: no second copy
}

// entry is the named tensor's header entry and its dtype.
func (f *SafetensorsFile) entry(name string) (*safetensorsEntry, npyDtype, error) {
	if err := f.Err(); err != nil {
		return nil, npyDtype{}, err
	}
	e, ok := f.entries[name]
	if !ok {
		return nil, npyDtype{}, Errorf(ErrNotFound, "safetensors: no tensor named %q; the file has %s", name, quoteList(f.Names()))
	}
	dt, err := safetensorsDtype(name, e)
	return e, dt, err
}

// readInto decodes nbytes of the named tensor's data, from begin (counted
// from the start of the data region), into data: from memory, or from the
// file of OpenSafetensors.
func (f *SafetensorsFile) readInto(data []float32, name string, begin, nbytes int64, dt npyDtype) error {
	switch {
	case f.data != nil:
		decodeNPYInto(data, f.data[begin:begin+nbytes], dt)
	case f.src == nil:
		return Errorf(ErrValue, "safetensors: tensor %q: the file is closed; open it again with OpenSafetensors", name)
	default:
		if _, err := decodeStream(io.NewSectionReader(f.src, f.dataStart+begin, nbytes), dt, data); err != nil {
			return Errorf(ErrFormat, "safetensors: tensor %q: the file ends inside the data (was it truncated after it was opened?)", name)
		}
	}
	return nil
}

// Tensors decodes every tensor, by name; a tensor of a dtype attnviz does
// not read carries an ErrFormat error. It is nil when the file failed.
func (f *SafetensorsFile) Tensors() map[string]*Tensor {
	if f.Err() != nil {
		return nil
	}
	out := map[string]*Tensor{}
	for _, name := range f.Names() {
		out[name] = f.Tensor(name)
	}
	return out
}

// String lists the tensors and metadata keys, for a notebook cell, or says
// what went wrong.
func (f *SafetensorsFile) String() string {
	if err := f.Err(); err != nil {
		return "safetensors error: " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "safetensors: %d tensors", len(f.entries))
	for _, name := range f.Names() {
		e := f.entries[name]
		fmt.Fprintf(&b, "\n  %s %s %v", name, e.dtype, e.shape)
	}
	if len(f.meta) > 0 {
		fmt.Fprintf(&b, "\n  metadata: %s", strings.Join(slices.Sorted(maps.Keys(f.meta)), ", "))
	}
	return b.String()
}

// WriteSafetensors writes tensors as a safetensors file of F32 with the
// given metadata (may be nil). See WriteSafetensorsAs.
func WriteSafetensors(w io.Writer, tensors map[string]*Tensor, meta map[string]string) error {
	return WriteSafetensorsAs(w, tensors, meta, "F32")
}

// WriteSafetensorsAs writes tensors as a safetensors file with every
// tensor stored as dtype: "F32", "F16" or "BF16" (rounded to nearest
// even), or "F64". The output is deterministic and laid out as the Rust
// crate lays it out: "__metadata__" first, tensors in name order, compact
// JSON, the header padded with spaces to a multiple of 8 bytes. Nothing
// is written when a tensor carries an error or a name is empty or
// "__metadata__".
func WriteSafetensorsAs(w io.Writer, tensors map[string]*Tensor, meta map[string]string, dtype string) error {
	b, err := encodeSafetensors(tensors, meta, dtype)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// SaveSafetensors writes tensors (F32) and metadata to path, atomically:
// on any error nothing is left at path. Python reads it with
// safetensors.torch.load_file(path) / safe_open(path, "pt").metadata().
func SaveSafetensors(path string, tensors map[string]*Tensor, meta map[string]string) error {
	return SaveSafetensorsAs(path, tensors, meta, "F32")
}

// SaveSafetensorsAs is SaveSafetensors with a dtype (see WriteSafetensorsAs).
func SaveSafetensorsAs(path string, tensors map[string]*Tensor, meta map[string]string, dtype string) error {
	return saveFile("SaveSafetensors", path, func() ([]byte, error) { return encodeSafetensors(tensors, meta, dtype) })
}

func encodeSafetensors(tensors map[string]*Tensor, meta map[string]string, dtype string) ([]byte, error) {
	var size int
	var dt npyDtype // the element encoding, shared with the .npy writer
	switch dtype {
	case "F16", "BF16":
		size, dt = 2, npyDtype{kind: 'f', size: 2, order: binary.LittleEndian}
	case "F32":
		size, dt = 4, npyDtype{kind: 'f', size: 4, order: binary.LittleEndian}
	case "F64":
		size, dt = 8, npyDtype{kind: 'f', size: 8, order: binary.LittleEndian}
	default:
		return nil, Errorf(ErrValue, "safetensors: cannot write dtype %q; use \"F32\", \"F16\", \"BF16\" or \"F64\"", dtype)
	}
	names := slices.Sorted(maps.Keys(tensors))
	type info struct {
		Dtype       string   `json:"dtype"`
		Shape       []int    `json:"shape"`
		DataOffsets [2]int64 `json:"data_offsets"`
	}
	var hdr bytes.Buffer
	je := json.NewEncoder(&hdr)
	je.SetEscapeHTML(false)
	hdr.WriteByte('{')
	if len(meta) > 0 {
		hdr.WriteString(`"__metadata__":`)
		if err := je.Encode(meta); err != nil { // sorted keys
			return nil, err
		}
		hdr.Truncate(hdr.Len() - 1) // Encode's newline
	}
	total := 0
	for _, name := range names {
		total += tensors[name].Len() * size
	}
	data := make([]byte, 0, total)
	for i, name := range names {
		if name == "" || name == "__metadata__" {
			return nil, Errorf(ErrValue, "safetensors: a tensor cannot be named %q; pick another name", name)
		}
		vals, err := tensors[name].DataErr()
		if err != nil {
			return nil, prefixErr(fmt.Sprintf("safetensors: tensor %q", name), err)
		}
		begin := int64(len(data))
		if dtype == "BF16" {
			for _, v := range vals {
				data = binary.LittleEndian.AppendUint16(data, Float32ToBFloat16(v))
			}
		} else {
			data = appendElements(data, vals, dt)
		}
		if i > 0 || len(meta) > 0 {
			hdr.WriteByte(',')
		}
		if err := je.Encode(name); err != nil {
			return nil, err
		}
		hdr.Truncate(hdr.Len() - 1)
		hdr.WriteByte(':')
		shape := tensors[name].Shape()
		if shape == nil {
			shape = []int{}
		}
		if err := je.Encode(info{Dtype: dtype, Shape: shape, DataOffsets: [2]int64{begin, int64(len(data))}}); err != nil {
			return nil, err
		}
		hdr.Truncate(hdr.Len() - 1)
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	out := make([]byte, 8, 8+hdr.Len()+len(data))
	binary.LittleEndian.PutUint64(out, uint64(hdr.Len()))
	out = append(out, hdr.Bytes()...)
	return append(out, data...), nil
}
