// Package hardening holds the bad-input table: every row feeds attnviz one
// hostile or careless input and checks the outcome (no panic, nothing
// written half-way, a message that says what to do). The table is written to
// docs/bad-inputs.md by
//
//	go test ./hardening -update
//
// and the test fails when the committed file differs from what it sees.
package hardening

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
	"github.com/attnviz/attnviz/model"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

var update = flag.Bool("update", false, "rewrite docs/bad-inputs.md from the table")

const docPath = "../docs/bad-inputs.md"

// hostileToken is the token text every HTML/SVG/PDF row tries to inject.
const hostileToken = "</script><img src=x onerror=alert(1)>"

// outcomes, as the table writes them.
const (
	refused   = "refused with an error; no panic"
	warned    = "drawn, with a warning; no panic"
	drawn     = "drawn; no panic"
	notSaved  = "refused; no panic; no file written"
	escaped   = "drawn; token text escaped (no raw `<img src=x`)"
	cliExit1  = "exit 1, one message, no panic, no output file"
	kernelRow = "panic shown under the cell; kernel alive, variables kept"
)

type result struct {
	msg     string // the exact message (temp dir replaced by PATH)
	outcome string
}

type badCase struct {
	area, input string
	run         func(t *testing.T, dir string) result
}

// env is what the rows share: a temp dir and (lazily) the CLI binary and the
// lesson model.
type env struct {
	dir string

	binOnce sync.Once
	bin     string
	binErr  error

	modelOnce sync.Once
	m         *model.Model
	modelErr  error
}

var E = &env{}

func clean(s string) string {
	if E.dir != "" {
		s = strings.ReplaceAll(s, E.dir, "PATH")
	}
	return s
}

// noFile fails when path exists.
func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s exists after a failed write", path)
	}
	// nor any temporary file beside it
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// safely runs f and turns a panic into a test failure.
func safely(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	f()
}

// ---- tensor ops ------------------------------------------------------------

func opCase(input string, f func() *tensor.Tensor) badCase {
	return badCase{"tensor op", input, func(t *testing.T, dir string) result {
		var err error
		safely(t, func() {
			x := f()
			if x == nil {
				t.Fatal("nil tensor")
			}
			err = x.Err()
			_ = x.String()
		})
		if err == nil {
			t.Fatal("want an error, got none")
		}
		return result{clean(err.Error()), refused}
	}}
}

// ---- files -----------------------------------------------------------------

func npyHeader(dict string) []byte {
	h := dict
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	return append(b, h...)
}

func safetensorsBytes(header string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

func zipBytes(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, data := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ggufTensor is a tensor entry of ggufBytes: name, dims, type, offset.
type ggufTensor struct {
	name   string
	dims   []uint64
	typ    uint32
	offset uint64
}

// ggufBytes builds a GGUF v3 file with no metadata and the given tensors,
// padded to 32 bytes, followed by data bytes.
func ggufBytes(tensors []ggufTensor, data int) []byte {
	b := []byte("GGUF")
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(tensors)))
	b = binary.LittleEndian.AppendUint64(b, 0)
	for _, ti := range tensors {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(ti.name)))
		b = append(b, ti.name...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(ti.dims)))
		for _, d := range ti.dims {
			b = binary.LittleEndian.AppendUint64(b, d)
		}
		b = binary.LittleEndian.AppendUint32(b, ti.typ)
		b = binary.LittleEndian.AppendUint64(b, ti.offset)
	}
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	return append(b, make([]byte, data)...)
}

