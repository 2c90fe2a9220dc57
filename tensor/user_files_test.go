package tensor

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
)

// The files of tensor/testdata/user were written the way users write them, by NumPy,
// PyTorch and scripts/attnviz_export.py (scripts/make_user_files.py made them).

type userManifest struct {
	Tokens       []string `json:"tokens"`
	Attention    refArray `json:"attention"`
	AttentionF16 refArray `json:"attention_f16"`
	HFBatch1     refArray `json:"attention_hf_batch1"`
}

func readUserManifest(t *testing.T) userManifest {
	t.Helper()
	var m userManifest
	testutil.ReadJSON(t, filepath.Join("testdata", "user", "manifest.json"), &m, "make user-files")
	return m
}

func userFile(name string) string { return filepath.Join("testdata", "user", name) }

// TestNPZTokens: np.savez(f, attention=a, tokens=np.array(tokens)) — the tokens as '<U'
// (str) or '|S' (bytes) — reads with the tokens as strings, beside the tensor.
func TestNPZTokens(t *testing.T) {
	m := readUserManifest(t)
	for _, f := range []string{"tokens_U.npz", "tokens_S.npz"} {
		p := userFile(f)
		z := LoadNPZ(p)
		if err := z.Err(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := z.Names(); !reflect.DeepEqual(got, []string{"attention", "tokens"}) {
			t.Errorf("%s: Names %v", f, got)
		}
		if got := z.TensorNames(); !reflect.DeepEqual(got, []string{"attention"}) {
			t.Errorf("%s: TensorNames %v", f, got)
		}
		if got := z.Tokens(); !reflect.DeepEqual(got, m.Tokens) {
			t.Errorf("%s: Tokens %q, want %q", f, got, m.Tokens)
		}
		if got := z.Shape("tokens"); !reflect.DeepEqual(got, []int{5}) {
			t.Errorf("%s: Shape(tokens) %v", f, got)
		}
		checkRef(t, f+" attention", z.Tensor("attention"), m.Attention)
		checkRef(t, f+" LoadNPZTensor", LoadNPZTensor(p, "attention"), m.Attention)
		for _, err := range []error{z.Tensor("tokens").Err(), LoadNPZTensor(p, "tokens").Err()} {
			if !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), `array "tokens" holds text`) || !strings.Contains(err.Error(), `Strings("tokens")`) {
				t.Errorf("%s: the tokens as a tensor: want a message saying they are text, got %v", f, err)
			}
		}
		if s := z.String(); !strings.Contains(s, `tokens       text    [5] ["<s>" "The" "cat" "sat" "été"]`) || !strings.Contains(s, "attention    float32 [2 3 5 5]") {
			t.Errorf("%s: String() =\n%s", f, s)
		}
		b, _ := os.ReadFile(p)
		if got := ReadNPZ(bytes.NewReader(b), int64(len(b))).Tokens(); !reflect.DeepEqual(got, m.Tokens) {
			t.Errorf("%s: ReadNPZ tokens %q", f, got)
		}
	}
}

// TestNPZTextRefused: what attnviz does not read says what to do.
func TestNPZTextRefused(t *testing.T) {
	for _, c := range []struct {
		what, file string
		err        error
		want       []string
	}{
		{"object array (pickled)", "tokens_O.npz", LoadNPZ(userFile("tokens_O.npz")).Err(),
			[]string{`LoadNPZ testdata/user/tokens_O.npz: array "tokens": the array holds Python objects (dtype '|O', stored with pickle)`, "np.array(tokens, dtype=str)"}},
		{"text in a .npy", "names_U.npy", LoadNPY(userFile("names_U.npy")).Err(),
			[]string{"LoadNPY testdata/user/names_U.npy: the array holds text (dtype '<U3', shape [5]), not numbers", "LoadNPZ(path).Tokens()"}},
	} {
		if !errors.Is(c.err, ErrFormat) {
			t.Errorf("%s: want an ErrFormat error, got %v", c.what, c.err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%s: want %q in\n%v", c.what, w, c.err)
			}
		}
	}
	// A failed or nil *NPZ answers every method without panicking.
	for _, z := range []*NPZ{nil, LoadNPZ(userFile("tokens_O.npz"))} {
		if z.Err() == nil || z.Names() != nil || z.Tokens() != nil || z.Tensors() != nil || z.Tensor("a").Err() == nil || !strings.HasPrefix(z.String(), "npz error: ") {
			t.Errorf("failed *NPZ %v: want errors and no values", z)
		}
	}
}

