package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// GGUF file layout (little endian), versions 2 and 3:
//
//	magic "GGUF" | version u32 | tensor_count u64 | kv_count u64
//	kv_count × { key string | value_type u32 | value }
//	tensor_count × { name string | n_dims u32 | dims u64[n_dims] | ggml_type u32 | offset u64 }
//	padding to general.alignment (default 32)
//	tensor data; each tensor at data_start + offset
//
// A string is a u64 length followed by that many bytes. dims[0] is the
// fastest-varying dimension, so a tensor with dims [64 512] is a row-major
// [512 64] matrix.

// ValueType is the type tag of a GGUF metadata value.
type ValueType uint32

// GGUF metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32",
	"float32", "bool", "string", "array", "uint64", "int64", "float64"}

func (v ValueType) String() string {
	if int(v) < len(valueTypeNames) {
		return valueTypeNames[v]
	}
	return fmt.Sprintf("type(%d)", uint32(v))
}

// size is the fixed size in bytes of a scalar value type (0 for string/array/unknown).
func (v ValueType) size() int {
	switch v {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// GGMLType is the element type of a tensor in a GGUF file.
type GGMLType uint32

// The GGML tensor types this reader knows by name (ggmlNames); F32, F16,
// BF16 and the quantized types of quant.go can be loaded, the others are
// recognised so the error can name them.
const (
	GGMLF32  GGMLType = 0
	GGMLF16  GGMLType = 1
	GGMLBF16 GGMLType = 30
)

var ggmlNames = map[GGMLType]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
	10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
	16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
	22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
	29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}

func (g GGMLType) String() string {
	if s, ok := ggmlNames[g]; ok {
		return s
	}
	return fmt.Sprintf("ggml_type(%d)", uint32(g))
}

// ggmlBlocks gives, per type, the elements per block and the bytes per
// block, so the extent of every tensor can be checked, loadable or not.
var ggmlBlocks = map[GGMLType][2]int{
	0: {1, 4}, 1: {1, 2}, 2: {32, 18}, 3: {32, 20}, 6: {32, 22}, 7: {32, 24}, 8: {32, 34}, 9: {32, 36},
	10: {256, 84}, 11: {256, 110}, 12: {256, 144}, 13: {256, 176}, 14: {256, 210}, 15: {256, 292},
	16: {256, 66}, 17: {256, 74}, 18: {256, 98}, 19: {256, 50}, 20: {32, 18}, 21: {256, 110},
	22: {256, 82}, 23: {256, 136}, 24: {1, 1}, 25: {1, 2}, 26: {1, 4}, 27: {1, 8}, 28: {1, 8},
	29: {256, 56}, 30: {1, 2}, 34: {256, 54}, 35: {256, 66}, 39: {32, 17},
}

// KV is one metadata entry. Value holds, by Type: uint8, int8, uint16, int16,
// uint32, int32, float32, bool, string, uint64, int64, float64, or for
// TypeArray a *Array.
type KV struct {
	Key   string
	Type  ValueType
	Value any
}

// Array is a GGUF metadata array. Values holds a slice of the element type
// ([]string, []float32, []int32, []uint32, ...); nested arrays are []*Array.
type Array struct {
	Elem   ValueType
	Values any
	Len    int
}

// TensorInfo describes one tensor stored in a GGUF file.
type TensorInfo struct {
	Name   string
	Dims   []uint64 // as stored: Dims[0] is the fastest-varying dimension
	Type   GGMLType
	Offset uint64 // relative to the start of the data section
}

// Shape is the row-major shape of the tensor (Dims reversed).
func (ti TensorInfo) Shape() []int {
	s := make([]int, len(ti.Dims))
	for i, d := range ti.Dims {
		s[len(ti.Dims)-1-i] = int(d)
	}
	return s
}

// Elements is the number of elements of the tensor.
func (ti TensorInfo) Elements() int {
	n := 1
	for _, d := range ti.Dims {
		n *= int(d)
	}
	return n
}

// GGUF is a parsed GGUF file held in memory.
type GGUF struct {
	Version   uint32
	Alignment int
	KV        []KV
	Tensors   []TensorInfo
	DataStart int // byte offset of the tensor data section

	kv      map[string]int
	tensors map[string]int
	data    []byte
	mapped  *mapping // non-nil when data is a memory map of the file (ReadGGUF)
}

// Limits that keep a malformed file from asking for absurd allocations. Every
// count is also checked against the bytes left in the file.
const (
	maxDims      = 8
	maxKeyLen    = 1 << 16
	maxArrayNest = 4
)

// ReadGGUF reads and parses the GGUF file at path. The file is
// memory-mapped where the system allows (read into memory elsewhere):
// tensors are decoded from the map when asked for, and the pages a decoded
// tensor came from are handed back, so a file costs memory only for what
// has been decoded. Close unmaps it (also done when the *GGUF is garbage).
func ReadGGUF(path string) (*GGUF, error) {
	data, m, err := mapFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, tensor.Errorf(tensor.ErrNotFound, "model: cannot read GGUF file: %w; %s", err, notFoundHint(path, "check the path"))
	}
	if err != nil { // permission denied, a directory, an I/O error: say what it is
		return nil, tensor.Errorf(tensor.ErrValue, "model: cannot read GGUF file: %w", err)
	}
	g, err := ParseGGUF(data)
	if err != nil {
		m.release()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g.attach(m)
	return g, nil
}

// ParseGGUF parses a GGUF file held in memory. The returned value keeps a
// reference to data. Malformed input gives an error wrapping tensor.ErrFormat.
func ParseGGUF(data []byte) (*GGUF, error) {
	r := &reader{b: data}
	magic := r.u32()
	if r.err != nil || magic != 0x46554747 {
		return nil, tensor.Errorf(tensor.ErrFormat, "gguf: not a GGUF file: want magic \"GGUF\" in the first 4 bytes, got %q", prefix(data, 4))
	}
	g := &GGUF{Version: r.u32(), Alignment: 32, kv: map[string]int{}, tensors: map[string]int{}, data: data}
	if r.err != nil {
		return nil, r.fail("version")
	}
	if g.Version != 2 && g.Version != 3 {
		return nil, tensor.Errorf(tensor.ErrFormat, "gguf: unsupported GGUF version %d: want 2 or 3 (version 1 files predate 64-bit counts; re-convert the model with a current llama.cpp)", g.Version)
	}
	nTensors := r.u64()
	nKV := r.u64()
	if r.err != nil {
		return nil, r.fail("header")
	}
	// Each kv needs ≥ 8+4 bytes, each tensor info ≥ 8+4+4+8 bytes.
	if nKV > uint64(r.left()/12) {
		return nil, tensor.Errorf(tensor.ErrFormat, "gguf: header declares %d metadata entries but only %d bytes follow; the file is truncated or corrupt", nKV, r.left())
	}
	if nTensors > uint64(r.left()/24) {
		return nil, tensor.Errorf(tensor.ErrFormat, "gguf: header declares %d tensors but only %d bytes follow; the file is truncated or corrupt", nTensors, r.left())
	}
	g.KV = make([]KV, 0, nKV)
	for i := uint64(0); i < nKV; i++ {
		key := r.str()
		if r.err != nil {
			return nil, r.fail(fmt.Sprintf("metadata key %d", i))
		}
		if len(key) > maxKeyLen {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: metadata key %d is %d bytes long (limit %d); the file is corrupt", i, len(key), maxKeyLen)
		}
		typ := ValueType(r.u32())
		v := r.value(typ, 0)
		if r.err != nil {
			return nil, r.fail(fmt.Sprintf("metadata %q", key))
		}
		if _, dup := g.kv[key]; dup {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: metadata key %q appears twice; the file is corrupt", key)
		}
		g.kv[key] = len(g.KV)
		g.KV = append(g.KV, KV{Key: key, Type: typ, Value: v})
	}
	if i, ok := g.kv["general.alignment"]; ok {
		a, ok := toInt(g.KV[i].Value)
		if !ok || a <= 0 || a > 1<<20 || a&(a-1) != 0 {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: general.alignment must be a power of two between 1 and 2^20, got %v (%s)", g.KV[i].Value, g.KV[i].Type)
		}
		g.Alignment = a
	}
	g.Tensors = make([]TensorInfo, 0, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		var ti TensorInfo
		ti.Name = r.str()
		nd := r.u32()
		if r.err != nil {
			return nil, r.fail(fmt.Sprintf("tensor info %d", i))
		}
		if nd == 0 || nd > maxDims {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensor %q declares %d dimensions: want 1 to %d", ti.Name, nd, maxDims)
		}
		ti.Dims = make([]uint64, nd)
		// No type packs more than 8 elements per byte, so a tensor cannot hold
		// more than 8× the file's bytes in elements (checked without overflow).
		limit := 8*uint64(len(data)) + 64
		total := uint64(1)
		for d := range ti.Dims {
			ti.Dims[d] = r.u64()
			if r.err != nil {
				break
			}
			if ti.Dims[d] == 0 || ti.Dims[d] > limit/total {
				return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensor %q has dims %v: dimension %d is %d, impossible for a %d-byte file", ti.Name, ti.Dims[:d+1], d, ti.Dims[d], len(data))
			}
			total *= ti.Dims[d]
		}
		ti.Type = GGMLType(r.u32())
		ti.Offset = r.u64()
		if r.err != nil {
			return nil, r.fail(fmt.Sprintf("tensor info %q", ti.Name))
		}
		if _, dup := g.tensors[ti.Name]; dup {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensor %q appears twice; the file is corrupt", ti.Name)
		}
		g.tensors[ti.Name] = len(g.Tensors)
		g.Tensors = append(g.Tensors, ti)
	}
	start := r.off
	if rem := start % g.Alignment; rem != 0 {
		start += g.Alignment - rem
	}
	g.DataStart = start
	type span struct {
		lo, hi uint64
		name   string
	}
	var spans []span
	// Check every tensor's extent now (types of unknown block size excepted),
	// so Tensor never reads out of bounds.
	for _, ti := range g.Tensors {
		blk, ok := ggmlBlocks[ti.Type]
		if !ok {
			continue // an unknown type: reported when the tensor is asked for
		}
		if ti.Dims[0]%uint64(blk[0]) != 0 {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensor %q (%s) has a row of %d elements, not a multiple of the type's block of %d", ti.Name, ti.Type, ti.Dims[0], blk[0])
		}
		size := uint64(ti.Elements()) / uint64(blk[0]) * uint64(blk[1])
		end := uint64(start) + ti.Offset + size
		if ti.Offset > uint64(len(data)) || end > uint64(len(data)) {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensor %q (%s %v) at data offset %d needs %d bytes, but the file ends %d bytes after the data start; the file is truncated", ti.Name, ti.Type, ti.Shape(), ti.Offset, size, len(data)-start)
		}
		if ti.Offset%uint64(g.Alignment) != 0 {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensor %q offset %d is not a multiple of the alignment %d", ti.Name, ti.Offset, g.Alignment)
		}
		spans = append(spans, span{ti.Offset, ti.Offset + size, ti.Name})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if a, b := spans[i-1], spans[i]; b.lo < a.hi {
			return nil, tensor.Errorf(tensor.ErrFormat, "gguf: tensors %q (data bytes %d–%d) and %q (from %d) overlap; the file is corrupt", a.name, a.lo, a.hi, b.name, b.lo)
		}
	}
	return g, nil
}

func prefix(b []byte, n int) []byte {
	if len(b) < n {
		return b
	}
	return b[:n]
}

// Get returns the metadata entry for key.
func (g *GGUF) Get(key string) (KV, bool) {
	i, ok := g.kv[key]
	if !ok {
		return KV{}, false
	}
	return g.KV[i], true
}

// Keys lists the metadata keys in file order.
func (g *GGUF) Keys() []string {
	out := make([]string, len(g.KV))
	for i, kv := range g.KV {
		out[i] = kv.Key
	}
	return out
}

// Str returns a string metadata value. (It is not named String: a String
// method with no arguments is what fmt looks for.)
func (g *GGUF) Str(key string) (string, bool) {
	kv, ok := g.Get(key)
	if !ok {
		return "", false
	}
	s, ok := kv.Value.(string)
	return s, ok
}

// Int returns an integer metadata value of any integer type.
func (g *GGUF) Int(key string) (int, bool) {
	kv, ok := g.Get(key)
	if !ok {
		return 0, false
	}
	return toInt(kv.Value)
}

// Float returns a float (or integer) metadata value.
func (g *GGUF) Float(key string) (float64, bool) {
	kv, ok := g.Get(key)
	if !ok {
		return 0, false
	}
	switch v := kv.Value.(type) {
	case float32:
		return float64(v), true
	case float64:
		return v, true
	}
	i, ok := toInt(kv.Value)
	return float64(i), ok
}

// Strings returns a string-array metadata value.
func (g *GGUF) Strings(key string) ([]string, bool) {
	a, ok := g.array(key)
	if !ok {
		return nil, false
	}
	s, ok := a.Values.([]string)
	return s, ok
}

// Floats returns a numeric-array metadata value as float32.
func (g *GGUF) Floats(key string) ([]float32, bool) {
	a, ok := g.array(key)
	if !ok {
		return nil, false
	}
	switch v := a.Values.(type) {
	case []float32:
		return v, true
	case []float64:
		return float32s(v), true
	}
	ints, ok := g.Ints(key)
	if !ok {
		return nil, false
	}
	return float32s(ints), true
}

// array returns the array metadata value of key.
func (g *GGUF) array(key string) (*Array, bool) {
	kv, ok := g.Get(key)
	if !ok {
		return nil, false
	}
	a, ok := kv.Value.(*Array)
	return a, ok
}

func float32s[T float64 | int](v []T) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// Ints returns an integer-array metadata value as int.
func (g *GGUF) Ints(key string) ([]int, bool) {
	a, ok := g.array(key)
	if !ok {
		return nil, false
	}
	out := make([]int, a.Len)
	switch v := a.Values.(type) {
	case []int8:
		intsFrom(out, v)
	case []uint8:
		intsFrom(out, v)
	case []int16:
		intsFrom(out, v)
	case []uint16:
		intsFrom(out, v)
	case []int32:
		intsFrom(out, v)
	case []uint32:
		intsFrom(out, v)
	case []int64:
		intsFrom(out, v)
	case []uint64:
		intsFrom(out, v)
	default:
		return nil, false
	}
	return out, true
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case uint8:
		return int(x), true
	case int8:
		return int(x), true
	case uint16:
		return int(x), true
	case int16:
		return int(x), true
	case uint32:
		return int(x), true
	case int32:
		return int(x), true
	case uint64:
		if x > math.MaxInt32 {
			return 0, false
		}
		return int(x), true
	case int64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return 0, false
		}
		return int(x), true
	}
	return 0, false
}