// userFile reads one of the files tensor/testdata/user holds (made by NumPy and PyTorch,
// scripts/make_user_files.py).
func userFile(name string) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		b, err := os.ReadFile(filepath.Join("..", "tensor", "testdata", "user", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// fileCase writes data to a file named name and loads it with the reader
// its extension picks.
func fileCase(input, name string, data func(t *testing.T) []byte) badCase {
	area := "file " + filepath.Ext(name)
	return badCase{area, input, func(t *testing.T, dir string) result {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data(t), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		var err error
		safely(t, func() { err = load(p) })
		if err == nil {
			t.Fatal("want an error, got none")
		}
		if !errors.Is(err, tensor.ErrFormat) && !errors.Is(err, tensor.ErrValue) && !errors.Is(err, tensor.ErrNotFound) {
			t.Errorf("error does not wrap a tensor sentinel: %v", err)
		}
		return result{clean(err.Error()), refused}
	}}
}

func load(p string) error {
	switch filepath.Ext(p) {
	case ".npy":
		return tensor.LoadNPY(p).Err()
	case ".npz":
		z := tensor.LoadNPZ(p)
		if err := z.Err(); err != nil {
			return err
		}
		for _, x := range z.Tensors() {
			if x.Err() != nil {
				return x.Err()
			}
		}
		return nil
	case ".safetensors":
		f := tensor.LoadSafetensors(p)
		err := f.Err()
		if err != nil {
			return err
		}
		_ = f
		return tensor.LoadSafetensorsTensor(p, "a").Err()
	case ".gguf":
		g, err := model.ReadGGUF(p)
		if err != nil {
			return err
		}
		return g.Tensor("a").Err()
	}
	return fmt.Errorf("no loader for %s", p)
}

// saveCase runs a tensor save that must fail and leave nothing behind.
func saveCase(input, name string, save func(path string) error) badCase {
	return saveCaseIn("file save", input, name, save)
}

func saveCaseIn(area, input, name string, save func(path string) error) badCase {
	return badCase{area, input, func(t *testing.T, dir string) result {
		p := filepath.Join(dir, name)
		var err error
		safely(t, func() { err = save(p) })
		if err == nil {
			os.Remove(p)
			t.Fatal("want an error, got none")
		}
		noFile(t, p)
		return result{clean(err.Error()), notSaved}
	}}
}

// ---- figures ---------------------------------------------------------------

// figCase builds a figure; want is refused (Err set, Save writes nothing),
// warned (Err nil, a warning) or drawn.
func figCase(input, want string, build func() *viz.Figure) badCase {
	return badCase{"figure", input, func(t *testing.T, dir string) result {
		var fig *viz.Figure
		safely(t, func() {
			fig = build()
			_ = fig.PNG()
			_ = fig.HTML()
			_ = fig.SimpleRender()
			_ = fig.String()
		})
		switch want {
		case refused:
			if fig.Err() == nil {
				t.Fatal("want an error, got none")
			}
			out := filepath.Join(dir, "refused.png")
			if err := fig.Save(out); err == nil {
				t.Fatal("Save of an error figure returned nil")
			}
			noFile(t, out)
			if len(fig.PNG()) == 0 {
				t.Error("an error figure must still show a message image")
			}
			return result{clean(fig.Err().Error()), notSaved}
		case warned:
			if fig.Err() != nil {
				t.Fatalf("want a warning, got the error %v", fig.Err())
			}
			if len(fig.Warnings()) == 0 {
				t.Fatal("want a warning, got none")
			}
			return result{strings.Join(fig.Warnings(), "; "), warned}
		default:
			if fig.Err() != nil {
				t.Fatalf("want a figure, got the error %v", fig.Err())
			}
			if len(fig.PNG()) == 0 {
				t.Fatal("empty PNG")
			}
			if w := fig.Warnings(); len(w) > 0 {
				return result{"warning: " + strings.Join(w, "; "), drawn}
			}
			return result{"(none)", drawn}
		}
	}}
}

// hostileCase draws a figure with hostile token text and checks every
// text format for the raw tag.
func hostileCase(input, ext string, build func(toks []string) *viz.Figure) badCase {
	return badCase{"figure " + ext, input, func(t *testing.T, dir string) result {
		var b []byte
		var err error
		safely(t, func() {
			fig := build([]string{hostileToken, "ok", hostileToken})
			if fig.Err() != nil {
				t.Fatalf("figure: %v", fig.Err())
			}
			b, err = fig.Encode(ext)
		})
		if err != nil {
			t.Fatalf("Encode(%s): %v", ext, err)
		}
		if bytes.Contains(b, []byte("<img src=x")) {
			t.Fatalf("raw %q in the %s output", "<img src=x", ext)
		}
		return result{"(none)", escaped}
	}}
}

// ---- CLI -------------------------------------------------------------------

func cliBinary(t *testing.T) string {
	E.binOnce.Do(func() {
		E.bin = filepath.Join(E.dir, "attnviz")
		out, err := exec.Command("go", "build", "-o", E.bin, "../cmd/attnviz").CombinedOutput()
		if err != nil {
			E.binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if E.binErr != nil {
		t.Fatal(E.binErr)
	}
	return E.bin
}

// cliCase writes the named input files, runs attnviz with args (PATH
// replaced by the temp dir) and checks exit 1, the stderr and that out (if
// any) was not created.
func cliCase(input string, files map[string]func(t *testing.T) []byte, out string, args ...string) badCase {
	return badCase{"CLI", input, func(t *testing.T, dir string) result {
		bin := cliBinary(t)
		for name, data := range files {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data(t), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(p)
		}
		a := make([]string, len(args))
		for i, s := range args {
			a[i] = strings.ReplaceAll(s, "PATH", dir)
		}
		cmd := exec.Command(bin, a...)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("want exit status 1, got %v (stderr %q)", err, stderr.String())
		}
		s := stderr.String()
		for _, bad := range []string{"goroutine", "panic:", "internal error"} {
			if strings.Contains(s, bad) {
				t.Fatalf("stderr contains %q: %s", bad, s)
			}
		}
		if strings.Count(strings.TrimSpace(s), "\n") > 0 && !strings.Contains(s, "usage:") {
			t.Errorf("want one line on stderr, got %q", s)
		}
		if out != "" {
			noFile(t, filepath.Join(dir, out))
		}
		return result{clean(strings.TrimSpace(s)), cliExit1}
	}}
}

// ---- atomic writes ---------------------------------------------------------

// keepCase puts known bytes at name, runs a save that must fail, and checks
// that the file is unchanged and no temporary file is left beside it.
func keepCase(area, input, name string, save func(path string) error) badCase {
	return badCase{area, input, func(t *testing.T, dir string) result {
		p := filepath.Join(dir, name)
		old := []byte("the previous handout, which a failed save must not touch\n")
		if err := os.WriteFile(p, old, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		var err error
		safely(t, func() { err = save(p) })
		if err == nil {
			t.Fatal("want an error, got none")
		}
		if b, e := os.ReadFile(p); e != nil || !bytes.Equal(b, old) {
			t.Errorf("%s changed after a failed save (%v)", p, e)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp-*")); len(left) > 0 {
			t.Errorf("temporary files left behind: %v", left)
		}
		return result{clean(err.Error()), "refused; no panic; the existing file is unchanged"}
	}}
}

// ---- model -----------------------------------------------------------------

func lessonModel(t *testing.T) *model.Model {
	E.modelOnce.Do(func() {
		p := model.DefaultPath()
		if _, err := os.Stat(p); err != nil {
			p = "../../shared/models/" + model.LessonModelFile
		}
		E.m, E.modelErr = model.Load(p)
	})
	if E.modelErr != nil {
		t.Skipf("lesson model not available: %v", E.modelErr)
	}
	return E.m
}

// lessonFile is the lesson model's absolute path (for CLI rows run in a
// temp dir).
func lessonFile() string {
	p := model.DefaultPath()
	if _, err := os.Stat(p); err != nil {
		p = "../../shared/models/" + model.LessonModelFile
	}
	abs, _ := filepath.Abs(p)
	return abs
}

// ---- the table -------------------------------------------------------------

func mat(rows ...[]float32) *tensor.Tensor { return tensor.MustFromRows(rows) }

func nan() float32      { return float32(math.NaN()) }
func inf(s int) float32 { return float32(math.Inf(s)) }

func cases() []badCase {
	two := func() *tensor.Tensor { return mat([]float32{.9, .1}, []float32{.3, .7}) }
	toks2 := []string{"a", "b"}
	valid3 := func() []byte {
		var buf bytes.Buffer
		tensor.WriteNPY(&buf, tensor.Arange(0, 4, 1).Reshape(2, 2))
		return buf.Bytes()
	}
	bytesOf := func(b []byte) func(*testing.T) []byte { return func(*testing.T) []byte { return b } }
	npyOf := func(x *tensor.Tensor) func(*testing.T) []byte {
		return func(*testing.T) []byte {
			var buf bytes.Buffer
			tensor.WriteNPY(&buf, x)
			return buf.Bytes()
		}
	}
	cs := []badCase{
		// tensor ops
		opCase("MatMul [2,3]·[2,3]", func() *tensor.Tensor { return tensor.Ones(2, 3).MatMul(tensor.Ones(2, 3)) }),
		opCase("Add [2,3]+[4]", func() *tensor.Tensor { return tensor.Ones(2, 3).Add(tensor.Ones(4)) }),
		opCase("Softmax(dim 5) of a 2-D tensor", func() *tensor.Tensor { return tensor.Ones(2, 2).Softmax(5) }),
		opCase("New: 3 values for shape [2,2]", func() *tensor.Tensor { return tensor.New([]float32{1, 2, 3}, 2, 2) }),
		opCase("New: negative dim [-1,2]", func() *tensor.Tensor { return tensor.New(nil, -1, 2) }),
		opCase("Zeros: huge shape [1<<40,1<<40]", func() *tensor.Tensor { return tensor.Zeros(1<<40, 1<<40) }),
		opCase("FromRows: ragged rows", func() *tensor.Tensor { return tensor.FromRows([][]float32{{1, 2}, {3}}) }),
		opCase("Reshape [2,3]→[4,2]", func() *tensor.Tensor { return tensor.Ones(2, 3).Reshape(4, 2) }),
		opCase("Index(5) on [2,2]", func() *tensor.Tensor { return tensor.Ones(2, 2).Index(5) }),
		opCase("Slice(0, 2, 1) (end before start)", func() *tensor.Tensor { return tensor.Ones(3, 2).Slice(0, 2, 1) }),
		opCase("Transpose(0, 3) of 2-D", func() *tensor.Tensor { return tensor.Ones(2, 2).Transpose(0, 3) }),
		opCase("SDPA: q [2,4], k [3,5]", func() *tensor.Tensor {
			return tensor.ScaledDotProductAttention(tensor.Ones(2, 4), tensor.Ones(3, 5), tensor.Ones(3, 5), nil).Output
		}),
		opCase("SDPA: mask [3,3] for 2 queries × 2 keys", func() *tensor.Tensor {
			return tensor.ScaledDotProductAttention(tensor.Ones(2, 4), tensor.Ones(2, 4), tensor.Ones(2, 4), tensor.CausalMask(3)).Output
		}),
		opCase("SplitHeads [4,6] into 4 heads", func() *tensor.Tensor { return tensor.SplitHeads(tensor.Ones(4, 6), 4) }),
		opCase("GQA: 3 query heads, 2 KV heads", func() *tensor.Tensor {
			return tensor.GroupedQueryAttention(tensor.Ones(3, 2, 4), tensor.Ones(2, 2, 4), tensor.Ones(2, 2, 4), nil).Output
		}),
		opCase("RoPE on odd head size 3", func() *tensor.Tensor { return tensor.RoPEInterleaved(tensor.Ones(2, 3), 10000, 0) }),
		opCase("Sinusoidal(-1, 4)", func() *tensor.Tensor { return tensor.Sinusoidal(-1, 4) }),
		opCase("Arange(0, +Inf, 1)", func() *tensor.Tensor { return tensor.Arange(0, inf(1), 1) }),
		opCase("Arange(-3e38, 3e38, 1) (count overflows)", func() *tensor.Tensor { return tensor.Arange(-3e38, 3e38, 1) }),
		opCase("SDPA with dₖ = 0 (q, k [2,0])", func() *tensor.Tensor {
			return tensor.ScaledDotProductAttention(tensor.Zeros(2, 0), tensor.Zeros(2, 0), tensor.Zeros(2, 0), nil).Weights
		}),
		opCase("MatMul [50000,1]·[1,50000] (2.5e9 results)", func() *tensor.Tensor { return tensor.Ones(50000, 1).MatMul(tensor.Ones(1, 50000)) }),
		opCase("SoftmaxTemp(-1, 0)", func() *tensor.Tensor { return tensor.Ones(2, 2).SoftmaxTemp(-1, 0) }),
		opCase("MatMul with a nil operand", func() *tensor.Tensor { var n *tensor.Tensor; return tensor.Ones(2, 2).MatMul(n) }),
		opCase("ToName(\"tpu\")", func() *tensor.Tensor { return tensor.Ones(2).ToName("tpu") }),

		// .npy
		fileCase("truncated: 5 bytes of magic", "a.npy", bytesOf([]byte("\x93NUMP"))),
		fileCase("not an .npy (text)", "a.npy", bytesOf([]byte("hello, world\n"))),
		fileCase("data shorter than the header declares", "a.npy", func(*testing.T) []byte { return valid3()[:len(valid3())-5] }),
		fileCase("huge declared shape (1<<40, 1<<40)", "a.npy", bytesOf(npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"))),
		fileCase("negative dim (-1, 2)", "a.npy", bytesOf(npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }"))),
		fileCase("unknown dtype <c8 (complex)", "a.npy", bytesOf(append(npyHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"), make([]byte, 16)...))),
		fileCase("object dtype |O (pickle)", "a.npy", bytesOf(append(npyHeader("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), make([]byte, 8)...))),
		fileCase("header length past the end", "a.npy", bytesOf([]byte("\x93NUMPY\x01\x00\xff\xff{'descr'"))),
		// .npz
		fileCase("not a zip", "a.npz", bytesOf([]byte("PK\x03\x04 truncated"))),
		fileCase("zip holding a truncated .npy", "a.npz", func(t *testing.T) []byte {
			return zipBytes(t, map[string][]byte{"a.npy": valid3()[:20]})
		}),
		fileCase("deflated entry declaring 2 GB, holding 16 bytes", "a.npz", func(t *testing.T) []byte {
			var buf bytes.Buffer
			w := zip.NewWriter(&buf)
			f, _ := w.CreateHeader(&zip.FileHeader{Name: "a.npy", Method: zip.Deflate})
			f.Write(npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (500000000,), }"))
			f.Write(make([]byte, 16))
			w.Close()
			return buf.Bytes()
		}),
		fileCase("truncated zip (half a valid file)", "a.npz", func(t *testing.T) []byte {
			b := zipBytes(t, map[string][]byte{"a.npy": valid3()})
			return b[:len(b)/2]
		}),
		fileCase("a torch.save file (PyTorch's zip: data.pkl, data/0, version)", "a.npz", userFile("torch_dict.pt")),
		fileCase("a zip of other files (no .npy member)", "a.npz", func(t *testing.T) []byte {
			return zipBytes(t, map[string][]byte{"readme.txt": []byte("hi")})
		}),
		fileCase("tokens as an object array (np.array(tokens, dtype=object), pickled)", "a.npz", userFile("tokens_O.npz")),
		fileCase("an array of text ('<U3') read as a tensor", "a.npy", userFile("names_U.npy")),
		fileCase("a torch.save file read as safetensors", "a.safetensors", userFile("torch_tensor.pt")),
		fileCase("a legacy torch.save file (a pickle)", "a.npz", bytesOf([]byte("\x80\x02\x8a\x0alz\xe8j\xfcQ\x00\x00"))),
		// safetensors
		fileCase("truncated: 4 bytes", "a.safetensors", bytesOf([]byte{1, 0, 0, 0})),
		fileCase("huge declared header length", "a.safetensors", bytesOf(binary.LittleEndian.AppendUint64(nil, 1<<62))),
		fileCase("header is not JSON", "a.safetensors", bytesOf(safetensorsBytes("{not json", 0))),
		fileCase("unknown dtype Q4", "a.safetensors", bytesOf(safetensorsBytes(`{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}`, 8))),
		fileCase("negative dim [-1, 2]", "a.safetensors", bytesOf(safetensorsBytes(`{"a":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}}`, 8))),
		fileCase("data offsets past the end", "a.safetensors", bytesOf(safetensorsBytes(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8))),
		fileCase("overlapping tensors", "a.safetensors", bytesOf(safetensorsBytes(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12))),
		fileCase("offsets disagree with shape", "a.safetensors", bytesOf(safetensorsBytes(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8))),
		fileCase("huge shape [1<<40, 1<<40]", "a.safetensors", bytesOf(safetensorsBytes(`{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}`, 8))),
		// GGUF
		fileCase("truncated: 3 bytes", "a.gguf", bytesOf([]byte("GGU"))),
		fileCase("version 1", "a.gguf", bytesOf([]byte("GGUF\x01\x00\x00\x00"))),
		fileCase("huge tensor count (1<<62)", "a.gguf", func(*testing.T) []byte {
			b := []byte("GGUF\x03\x00\x00\x00")
			b = binary.LittleEndian.AppendUint64(b, 1<<62)
			return binary.LittleEndian.AppendUint64(b, 0)
		}),
		fileCase("huge declared dims (1<<40 × 1<<40)", "a.gguf", bytesOf(ggufBytes([]ggufTensor{{"a", []uint64{1 << 40, 1 << 40}, 0, 0}}, 32))),
		fileCase("tensor offset past the end", "a.gguf", bytesOf(ggufBytes([]ggufTensor{{"a", []uint64{4}, 0, 1 << 20}}, 32))),
		fileCase("overlapping tensors", "a.gguf", bytesOf(ggufBytes([]ggufTensor{{"a", []uint64{8}, 0, 0}, {"b", []uint64{8}, 0, 0}}, 64))),
		fileCase("unknown tensor type 99", "a.gguf", bytesOf(ggufBytes([]ggufTensor{{"a", []uint64{4}, 99, 0}}, 32))),

		saveCase("SaveNPY of a failed tensor", "f.npy", func(p string) error { return tensor.Ones(2, 3).MatMul(tensor.Ones(2, 3)).SaveNPY(p) }),
		saveCase("SaveNPYAs with dtype \"<c8\"", "f.npy", func(p string) error { return tensor.Ones(2).SaveNPYAs(p, "<c8", false) }),
		saveCase("SaveNPZ with one failed tensor", "f.npz", func(p string) error {
			return tensor.SaveNPZ(p, map[string]*tensor.Tensor{"ok": tensor.Ones(2), "bad": tensor.New(nil, -1)})
		}),
		saveCase("SaveSafetensorsAs dtype \"Q4\"", "f.safetensors", func(p string) error {
			return tensor.SaveSafetensorsAs(p, map[string]*tensor.Tensor{"a": tensor.Ones(2)}, nil, "Q4")
		}),
		saveCase("SaveSafetensors into a missing directory", "no/such/f.safetensors", func(p string) error {
			return tensor.SaveSafetensors(p, map[string]*tensor.Tensor{"a": tensor.Ones(2)}, nil)
		}),

		// figures
		figCase("Heatmap with NaN", refused, func() *viz.Figure { return viz.Heatmap(mat([]float32{nan(), .5}, []float32{.5, .5})) }),
		figCase("Heatmap with +Inf", refused, func() *viz.Figure { return viz.Heatmap(mat([]float32{inf(1), .5}, []float32{.5, .5})) }),
		figCase("Heatmap with -Inf (a masked score)", drawn, func() *viz.Figure { return viz.Heatmap(mat([]float32{inf(-1), .5}, []float32{.5, .5})) }),
		figCase("Rollout with negative weights", refused, func() *viz.Figure {
			return viz.Rollout(tensor.New([]float32{-.5, 1.5, 0, 1}, 1, 1, 2, 2))
		}),
		figCase("TokenStrip with negative weights", refused, func() *viz.Figure { return viz.TokenStrip(mat([]float32{.5, .5}, []float32{-.5, 1.5})) }),
		figCase("Grid with +Inf", refused, func() *viz.Figure { return viz.Grid(tensor.New([]float32{inf(1), 0, 0, 1}, 1, 1, 2, 2)) }),
		figCase("Steps with NaN in q", refused, func() *viz.Figure {
			return viz.Steps(tensor.New([]float32{nan(), 1}, 1, 2), tensor.Ones(1, 2), tensor.Ones(1, 2))
		}),
		figCase("Steps 1×1 (one token, dₖ 1)", drawn, func() *viz.Figure { return viz.Steps(tensor.Ones(1, 1), tensor.Ones(1, 1), tensor.Ones(1, 1)) }),
		figCase("Heatmap with negative weights (raw scores)", drawn, func() *viz.Figure { return viz.Heatmap(mat([]float32{-.5, 1.5}, []float32{.5, .5})) }),
		figCase("Heatmap rows not summing to 1", warned, func() *viz.Figure { return viz.Heatmap(mat([]float32{.9, .9}, []float32{.1, .1})) }),
		figCase("Heatmap of a 3-D tensor", refused, func() *viz.Figure { return viz.Heatmap(tensor.Zeros(12, 9, 9)) }),
		figCase("Heatmap: 3 tokens for 2 rows", refused, func() *viz.Figure {
			return viz.Heatmap(two(), viz.Tokens([]string{"a", "b", "c"}), viz.KeyTokens(toks2))
		}),
		figCase("Heatmap of an empty [0,0] tensor", refused, func() *viz.Figure { return viz.Heatmap(tensor.Zeros(0, 0)) }),
		figCase("Heatmap 1×1", drawn, func() *viz.Figure { return viz.Heatmap(mat([]float32{1})) }),
		figCase("Heatmap of a failed tensor", refused, func() *viz.Figure { return viz.Heatmap(tensor.Ones(2, 3).MatMul(tensor.Ones(2, 3))) }),
		figCase("Grid of a 2-D tensor", refused, func() *viz.Figure { return viz.Grid(tensor.Ones(2, 2)) }),
		figCase("Heatmap of [1,4,10,10] (one layer of 4 heads, or a batch of one)", refused, func() *viz.Figure { return viz.Heatmap(tensor.Full(.1, 1, 4, 10, 10)) }),
		figCase("Heatmap of [1,4,10,10], Heads(2)", drawn, func() *viz.Figure { return viz.Heatmap(tensor.Full(.1, 1, 4, 10, 10), viz.Heads(2)) }),
		figCase("Grid of [2,3,4,5,5] (torch.stack of a batch of 3)", refused, func() *viz.Figure { return viz.Grid(tensor.Full(.2, 2, 3, 4, 5, 5)) }),
		figCase("Grid of [2,3,4,5,5], Batch(3)", refused, func() *viz.Figure { return viz.Grid(tensor.Full(.2, 2, 3, 4, 5, 5), viz.Batch(3)) }),
		figCase("Grid of [2,3,4,5,5], Batch(1)", drawn, func() *viz.Figure { return viz.Grid(tensor.Full(.2, 2, 3, 4, 5, 5), viz.Batch(1)) }),
		figCase("Grid of [2,1,4,5,5] (a batch of one)", drawn, func() *viz.Figure { return viz.Grid(tensor.Full(.2, 2, 1, 4, 5, 5)) }),
		figCase("Grid of [4,5,5], Batch(0)", refused, func() *viz.Figure { return viz.Grid(tensor.Full(.2, 4, 5, 5), viz.Batch(0)) }),
		figCase("Heatmap: 1 token for 2 rows", refused, func() *viz.Figure { return viz.Heatmap(two(), viz.Tokens([]string{"a"})) }),
		figCase("Heatmap Size(10, 10)", refused, func() *viz.Figure { return viz.Heatmap(two(), viz.Size(10, 10)) }),
		figCase("Grid Size(10, 10)", refused, func() *viz.Figure { return viz.Grid(tensor.Full(.5, 2, 3, 2, 2), viz.Size(10, 10)) }),
		figCase("Heatmap DPI(50)", warned, func() *viz.Figure { return viz.Heatmap(two(), viz.DPI(50)) }),
		figCase("Positional with NaN", refused, func() *viz.Figure { return viz.Positional(mat([]float32{nan()})) }),
		figCase("Grid: Layers(7) of 1 layer", refused, func() *viz.Figure { return viz.Grid(tensor.Ones(1, 1, 2, 2).Scale(.5), viz.Layers(7)) }),
		figCase("Steps: q [2,4], k [3,5]", refused, func() *viz.Figure { return viz.Steps(tensor.Ones(2, 4), tensor.Ones(3, 5), tensor.Ones(3, 5)) }),
		figCase("HeadStats of [2,2]", drawn, func() *viz.Figure { return viz.HeadStats(tensor.Ones(2, 2)) }),
		figCase("Rollout with NaN", refused, func() *viz.Figure {
			return viz.Rollout(tensor.New([]float32{nan(), 1, 0, 1}, 1, 1, 2, 2))
		}),
		figCase("TokenStrip: Query(9) of 2", refused, func() *viz.Figure { return viz.TokenStrip(two(), viz.Query(9)) }),
		figCase("Heatmap 600×600 (large)", drawn, func() *viz.Figure { return viz.Heatmap(tensor.Full(1.0/600, 600, 600)) }),
		figCase("Heatmap Size(-5, 0)", warned, func() *viz.Figure { return viz.Heatmap(two(), viz.Size(-5, 0)) }),
		figCase("Heatmap DPI(100000)", warned, func() *viz.Figure { return viz.Heatmap(two(), viz.DPI(100000)) }),
		figCase("Heatmap Range(1, 0)", refused, func() *viz.Figure { return viz.Heatmap(two(), viz.Range(1, 0)) }),
		figCase("Heatmap mask [3,3] for [2,2]", refused, func() *viz.Figure { return viz.Heatmap(two(), viz.Mask(tensor.Ones(3, 3))) }),
		figCase("MaskPatterns(100000, 0)", refused, func() *viz.Figure { return viz.MaskPatterns(100000, 0) }),
		figCase("Heatmap: a 100000-byte token", drawn, func() *viz.Figure {
			return viz.Heatmap(two(), viz.Tokens([]string{strings.Repeat("x", 100000), "b"}), viz.KeyTokens(toks2))
		}),
		figCase("Heatmap: invalid UTF-8 and NUL tokens", drawn, func() *viz.Figure {
			return viz.Heatmap(two(), viz.Tokens([]string{"\xff\xfe", "b"}), viz.KeyTokens([]string{"a", "\x00"}))
		}),
		saveCaseIn("figure", "Save to .txt", "fig.txt", func(p string) error { return viz.Heatmap(two()).Save(p) }),
		saveCaseIn("figure", "Save into a missing directory", "no/such/fig.png", func(p string) error { return viz.Heatmap(two()).Save(p) }),
		badCase{"figure", "Save over a directory", func(t *testing.T, dir string) result {
			out := filepath.Join(dir, "isdir.png")
			os.Mkdir(out, 0o755)
			defer os.Remove(out)
			var err error
			safely(t, func() { err = viz.Heatmap(two()).Save(out) })
			if err == nil {
				t.Fatal("want an error")
			}
			if st, e := os.Stat(out); e != nil || !st.IsDir() {
				t.Fatal("the directory was replaced")
			}
			return result{clean(err.Error()), "refused; no panic; directory untouched"}
		}},
		hostileCase("hostile token text in Heatmap", ".html", func(toks []string) *viz.Figure {
			return viz.Heatmap(tensor.Full(1.0/3, 3, 3), viz.Tokens(toks), viz.Title(hostileToken))
		}),
		hostileCase("hostile token text in Heatmap", ".svg", func(toks []string) *viz.Figure {
			return viz.Heatmap(tensor.Full(1.0/3, 3, 3), viz.Tokens(toks), viz.Title(hostileToken))
		}),
		hostileCase("hostile token text in Heatmap", ".pdf", func(toks []string) *viz.Figure {
			return viz.Heatmap(tensor.Full(1.0/3, 3, 3), viz.Tokens(toks), viz.Title(hostileToken))
		}),
		hostileCase("hostile token text in HeadView", ".html", func(toks []string) *viz.Figure {
			return viz.HeadView(tensor.Full(1.0/3, 1, 2, 3, 3), viz.Tokens(toks))
		}),
		hostileCase("hostile token text in Explorer", ".html", func(toks []string) *viz.Figure {
			return viz.Explorer(tensor.Full(1.0/3, 1, 2, 3, 3), viz.Tokens(toks))
		}),
		hostileCase("hostile token text in TokenStrip", ".svg", func(toks []string) *viz.Figure {
			return viz.TokenStrip(tensor.Full(1.0/3, 3, 3), viz.Tokens(toks))
		}),

		// CLI
		cliCase("no arguments", nil, ""),
		cliCase("unknown command", nil, "", "draw"),
		cliCase("render: missing input file", nil, "out.png", "render", "-o", "out.png", "PATH/missing.npy"),
		cliCase("render: no -o", map[string]func(*testing.T) []byte{"w.npy": func(*testing.T) []byte { return valid3() }}, "", "render", "w.npy"),
		cliCase("render: output .txt", map[string]func(*testing.T) []byte{"w.npy": func(*testing.T) []byte { return valid3() }}, "out.txt", "render", "-o", "out.txt", "w.npy"),
		cliCase("render: truncated .npy", map[string]func(*testing.T) []byte{"t.npy": func(*testing.T) []byte { return valid3()[:30] }}, "out.png", "render", "-o", "out.png", "t.npy"),
		cliCase("render: NaN in the array", map[string]func(*testing.T) []byte{"n.npy": func(*testing.T) []byte {
			var buf bytes.Buffer
			tensor.WriteNPY(&buf, tensor.New([]float32{nan(), 1, 0, 1}, 2, 2))
			return buf.Bytes()
		}}, "out.svg", "render", "-o", "out.svg", "n.npy"),
		cliCase("render: 3 tokens for 2×2", map[string]func(*testing.T) []byte{"w.npy": func(*testing.T) []byte { return valid3() }}, "out.html", "render", "-tokens", "a b c", "-o", "out.html", "w.npy"),
		cliCase("render: -size 0x0", map[string]func(*testing.T) []byte{"w.npy": func(*testing.T) []byte { return valid3() }}, "out.png", "render", "-size", "0x0", "-o", "out.png", "w.npy"),
		cliCase("render: -size 10x10", map[string]func(*testing.T) []byte{"w.npy": func(*testing.T) []byte { return valid3() }}, "out.png", "render", "-size", "10x10", "-o", "out.png", "w.npy"),
		cliCase("render: [2,3,4,5,5] (a batch of 3) without -batch", map[string]func(*testing.T) []byte{"b.npy": npyOf(tensor.Full(.2, 2, 3, 4, 5, 5))}, "out.png", "render", "-o", "out.png", "b.npy"),
		cliCase("render: -batch 3 of a batch of 3", map[string]func(*testing.T) []byte{"b.npy": npyOf(tensor.Full(.2, 2, 3, 4, 5, 5))}, "out.png", "render", "-batch", "3", "-o", "out.png", "b.npy"),
		cliCase("render: -batch 0 of [3,2,2]", map[string]func(*testing.T) []byte{"h.npy": npyOf(tensor.Full(.5, 3, 2, 2))}, "out.png", "render", "-batch", "0", "-o", "out.png", "h.npy"),
		cliCase("render: -head 1 of one layer of one head", map[string]func(*testing.T) []byte{"h.npy": npyOf(tensor.Full(.5, 1, 1, 2, 2))}, "out.png", "render", "-head", "1", "-o", "out.png", "h.npy"),
		cliCase("render: -name on a .npy", map[string]func(*testing.T) []byte{"w.npy": func(*testing.T) []byte { return valid3() }}, "out.png", "render", "-name", "x", "-o", "out.png", "w.npy"),
		cliCase("render: empty .npz (no arrays)", map[string]func(*testing.T) []byte{"e.npz": func(t *testing.T) []byte { return zipBytes(t, nil) }}, "out.png", "render", "-o", "out.png", "e.npz"),
		cliCase("render: safetensors offsets past the end", map[string]func(*testing.T) []byte{"s.safetensors": bytesOf(safetensorsBytes(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8))}, "out.pdf", "render", "-o", "out.pdf", "s.safetensors"),
		cliCase("model: missing model file", nil, "out.png", "model", "-m", "PATH/none.gguf", "-prompt", "hi", "-o", "out.png"),
		badCase{"CLI", "model: no -m, and the lesson model in none of the places looked", func(t *testing.T, dir string) result {
			bin := cliBinary(t)
			home := filepath.Join(dir, "home")
			cwd := filepath.Join(dir, "a", "b", "c") // every folder looked in lies under dir
			os.MkdirAll(cwd, 0o755)
			defer os.RemoveAll(filepath.Join(dir, "a"))
			defer os.RemoveAll(home)
			cmd := exec.Command(bin, "model", "-prompt", "hi", "-o", "out.png")
			cmd.Dir = cwd
			cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "ATTNVIZ_MODEL=")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("want exit status 1, got %v (stderr %q)", err, stderr.String())
			}
			noFile(t, filepath.Join(cwd, "out.png"))
			return result{clean(strings.TrimSpace(stderr.String())), cliExit1}
		}},
		cliCase("model: GGUF with offsets past the end", map[string]func(*testing.T) []byte{"bad.gguf": bytesOf(ggufBytes([]ggufTensor{{"a", []uint64{4}, 0, 1 << 20}}, 32))}, "out.png", "model", "-m", "bad.gguf", "-prompt", "hi", "-o", "out.png"),
		cliCase("model: -memory 10kB for 13 tokens", nil, "out.safetensors", "model", "-m", lessonFile(), "-prompt", "Once upon a time, there was a little girl", "-memory", "10kB", "-o", "out.safetensors"),
		cliCase("model: -layers 1,x", nil, "out.safetensors", "model", "-m", lessonFile(), "-prompt", "hi", "-layers", "1,x", "-o", "out.safetensors"),
		cliCase("model: -layers with a grid figure", nil, "out.png", "model", "-m", lessonFile(), "-prompt", "hi", "-layers", "1", "-view", "grid", "-o", "out.png"),

		cliCase("render: a torch.save file (.pt)", map[string]func(*testing.T) []byte{"att.pt": userFile("torch_dict.pt")}, "out.png", "render", "-o", "out.png", "att.pt"),
		cliCase("render: .npz with the tokens as an object array", map[string]func(*testing.T) []byte{"o.npz": userFile("tokens_O.npz")}, "out.png", "render", "-o", "out.png", "o.npz"),
		cliCase("render: -name of the tokens (text) array", map[string]func(*testing.T) []byte{"u.npz": userFile("tokens_U.npz")}, "out.png", "render", "-name", "tokens", "-o", "out.png", "u.npz"),
		badCase{"CLI", "render .npz with hostile tokens as a string array to .html", func(t *testing.T, dir string) result {
			bin := cliBinary(t)
			in, out := filepath.Join(dir, "t.npz"), filepath.Join(dir, "t.html")
			os.WriteFile(in, userFile("tokens_U.npz")(t), 0o644)
			defer os.Remove(in)
			defer os.Remove(out)
			b, err := exec.Command(bin, "render", "-o", out, in).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			html, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(html, []byte("<s>")) || !bytes.Contains(html, []byte("été")) {
				t.Fatal("the tokens array's <s> is not escaped, or its tokens are missing")
			}
			return result{"(none)", "exit 0; the file's tokens array labels the axes, escaped in the page"}
		}},
		badCase{"CLI", "render -tokens-file with hostile text to .html", func(t *testing.T, dir string) result {
			bin := cliBinary(t)
			in, out := filepath.Join(dir, "h.npy"), filepath.Join(dir, "h.html")
			tf := filepath.Join(dir, "toks.txt")
			os.WriteFile(in, valid3(), 0o644)
			os.WriteFile(tf, []byte(hostileToken+"\n<img src=x>\n"), 0o644)
			defer os.Remove(in)
			defer os.Remove(tf)
			defer os.Remove(out)
			cmd := exec.Command(bin, "render", "-tokens-file", tf, "-title", hostileToken, "-o", out, in)
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			html, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(html, []byte("<img src=x")) {
				t.Fatal("raw <img src=x in the page")
			}
			return result{"(none)", "exit 0; token and title text escaped in the page"}
		}},

		// atomic writes: a failed save leaves the old file as it was
		keepCase("file .npy", "SaveNPY of a failed tensor over an existing file", "keep.npy", func(p string) error {
			return tensor.Ones(2, 3).MatMul(tensor.Ones(2, 3)).SaveNPY(p)
		}),
		keepCase("file .npy", "SaveNPYAs unknown dtype <c8 over an existing file", "keep2.npy", func(p string) error {
			return tensor.Ones(2).SaveNPYAs(p, "<c8", false)
		}),
		keepCase("file .npz", "SaveNPZ with one failed tensor over an existing file", "keep.npz", func(p string) error {
			return tensor.SaveNPZ(p, map[string]*tensor.Tensor{"a": tensor.Ones(2), "b": tensor.Ones(2).Reshape(3)})
		}),
		keepCase("file .safetensors", "SaveSafetensorsAs unknown dtype Q4 over an existing file", "keep.safetensors", func(p string) error {
			return tensor.SaveSafetensorsAs(p, map[string]*tensor.Tensor{"a": tensor.Ones(2)}, nil, "Q4")
		}),
		keepCase("file .safetensors", "SaveSafetensors with a failed tensor over an existing file", "keep2.safetensors", func(p string) error {
			return tensor.SaveSafetensors(p, map[string]*tensor.Tensor{"a": tensor.New(nil, -1)}, nil)
		}),
		keepCase("figure", "Save of a NaN heatmap over an existing .png", "keep.png", func(p string) error {
			return viz.Heatmap(mat([]float32{nan(), .5}, []float32{.5, .5})).Save(p)
		}),
		keepCase("figure", "Save of a wrong-rank heatmap over an existing .pdf", "keep.pdf", func(p string) error {
			return viz.Heatmap(tensor.Zeros(2, 2, 2)).Save(p)
		}),
		badCase{"tensor op", "Softmax of an all −Inf row (every key masked)", func(t *testing.T, dir string) result {
			var w []float32
			var err error
			safely(t, func() {
				x := mat([]float32{inf(-1), inf(-1)}, []float32{0, 0}).Softmax(-1)
				err = x.Err()
				w = x.Data()
			})
			if err != nil {
				return result{clean(err.Error()), refused}
			}
			for _, v := range w {
				if v != v {
					t.Fatalf("NaN in the softmax of an all −Inf row: %v", w)
				}
			}
			return result{"(none)", fmt.Sprintf("documented result %v (no NaN); no panic", w)}
		}},

		// model
		badCase{"model", "empty prompt", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var r *model.Record
			safely(t, func() { r = m.Run("") })
			if r.Err() != nil {
				t.Fatalf("empty prompt: %v", r.Err())
			}
			if len(r.Tokens) != 1 {
				t.Fatalf("want BOS only, got %q", r.Tokens)
			}
			return result{"(none)", fmt.Sprintf("runs on BOS alone (%d token, attention %v); no panic", len(r.Tokens), r.Attention.Shape())}
		}},
		badCase{"model", "100k-token prompt", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var r *model.Record
			safely(t, func() { r = m.Run(strings.Repeat("a ", 100000)) })
			runtime.ReadMemStats(&after)
			if r.Err() == nil {
				t.Fatal("want a refusal")
			}
			const limit = 200 << 20
			if d := after.TotalAlloc - before.TotalAlloc; d > limit {
				t.Errorf("allocated %d MB, want < 200 MB", d>>20)
			}
			return result{r.Err().Error(), "refused with an error; allocates < 200 MB (runtime.MemStats); no panic"}
		}},
		badCase{"model", "Head(9, 0) of a 5-layer record", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var err error
			safely(t, func() { err = m.Run("hi").Head(9, 0).Err() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},
		badCase{"model", "Generate(-1 tokens)", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var err error
			safely(t, func() { _, err = m.Generate("hi", -1) })
			if err == nil {
				return result{"(none)", "returns the prompt unchanged; no panic"}
			}
			return result{err.Error(), refused}
		}},

		badCase{"model", "Generate on a nil *Model (Load's error ignored)", func(t *testing.T, dir string) result {
			var m *model.Model
			var err error
			safely(t, func() { _, err = m.Generate("hi", 3); _ = m.Describe("hi"); _ = m.Tokenize("hi"); _ = m.Config() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},
		badCase{"model", "Head(0, 0) of a record that failed (200-token prompt)", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var err error
			safely(t, func() { err = m.Run(strings.Repeat("a ", 200)).Head(0, 0).Err() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), "refused with the run's own error; no panic"}
		}},
		badCase{"model", "Head(0, 0) of a nil *Record", func(t *testing.T, dir string) result {
			var r *model.Record
			var err error
			safely(t, func() { err = r.Head(0, 0).Err() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},

		badCase{"model", "RecordLayers(9) on a 5-layer model", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var err error
			safely(t, func() { err = m.Run("hi", model.RecordLayers(9)).Err() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},
		badCase{"model", "Head(0, 0) of a record of layer 2 only", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var err error
			safely(t, func() { err = m.Run("hi", model.RecordLayers(2)).Head(0, 0).Err() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},
		badCase{"model", `a prompt with characters the vocabulary lacks (the induction model reads a-z 0-9: "Hello world")`, func(t *testing.T, dir string) result {
			m, err := model.Load("../notebooks/data/induction.gguf")
			if err != nil {
				t.Fatal(err)
			}
			safely(t, func() { err = m.Run("Hello world").Err() })
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), refused}
		}},
		badCase{"model", "run over its memory budget (MemoryBudget(10kB), 13 tokens)", func(t *testing.T, dir string) result {
			m := lessonModel(t)
			var err error
			safely(t, func() {
				err = m.Run("Once upon a time, there was a little girl", model.MemoryBudget(10e3)).Err()
			})
			if err == nil {
				t.Fatal("want an error")
			}
			return result{err.Error(), "refused before allocating the record; no panic"}
		}},

		// kernel
		badCase{"kernel", "a cell whose value panics in PNG()", func(t *testing.T, dir string) result {
			// Driven by `go test ./notebooks -run TestKernelSurvivesRenderPanic`
			// (it needs Jupyter and the kernel); this row names it.
			return result{"panicked: boom while drawing … kernel is still running (see `go test ./notebooks -run TestKernelSurvivesRenderPanic`)", kernelRow}
		}},
	}
	return append(cs, modelArchCases()...)
}

func TestBadInputs(t *testing.T) {
	E = &env{dir: t.TempDir()} // fresh per run (go test -count=N)
	cs := append(cases(), modelFileCases()...)
	if len(cs) < 45 {
		t.Fatalf("%d cases, want at least 45", len(cs))
	}
	rows := make([]result, len(cs))
	skipped := 0
	for i, c := range cs {
		name := fmt.Sprintf("%02d %s: %s", i+1, c.area, c.input)
		ok := t.Run(name, func(t *testing.T) {
			defer func() {
				if t.Skipped() {
					skipped++
				}
			}()
			rows[i] = c.run(t, E.dir)
			if rows[i].msg == "" {
				t.Error("empty message")
			}
		})
		if !ok {
			rows[i] = result{"FAILED", "FAILED"}
		}
	}
	if skipped > 0 {
		t.Skipf("%d rows skipped (see above); %s not compared or written", skipped, docPath)
	}
	testutil.Golden(t, docPath, render(cs, rows), *update, "go test ./hardening -update")
}

func render(cs []badCase, rows []result) string {
	var b strings.Builder
	b.WriteString("# Bad inputs: what attnviz does with them\n\n")
	b.WriteString("<!-- Generated by `go test ./hardening -update`; do not edit. -->\n\n")
	b.WriteString("Generated by `go test ./hardening -update` from hardening/badinputs_test.go, which\n")
	b.WriteString("checks every outcome below (panics are recovered and fail the test; after a failed save\n")
	b.WriteString("or CLI run the output path must not exist) and fails when this file is out of date.\n")
	fmt.Fprintf(&b, "%d cases. PATH stands for the test's temporary directory.\n\n", len(cs))
	b.WriteString("| # | area | input | exact message | outcome |\n|---|---|---|---|---|\n")
	for i, c := range cs {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", i+1, cell(c.area), cell(c.input), cell(rows[i].msg), cell(rows[i].outcome))
	}
	return b.String()
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, ">", "&gt;")
	return s
}