// TestNPYText reads '<U', '>U' and '|S' arrays, padded, Fortran-ordered and 2-D, as NumPy writes them.
func TestNPYText(t *testing.T) {
	le := func(s string, n int) []byte { // one '<U n' element
		b := make([]byte, 4*n)
		for i, r := range []rune(s) {
			b[4*i] = byte(r)
			b[4*i+1] = byte(r >> 8)
			b[4*i+2] = byte(r >> 16)
		}
		return b
	}
	npy := func(descr string, fortran bool, shape string, data []byte) []byte {
		f := "False"
		if fortran {
			f = "True"
		}
		h := "{'descr': '" + descr + "', 'fortran_order': " + f + ", 'shape': " + shape + ", }"
		h += strings.Repeat(" ", 63-(10+len(h))%64) + "\n"
		return append(append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8)), append([]byte(h), data...)...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, c := range []struct {
		what string
		file []byte
		want []string
	}{
		{"<U2 padded", npy("<U2", false, "(3,)", cat(le("a", 2), le("bc", 2), le("", 2))), []string{"a", "bc", ""}},
		{"<U1 non-ASCII", npy("<U1", false, "(2,)", cat(le("é", 1), le("😀", 1))), []string{"é", "😀"}},
		{">U1", npy(">U1", false, "(1,)", []byte{0, 0, 0, 'x'}), []string{"x"}},
		{"|S3", npy("|S3", false, "(2,)", []byte("ab\x00cat")), []string{"ab", "cat"}},
		{"|S2 invalid UTF-8", npy("|S2", false, "(1,)", []byte{0xff, 'a'}), []string{"\uFFFDa"}},
		{"<U1 2x2 Fortran", npy("<U1", true, "(2, 2)", cat(le("a", 1), le("c", 1), le("b", 1), le("d", 1))), []string{"a", "b", "c", "d"}},
	} {
		_, strs, _, err := readNPYValue(bytes.NewReader(c.file), int64(len(c.file)))
		if err != nil || !reflect.DeepEqual(strs, c.want) {
			t.Errorf("%s: got %q, %v; want %q", c.what, strs, err, c.want)
		}
	}
	bad := npy("<U1", false, "(1,)", []byte{0, 0, 0x11, 0}) // code point 0x110000
	if _, _, _, err := readNPYValue(bytes.NewReader(bad), int64(len(bad))); err == nil || !strings.Contains(err.Error(), "is not a character") {
		t.Errorf("a code point past U+10FFFF: want an error, got %v", err)
	}
	short := npy("<U4", false, "(1000,)", le("x", 4))
	if _, _, _, err := readNPYValue(bytes.NewReader(short), int64(len(short))); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("text data cut short: want an error, got %v", err)
	}
}

// TestTorchSaveFile: a torch.save file is named as one, by every loader, with one line of
// Python that converts it — never an .npz of 0 arrays.
func TestTorchSaveFile(t *testing.T) {
	for _, f := range []string{"torch_dict.pt", "torch_tensor.pt"} {
		p := userFile(f)
		b, _ := os.ReadFile(p)
		stErr := LoadSafetensors(p).Err()
		for _, c := range []struct {
			op  string
			err error
		}{
			{"LoadNPZ", LoadNPZ(p).Err()},
			{"ReadNPZ", ReadNPZ(bytes.NewReader(b), int64(len(b))).Err()},
			{"LoadNPZTensor", LoadNPZTensor(p, "attention").Err()},
			{"LoadNPY", LoadNPY(p).Err()},
			{"LoadSafetensors", stErr},
		} {
			if !errors.Is(c.err, ErrFormat) || !strings.Contains(c.err.Error(), "this is a PyTorch file (torch.save") {
				t.Errorf("%s %s: want it named a PyTorch file, got %v", c.op, f, c.err)
				continue
			}
			if c.op != "ReadNPZ" && !strings.Contains(c.err.Error(), "torch.load('"+p+"', map_location='cpu')") {
				t.Errorf("%s %s: the conversion line should name the file: %v", c.op, f, c.err)
			}
		}
	}
	// The old torch.save format (and pickle.dump) is a pickle.
	dir := t.TempDir()
	old := filepath.Join(dir, "old.pt")
	os.WriteFile(old, []byte("\x80\x02\x8a\x0alz\xe8j\xfcQ\x00\x00"), 0o644)
	for _, err := range []error{LoadNPZ(old).Err(), LoadNPY(old).Err()} {
		if err == nil || !strings.Contains(err.Error(), "a Python pickle") || !strings.Contains(err.Error(), "python3 -c") {
			t.Errorf("legacy torch.save: %v", err)
		}
	}
	// A zip of something else is not "0 arrays".
	other := filepath.Join(dir, "other.npz")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("readme.txt")
	w.Write([]byte("hi"))
	zw.Close()
	os.WriteFile(other, buf.Bytes(), 0o644)
	if err := LoadNPZ(other).Err(); err == nil || !strings.Contains(err.Error(), `holds no .npy arrays (it holds "readme.txt")`) {
		t.Errorf("a zip without arrays: %v", err)
	}
}