// TensorInfo returns the description of the named tensor.
func (g *GGUF) TensorInfo(name string) (TensorInfo, bool) {
	i, ok := g.tensors[name]
	if !ok {
		return TensorInfo{}, false
	}
	return g.Tensors[i], true
}

// Tensor decodes the named tensor into a float32 host tensor with the
// row-major shape (dims reversed): F32, F16, BF16 and the block-quantized
// types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K … Q6_K (quant.go); other types
// give an error naming the type.
func (g *GGUF) Tensor(name string) *tensor.Tensor {
	ti, ok := g.TensorInfo(name)
	if !ok {
		names := make([]string, 0, len(g.Tensors))
		for _, t := range g.Tensors {
			names = append(names, t.Name)
		}
		sort.Strings(names)
		if len(names) > 12 {
			names = append(names[:12], "...")
		}
		return tensor.Failed(tensor.Errorf(tensor.ErrNotFound, "gguf: no tensor %q in the file; it has %s", name, strings.Join(names, ", ")))
	}
	data, err := g.decode(name, false)
	if err != nil {
		return tensor.Failed(err)
	}
	return tensor.Wrap(data, ti.Shape()...)
}

// reader is a bounds-checked little-endian cursor; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > r.left() {
		r.err = fmt.Errorf("need %d bytes at offset %d, only %d left", n, r.off, r.left())
		return false
	}
	return true
}

