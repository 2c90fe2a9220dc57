package tensor

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// .npz files are zip archives of .npy files, one per array, as written by
// numpy.savez (stored) and numpy.savez_compressed (deflated). The array
// named "x" is the member "x.npy".

// npzEntries returns the archive's .npy members by array name.
func npzEntries(zr *zip.Reader) (map[string]*zip.File, error) {
	m := map[string]*zip.File{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.HasSuffix(f.Name, ".npy") {
			continue // numpy also skips other members when it lists arrays
		}
		name := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := m[name]; dup {
			return nil, Errorf(ErrFormat, "npz: the archive holds %q twice; it is corrupt", f.Name)
		}
		m[name] = f
	}
	return m, nil
}

// openNPZ opens the archive; file (its name, or "") goes into the
// conversion line of a message about a PyTorch file.
func openNPZ(r io.ReaderAt, size int64, file string) (*zip.Reader, map[string]*zip.File, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if e := sniff(r, size, file, "npz"); e != nil {
			return nil, nil, e
		}
		var magic [8]byte
		if k, _ := r.ReadAt(magic[:], 0); k >= 6 && string(magic[:6]) == npyMagic {
			return nil, nil, Errorf(ErrFormat, "npz: this is a .npy file (one array), not an .npz archive; read it with LoadNPY")
		}
		return nil, nil, Errorf(ErrFormat, "npz: not a readable zip archive (%v); expected a file written by numpy.savez or numpy.savez_compressed (for one array use LoadNPY)", err)
	}
	m, err := npzEntries(zr)
	if err == nil && len(m) == 0 && len(zr.File) > 0 {
		if isTorchZip(zr) {
			return nil, nil, torchError("npz", file, false)
		}
		names := make([]string, 0, len(zr.File))
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		return nil, nil, Errorf(ErrFormat, "npz: the zip archive holds no .npy arrays (it holds %s); expected a file written by numpy.savez or numpy.savez_compressed", quoteList(names))
	}
	return zr, m, err
}

// readNPZEntry decodes one member: a tensor, or strings for a text array.
func readNPZEntry(name string, f *zip.File) (*Tensor, []string, NPYHeader, error) {
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, nil, NPYHeader{}, Errorf(ErrFormat, "npz: array %q uses zip compression method %d; expected stored (0) or deflated (8) as numpy writes", name, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, NPYHeader{}, Errorf(ErrFormat, "npz: array %q: %v", name, err)
	}
	defer rc.Close()
	size := int64(-1)
	if f.UncompressedSize64 <= 1<<62 {
		size = int64(f.UncompressedSize64)
	}
	t, strs, h, err := readNPYValue(bufio.NewReaderSize(rc, 1<<16), size)
	if err != nil {
		return nil, nil, h, prefixErr(fmt.Sprintf("npz: array %q", name), err)
	}
	return t, strs, h, nil
}

// ReadNPZ reads every array of the .npz archive held by r (size bytes
// long): arrays of numbers as tensors, arrays of text as strings (see NPZ).
// Members that are not .npy files are skipped. See ReadNPY for the element
// types read. The result carries any error (Err).
func ReadNPZ(r io.ReaderAt, size int64) *NPZ {
	_, m, err := openNPZ(r, size, "")
	if err != nil {
		return &NPZ{err: err}
	}
	z, err := readNPZMembers(m)
	if err != nil {
		return &NPZ{err: err}
	}
	return z
}

// readNPZMembers reads every member.
func readNPZMembers(m map[string]*zip.File) (*NPZ, error) {
	z := &NPZ{names: slices.Sorted(maps.Keys(m)), tensors: map[string]*Tensor{}, text: map[string]npzText{}}
	for _, name := range z.names {
		t, strs, h, err := readNPZEntry(name, m[name])
		if err != nil {
			return nil, err
		}
		if strs != nil {
			z.text[name] = npzText{strs: strs, shape: h.Shape, dtype: h.Descr}
		} else {
			z.tensors[name] = t
		}
	}
	return z, nil
}

// withNPZ opens path and calls fn with its members.
func withNPZ(op, path string, fn func(m map[string]*zip.File) error) error {
	f, err := openFile(op, path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileErr(op, err)
	}
	_, m, err := openNPZ(f, st.Size(), path)
	if err != nil {
		return prefixErr(op+" "+path, err)
	}
	if err := fn(m); err != nil {
		return prefixErr(op+" "+path, err)
	}
	return nil
}