// TestTorchConvertLine runs the line of Python the message gives, with Debian's torch, and
// reads what it writes.
func TestTorchConvertLine(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3: the conversion line is not run")
	}
	m := readUserManifest(t)
	dir := t.TempDir()
	for _, f := range []string{"torch_dict.pt", "torch_tensor.pt"} {
		b, _ := os.ReadFile(userFile(f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
		err := LoadNPZ(filepath.Join(dir, f)).Err()
		line := regexp.MustCompile(`python3 -c "[^"]*"`).FindString(err.Error())
		if line == "" {
			t.Fatalf("%s: no conversion line in %v", f, err)
		}
		cmd := exec.Command("/bin/sh", "-c", "/usr/bin/"+line)
		cmd.Dir = "/"
		if out, err := cmd.CombinedOutput(); err != nil {
			if strings.Contains(string(out), "No module named") {
				t.Skipf("Debian's python3-torch and python3-numpy are not installed: %s", out)
			}
			t.Fatalf("%s: %s: %v\n%s", f, line, err, out)
		}
		checkRef(t, f+" converted", LoadNPZ(filepath.Join(dir, strings.TrimSuffix(f, ".pt")+".npz")).Tensor("attention"), m.Attention)
	}
	// What a Hugging Face user saves first: torch.save(outputs.attentions), a
	// tuple of [batch, heads, T, T] per layer. The line stacks it.
	tuple := filepath.Join(dir, "tuple.pt")
	mk := exec.Command("/usr/bin/python3", "-c", `import sys, torch
torch.save(tuple(torch.full((1, 2, 3, 3), float(l)) for l in range(4)), sys.argv[1])`, tuple)
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("writing a tuple with torch.save: %v\n%s", err, out)
	}
	err := LoadNPZ(tuple).Err()
	line := regexp.MustCompile(`python3 -c "[^"]*"`).FindString(err.Error())
	if out, err := exec.Command("/bin/sh", "-c", "/usr/bin/"+line).CombinedOutput(); err != nil {
		t.Fatalf("tuple.pt: %s: %v\n%s", line, err, out)
	}
	a := LoadNPZ(filepath.Join(dir, "tuple.npz")).Tensor("attention")
	if err := a.Err(); err != nil || !slices.Equal(a.Shape(), []int{4, 1, 2, 3, 3}) || a.At(3, 0, 1, 2, 2) != 3 {
		t.Errorf("tuple.pt converted: shape %v (%v), want [4 1 2 3 3] with layer l filled with l", a.Shape(), err)
	}
}

// TestExporterFiles reads what scripts/attnviz_export.py wrote (make_user_files.py).
func TestExporterFiles(t *testing.T) {
	m := readUserManifest(t)
	for _, c := range []struct {
		file, dtype string
		want        refArray
	}{
		{"export_f32.safetensors", "F32", m.Attention},
		{"export_f16.safetensors", "F16", m.AttentionF16},
		{"export_hf.safetensors", "F32", m.HFBatch1},
	} {
		f := LoadSafetensors(userFile(c.file))
		err := f.Err()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if f.Dtype("attention") != c.dtype {
			t.Errorf("%s: dtype %s, want %s", c.file, f.Dtype("attention"), c.dtype)
		}
		checkRef(t, c.file, f.Tensor("attention"), c.want)
		var toks []string
		if err := json.Unmarshal([]byte(f.Metadata()["tokens"]), &toks); err != nil || !reflect.DeepEqual(toks, m.Tokens) {
			t.Errorf("%s: tokens %q (%v), want %q", c.file, toks, err, m.Tokens)
		}
	}
}

