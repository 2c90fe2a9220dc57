//go:build unix

package testutil

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"syscall"
	"testing"

	"github.com/attnviz/attnviz/internal/half"
)

// WriteSparseRecord writes a safetensors file declaring "attention" as F16
// [L, H, T, T] (with meta as its __metadata__ when not nil) whose data
// region is a hole except for the slice (l, h), which holds head's T·T
// values: the size of a long-context record without its disk space. It
// returns false where the file system cannot make holes.
func WriteSparseRecord(tb testing.TB, path string, L, H, T, l, h int, head []float32, meta map[string]string) bool {
	tb.Helper()
	size := int64(L) * int64(H) * int64(T) * int64(T) * 2
	header := map[string]any{"attention": map[string]any{"dtype": "F16", "shape": []int{L, H, T, T}, "data_offsets": []int64{0, size}}}
	if meta != nil {
		header["__metadata__"] = meta
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		tb.Fatal(err)
	}
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var pre [8]byte
	binary.LittleEndian.PutUint64(pre[:], uint64(len(hdr)))
	if _, err := f.Write(append(pre[:], hdr...)); err != nil {
		tb.Fatal(err)
	}
	start := int64(8 + len(hdr))
	if err := f.Truncate(start + size); err != nil {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil || st.Blocks*512 > 1<<20 {
		return false
	}
	raw := make([]byte, 2*len(head))
	for i, v := range head {
		binary.LittleEndian.PutUint16(raw[2*i:], half.Float32ToFloat16(v))
	}
	if _, err := f.WriteAt(raw, start+(int64(l)*int64(H)+int64(h))*int64(T)*int64(T)*2); err != nil {
		tb.Fatal(err)
	}
	return true
}