func (r *reader) fail(what string) error {
	return tensor.Errorf(tensor.ErrFormat, "gguf: truncated or corrupt file while reading %s: %v", what, r.err)
}

// take returns the next n bytes, or nil (and the error sticks) when fewer
// are left.
func (r *reader) take(n int) []byte {
	if !r.need(n) {
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

// get converts the next n bytes with conv; 0 when fewer are left.
func get[T any](r *reader, n int, conv func([]byte) T) (v T) {
	if b := r.take(n); b != nil {
		v = conv(b)
	}
	return v
}

func (r *reader) u8() uint8   { return get(r, 1, func(b []byte) uint8 { return b[0] }) }
func (r *reader) u16() uint16 { return get(r, 2, binary.LittleEndian.Uint16) }
func (r *reader) u32() uint32 { return get(r, 4, binary.LittleEndian.Uint32) }
func (r *reader) u64() uint64 { return get(r, 8, binary.LittleEndian.Uint64) }

func (r *reader) str() string {
	n := r.u64()
	if r.err != nil {
		return ""
	}
	if n > uint64(r.left()) {
		r.err = fmt.Errorf("string of %d bytes declared at offset %d, only %d bytes left", n, r.off-8, r.left())
		return ""
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s
}

func (r *reader) value(t ValueType, depth int) any {
	switch t {
	case TypeUint8:
		return r.u8()
	case TypeInt8:
		return int8(r.u8())
	case TypeUint16:
		return r.u16()
	case TypeInt16:
		return int16(r.u16())
	case TypeUint32:
		return r.u32()
	case TypeInt32:
		return int32(r.u32())
	case TypeFloat32:
		return math.Float32frombits(r.u32())
	case TypeBool:
		b := r.u8()
		if r.err == nil && b > 1 {
			r.err = fmt.Errorf("bool value %d at offset %d: want 0 or 1", b, r.off-1)
		}
		return b == 1
	case TypeString:
		return r.str()
	case TypeUint64:
		return r.u64()
	case TypeInt64:
		return int64(r.u64())
	case TypeFloat64:
		return math.Float64frombits(r.u64())
	case TypeArray:
		return r.array(depth)
	}
	if r.err == nil {
		r.err = fmt.Errorf("unknown value type %d at offset %d: want 0 to 12", uint32(t), r.off-4)
	}
	return nil
}

func (r *reader) array(depth int) *Array {
	if depth >= maxArrayNest {
		if r.err == nil {
			r.err = fmt.Errorf("arrays nested deeper than %d", maxArrayNest)
		}
		return nil
	}
	et := ValueType(r.u32())
	n64 := r.u64()
	if r.err != nil {
		return nil
	}
	min := et.size()
	switch et {
	case TypeString, TypeArray:
		min = 8 // a length or an element type + count
	case TypeUint8, TypeInt8, TypeBool, TypeUint16, TypeInt16, TypeUint32, TypeInt32, TypeFloat32, TypeUint64, TypeInt64, TypeFloat64:
	default:
		r.err = fmt.Errorf("array of unknown element type %d: want 0 to 12", uint32(et))
		return nil
	}
	if n64 > uint64(r.left()/min) {
		r.err = fmt.Errorf("array of %d %s elements declared at offset %d, but only %d bytes are left", n64, et, r.off-12, r.left())
		return nil
	}
	n := int(n64)
	a := &Array{Elem: et, Len: n}
	switch et {
	case TypeUint8:
		v := make([]uint8, n)
		copy(v, r.b[r.off:])
		r.off += n
		a.Values = v
	case TypeInt8:
		a.Values = readN(n, func() int8 { return int8(r.u8()) })
	case TypeBool:
		a.Values = readN(n, func() bool { return r.value(TypeBool, depth).(bool) })
	case TypeUint16:
		a.Values = readN(n, r.u16)
	case TypeInt16:
		a.Values = readN(n, func() int16 { return int16(r.u16()) })
	case TypeUint32:
		a.Values = readN(n, r.u32)
	case TypeInt32:
		a.Values = readN(n, func() int32 { return int32(r.u32()) })
	case TypeFloat32:
		a.Values = readN(n, func() float32 { return math.Float32frombits(r.u32()) })
	case TypeUint64:
		a.Values = readN(n, r.u64)
	case TypeInt64:
		a.Values = readN(n, func() int64 { return int64(r.u64()) })
	case TypeFloat64:
		a.Values = readN(n, func() float64 { return math.Float64frombits(r.u64()) })
	case TypeString:
		v := make([]string, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			v = append(v, r.str())
		}
		a.Values = v
	case TypeArray:
		v := make([]*Array, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			v = append(v, r.array(depth+1))
		}
		a.Values = v
	}
	if r.err != nil {
		return nil
	}
	return a
}

// readN returns n values read by next (the reader's bounds were checked for
// all n before; unexported: the notebook interpreter cannot call generic
// functions, and never needs this one).
func readN[T any](n int, next func() T) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = next()
	}
	return v
}

// intsFrom converts an integer array of any GGUF width into out (unexported:
// the notebook interpreter cannot call generic functions, but it never
// needs to call this one).
func intsFrom[T int8 | uint8 | int16 | uint16 | int32 | uint32 | int64 | uint64](out []int, v []T) {
	for i, x := range v {
		out[i] = int(x)
	}
}