// LoadNPZ reads every array of a .npz file, by name (the name given to
// numpy.savez, without ".npy"): arrays of numbers as tensors, arrays of
// text — the tokens — as strings. The result carries any error (Err), so a
// cell shows either what the file holds or what went wrong:
//
//	z := tensor.LoadNPZ("run.npz")   // np.savez("run.npz", attention=a, tokens=np.array(tokens))
//	viz.Grid(z.Tensor("attention"), viz.Tokens(z.Tokens()))
func LoadNPZ(path string) *NPZ {
	var z *NPZ
	err := withNPZ("LoadNPZ", path, func(m map[string]*zip.File) error {
		var err error
		z, err = readNPZMembers(m)
		return err
	})
	if err != nil {
		return &NPZ{err: err}
	}
	z.path = path
	return z
}

// LoadNPZTensor reads one array of a .npz file, reading no other member.
// The tensor carries any error; a missing name gives an ErrNotFound error
// that lists the names there are:
//
//	att := tensor.LoadNPZTensor("run.npz", "attention")
func LoadNPZTensor(path, name string) *Tensor {
	var t *Tensor
	err := withNPZ("LoadNPZTensor", path, func(m map[string]*zip.File) error {
		f, ok := m[name]
		if !ok {
			return Errorf(ErrNotFound, "npz: no array named %q; the file has %s", name, quoteList(slices.Sorted(maps.Keys(m))))
		}
		var strs []string
		var h NPYHeader
		var err error
		t, strs, h, err = readNPZEntry(name, f)
		if err == nil && strs != nil {
			return textNotTensor(name, h.Descr)
		}
		return err
	})
	if err != nil {
		return Failed(err)
	}
	return t
}

// NPZNames lists the array names in a .npz file, sorted.
func NPZNames(path string) ([]string, error) {
	var names []string
	err := withNPZ("NPZNames", path, func(m map[string]*zip.File) error {
		names = slices.Sorted(maps.Keys(m))
		return nil
	})
	return names, err
}

// quoteList formats names for a message: "a", "b" or "no arrays".
func quoteList(names []string) string {
	if len(names) == 0 {
		return "no arrays"
	}
	const max = 20
	q := make([]string, 0, len(names))
	for i, n := range names {
		if i == max {
			q = append(q, fmt.Sprintf("... (%d in all)", len(names)))
			break
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	return strings.Join(q, ", ")
}

// WriteNPZ writes tensors to w as a .npz archive of float32 .npy members,
// in name order, stored (as numpy.savez) or deflated (as
// numpy.savez_compressed). The output is deterministic: the same tensors
// give the same bytes (fixed timestamps). Nothing is written when a tensor
// carries an error or a name is empty.
func WriteNPZ(w io.Writer, tensors map[string]*Tensor, compressed bool) error {
	names := slices.Sorted(maps.Keys(tensors))
	files := make([][]byte, len(names))
	for i, name := range names {
		if name == "" {
			return Errorf(ErrValue, "npz: an array has an empty name; give every tensor a name")
		}
		b, err := encodeNPY(tensors[name], "<f4", false)
		if err != nil {
			return prefixErr(fmt.Sprintf("npz: array %q", name), err)
		}
		files[i] = b
	}
	zw := zip.NewWriter(w)
	if compressed {
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.DefaultCompression)
		})
	}
	for i, name := range names {
		h := &zip.FileHeader{Name: name + ".npy", Method: zip.Store}
		if compressed {
			h.Method = zip.Deflate
		}
		h.ModifiedDate = 1<<5 | 1 // 1980-01-01, the zip epoch: reproducible bytes
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(files[i]); err != nil {
			return err
		}
	}
	return zw.Close()
}

// SaveNPZ writes tensors to path as an uncompressed .npz file (as
// numpy.savez does), atomically: on any error nothing is left at path.
// numpy.load(path)["name"] reads each one back.
func SaveNPZ(path string, tensors map[string]*Tensor) error {
	return saveNPZ("SaveNPZ", path, tensors, false)
}

// SaveNPZCompressed is SaveNPZ with deflate compression (as
// numpy.savez_compressed).
func SaveNPZCompressed(path string, tensors map[string]*Tensor) error {
	return saveNPZ("SaveNPZCompressed", path, tensors, true)
}

func saveNPZ(op, path string, tensors map[string]*Tensor, compressed bool) error {
	return writeFileAtomic(op, path, func(w io.Writer) error {
		return WriteNPZ(w, tensors, compressed)
	})
}