// TestExporterRoundTrip runs scripts/attnviz_export.py (NumPy only): Python saves, Go reads
// and compares with NumPy's own values, Go saves, Python reads back; and the exporter's
// refusals say what is wrong.
func TestExporterRoundTrip(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy").Run(); err != nil {
		t.Skip("/usr/bin/python3 has no numpy (apt-get install -y python3-numpy): the exporter is not run")
	}
	dir := t.TempDir()
	scripts, _ := filepath.Abs("../scripts")
	py := func(code string) (string, error) {
		cmd := exec.Command("/usr/bin/python3", "-c", "import sys; sys.path.insert(0, "+pyQuote(scripts)+")\nimport numpy as np, attnviz_export as ax\n"+code)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := py(`
rng = np.random.default_rng(5)
a = rng.random((3, 2, 4, 4)).astype(np.float32)
a /= a.sum(-1, keepdims=True)
ax.save_attention("py.safetensors", a, ["a", "b", "<c>", "ü"])
ax.save_attention("py16.safetensors", a, ["a", "b", "<c>", "ü"], dtype="float16")
np.save("py.npy", a)
np.save("py16.npy", a.astype(np.float16))
`)
	if err != nil {
		t.Fatalf("exporter: %v\n%s", err, out)
	}
	for _, c := range [][2]string{{"py.safetensors", "py.npy"}, {"py16.safetensors", "py16.npy"}} {
		got := LoadSafetensorsTensor(filepath.Join(dir, c[0]), "attention")
		want := LoadNPY(filepath.Join(dir, c[1]))
		if got.Err() != nil || want.Err() != nil || !reflect.DeepEqual(got.Shape(), want.Shape()) || !reflect.DeepEqual(got.Data(), want.Data()) {
			t.Fatalf("%s differs from numpy's %s: %v %v", c[0], c[1], got, want)
		}
	}
	f := LoadSafetensors(filepath.Join(dir, "py.safetensors"))
	err = f.Err()
	if err != nil || f.Metadata()["tokens"] != `["a", "b", "<c>", "ü"]` {
		t.Fatalf("tokens metadata: %v %q", err, f.Metadata())
	}
	// Go writes, Python reads back.
	att := f.Tensor("attention")
	if err := SaveSafetensors(filepath.Join(dir, "go.safetensors"), map[string]*Tensor{"attention": att}, map[string]string{"tokens": `["x","y","z","w"]`}); err != nil {
		t.Fatal(err)
	}
	out, err = py(`
a, toks = ax.load_attention("go.safetensors")
b, _ = ax.load_attention("py.safetensors")
assert toks == ["x", "y", "z", "w"], toks
assert a.dtype == np.float32 and a.shape == (3, 2, 4, 4) and (a == b).all()
print("ok")
`)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("Python reading Go's file: %v\n%s", err, out)
	}
	// Refusals.
	for _, c := range []struct{ code, want string }{
		{`ax.save_attention("x.safetensors", np.zeros((2, 1, 3, 4, 4)), batch=1)`, "batch 1: the attention has a batch of 1 (0 to 0)"},
		{`ax.save_attention("x.safetensors", np.zeros((2, 4, 4)), ["a", "b"])`, "tokens: 2 tokens for a 4×4 attention matrix"},
		{`ax.save_attention("x.safetensors", np.zeros(4))`, "want [T, T], [heads, T, T], [layers, heads, T, T] or [layers, batch, heads, T, T], got [4]"},
		{`ax.save_attention("x.safetensors", np.array([["a"]], dtype=object))`, "cannot save an object array"},
		{`ax.save_attention("x.safetensors", np.zeros((4, 4)), dtype="int8")`, `dtype 'int8': use "float32" or "float16"`},
	} {
		out, err := py("try:\n    " + c.code + "\nexcept (ValueError, TypeError) as e:\n    print(e)\n")
		if err != nil || !strings.Contains(out, c.want) {
			t.Errorf("%s: want %q, got %v %q", c.code, c.want, err, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.safetensors")); err == nil {
			t.Errorf("%s: a refused save left a file", c.code)
		}
	}
}

func pyQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
