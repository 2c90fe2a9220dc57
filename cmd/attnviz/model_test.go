package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

const modelCLIPath = "../../../shared/models/stories260Ktok512.gguf"

func needModelFile(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ATTNVIZ_MODEL"), modelCLIPath, "../../models/stories260Ktok512.gguf"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("model file %s not found: run `make model` or put stories260Ktok512.gguf in ../shared/models/", modelCLIPath)
	return ""
}

func runModelCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = runModelIO(args, &o, &e)
	return code, o.String(), e.String()
}

func TestModelCLISafetensors(t *testing.T) {
	m := needModelFile(t)
	out := filepath.Join(t.TempDir(), "att.safetensors")
	code, _, stderr := runModelCLI("-m", m, "-prompt", "Once upon a time", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f := tensor.LoadSafetensors(out)
	err := f.Err()
	if err != nil {
		t.Fatal(err)
	}
	att := tensor.LoadSafetensorsTensor(out, "attention")
	if err := att.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(att.Shape(), []int{5, 8, 5, 5}) {
		t.Errorf("attention shape %v", att.Shape())
	}
	var toks []string
	if err := json.Unmarshal([]byte(f.Metadata()["tokens"]), &toks); err != nil {
		t.Fatalf("tokens metadata: %v", err)
	}
	if want := []string{"<s>", " Once", " upon", " a", " time"}; !reflect.DeepEqual(toks, want) {
		t.Errorf("tokens %q, want %q", toks, want)
	}
	if s := att.Sum(-1).Data(); s[0] < 0.9999 || s[len(s)-1] > 1.0001 {
		t.Errorf("rows do not sum to 1: %v", s[:3])
	}
}

func TestModelCLIFigures(t *testing.T) {
	m := needModelFile(t)
	dir := t.TempDir()
	for _, c := range []struct{ file, view string }{
		{"grid.png", "grid"}, {"head.svg", "heatmap"}, {"grid.html", "grid"}, {"head.pdf", "heatmap"},
		{"stats.png", "stats"}, {"rollout.png", "rollout"}, {"strip.png", "strip"},
	} {
		out := filepath.Join(dir, c.file)
		code, _, stderr := runModelCLI("-m", m, "-prompt", "Lily and Ben", "-view", c.view, "-layer", "1", "-head", "3", "-o", out, "-q")
		if code != 0 {
			t.Errorf("%s: exit %d: %s", c.file, code, stderr)
			continue
		}
		b, err := os.ReadFile(out)
		if err != nil || len(b) < 100 {
			t.Errorf("%s: %d bytes, %v", c.file, len(b), err)
		}
	}
}

// -view induction on the induction model finds its induction heads; on an
// array without tokens it says what it needs.
func TestModelCLIInductionView(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ind.png")
	code, _, stderr := runModelCLI("-m", "../../notebooks/data/induction.gguf", "-prompt", "k7qdbgjiswk7qdbgjisw", "-view", "induction", "-o", out, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || len(b) < 1000 {
		t.Errorf("%d bytes, %v", len(b), err)
	}
	// -generate refuses what the vocabulary lacks, as a run does
	code, _, stderr = runModelCLI("-m", "../../notebooks/data/induction.gguf", "-prompt", "ABC ABC", "-generate", "5")
	want := "attnviz model: the vocabulary has no token for 'A', 'B', 'C', ' ' (space) in the prompt; this model reads only the characters abcdefghijklmnopqrstuvwxyz0123456789\n"
	if code != 1 || stderr != want {
		t.Errorf("-generate: exit %d, %q\nwant %q", code, stderr, want)
	}
}

func TestModelCLIGenerate(t *testing.T) {
	m := needModelFile(t)
	code, stdout, stderr := runModelCLI("-m", m, "-generate", "20", "-prompt", "Once upon a time")
	if code != 0 || !strings.HasPrefix(stdout, "Once upon a time, there was a little girl named Lily") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runModelCLI("-m", m, "-prompt", "Once upon a time")
	if code != 0 || !strings.Contains(stdout, `" Once"`) || !strings.Contains(stdout, "next token") {
		t.Errorf("summary: exit %d, %q", code, stdout)
	}
}

func TestModelCLIErrors(t *testing.T) {
	m := needModelFile(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-m", "nope.gguf", "-prompt", "x"}, 1, "make model"},
		{[]string{"-m", m, "-prompt", "x", "-o", "out.txt"}, 1, "must end in .safetensors"},
		{[]string{"-m", m, "-prompt", "x", "-view", "bogus", "-o", filepath.Join(t.TempDir(), "a.png")}, 1, "bogus"},
		{[]string{"-m", m, "-prompt", "x", "-palette", "nope", "-o", filepath.Join(t.TempDir(), "a.png")}, 1, "palette"},
		{[]string{"-m", m, "-prompt", "x", "-view", "heatmap", "-layer", "9", "-o", filepath.Join(t.TempDir(), "a.png")}, 1, "-layer 9 is out of range"},
		{[]string{"-m", m, "-prompt", strings.Repeat("the cat sat. ", 100)}, 1, "context of 128"},
		{[]string{"-m", m, "Once", "upon"}, 1, "quote the prompt"},
		{[]string{"-generate", "-3"}, 1, "-generate"},
		{[]string{"-bogus"}, 1, "flag provided but not defined"},
		{[]string{"-m", m, "-prompt", "x", "-device", "nosuch"}, 1, "-device nosuch"},
	}
	for _, c := range cases {
		code, _, stderr := runModelCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestModelCLIAnyFolder: `attnviz model` finds the lesson model from any folder once
// `make model` has put it in the user cache folder, and says where it looked when it is nowhere.
func TestModelCLIAnyFolder(t *testing.T) {
	src := needModelFile(t)
	src, _ = filepath.Abs(src)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	os.Unsetenv("ATTNVIZ_MODEL")
	t.Chdir(t.TempDir())

	code, _, stderr := runModelCLI("-prompt", "Once upon a time")
	cache := filepath.Join(home, ".cache", "attnviz", "models")
	for _, want := range []string{"was looked for in $ATTNVIZ_MODEL (not set), " + cache, "run `make model`", "-m"} {
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("no model anywhere: want exit 1 and %q, got %d %q", want, code, stderr)
		}
	}
	if code, _, stderr := runModelCLI("-where"); code != 1 || !strings.Contains(stderr, cache) {
		t.Errorf("-where with no model: want exit 1 naming %s, got %d %q", cache, code, stderr)
	}

	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(cache, 0o755)
	if err := os.WriteFile(filepath.Join(cache, "stories260Ktok512.gguf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runModelCLI("-where")
	if want := filepath.Join(cache, "stories260Ktok512.gguf") + "\n"; code != 0 || stdout != want {
		t.Errorf("-where: want %q, got %d %q %q", want, code, stdout, stderr)
	}
	code, stdout, stderr = runModelCLI("-q", "-prompt", "Once upon a time")
	if code != 0 || !strings.Contains(stdout, "next token") {
		t.Errorf("from another folder: exit %d, %q %q", code, stdout, stderr)
	}
}

// TestModelCLIRecordSome: -layers/-heads record only those (the same
// numbers as a full record), a heatmap records its one head, and -memory
// refuses a run over the budget naming the flags to change.
func TestModelCLIRecordSome(t *testing.T) {
	m := needModelFile(t)
	dir := t.TempDir()
	const prompt = "Once upon a time, there was a little girl"
	full, part := filepath.Join(dir, "full.safetensors"), filepath.Join(dir, "part.safetensors")
	if code, _, stderr := runModelCLI("-m", m, "-prompt", prompt, "-o", full, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := runModelCLI("-m", m, "-prompt", prompt, "-layers", "3,1", "-heads", "0-2,7", "-o", part)
	if code != 0 || !strings.Contains(stderr, "2 of 5 layers × 4 of 8 heads") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	a, b := tensor.LoadSafetensorsTensor(full, "attention"), tensor.LoadSafetensorsTensor(part, "attention")
	if a.Err() != nil || b.Err() != nil {
		t.Fatal(a.Err(), b.Err())
	}
	T := a.Shape()[2]
	if !reflect.DeepEqual(b.Shape(), []int{2, 4, T, T}) {
		t.Fatalf("part shape %v", b.Shape())
	}
	for i, l := range []int{3, 1} {
		for j, h := range []int{0, 1, 2, 7} {
			x, y := a.Index(l, h).Data(), b.Index(i, j).Data()
			for k := range x {
				if d := x[k] - y[k]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("layer %d head %d differs at %d: %g vs %g", l, h, k, x[k], y[k])
				}
			}
		}
	}
	if md := tensor.LoadSafetensors(part).Metadata(); md["layers"] != "[3,1]" || md["heads"] != "[0,1,2,7]" {
		t.Errorf("metadata %v", md)
	}

	// a heatmap records its head only
	code, _, stderr = runModelCLI("-m", m, "-prompt", prompt, "-view", "heatmap", "-layer", "4", "-head", "6", "-o", filepath.Join(dir, "h.png"))
	if code != 0 || !strings.Contains(stderr, "1 of 5 layers × 1 of 8 heads") {
		t.Errorf("heatmap: exit %d: %s", code, stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-memory", "10kB", "-o", filepath.Join(dir, "x.safetensors")}, "attnviz model: recording every layer and head (5 × 8) at 13 tokens needs about 208 kB (27 kB of attention weights"},
		{[]string{"-memory", "10kB", "-o", filepath.Join(dir, "x.safetensors")}, "more than the memory budget of 10 kB (model.MemoryBudget); record fewer layers and heads with model.RecordLayers and model.RecordHeads (attnviz model -layers, -heads)"},
		{[]string{"-memory", "lots"}, `attnviz model: -memory "lots": want a size such as 8GB, 512MiB or 2000000000, or off`},
		{[]string{"-layers", "1,x"}, `attnviz model: -layers "1,x": want numbers ≥ 0 and ranges separated by commas, e.g. 0,2-4; "x" is not one`},
		{[]string{"-layers", "7"}, "attnviz model: RecordLayers(7): the model has layers 0 … 4"},
		{[]string{"-heads", "2,2"}, "attnviz model: RecordHeads: head 2 is given twice"},
		{[]string{"-layers", "1", "-view", "grid", "-o", filepath.Join(dir, "g.png")}, "attnviz model: -layers and -heads choose what a .safetensors record holds (or a heatmap's head); a grid figure numbers"},
		{[]string{"-view", "heatmap", "-head", "8", "-o", filepath.Join(dir, "h8.png")}, "attnviz model: -head 8 is out of range: the model has 8 heads (0 … 7)"},
		{[]string{"-view", "heatmap", "-heads", "1,2", "-o", filepath.Join(dir, "h12.png")}, "attnviz model: a heatmap draws one head; give -layer L -head H"},
	} {
		code, _, stderr := runModelCLI(append([]string{"-m", m, "-prompt", prompt, "-q"}, c.args...)...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q\nwant %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.safetensors")); err == nil {
		t.Errorf("a refused run wrote its output")
	}
}
