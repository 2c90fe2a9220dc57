package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/internal/gallery"
	"github.com/attnviz/attnviz/tensor"
)

func writeNPY(t *testing.T, path string, x *tensor.Tensor) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tensor.WriteNPY(f, x); err != nil {
		t.Fatal(err)
	}
}

// otherSentence is demo.Stack(2, 3, 4) with its heads in reverse order.
func otherSentence() *tensor.Tensor {
	a := demo.Stack(2, 3, 4)
	var layers []*tensor.Tensor
	for l := 0; l < 2; l++ {
		layers = append(layers, tensor.Stack(a.Index(l, 2), a.Index(l, 1), a.Index(l, 0)))
	}
	return tensor.Stack(layers...)
}

func fixtures(t *testing.T) string {
	dir := t.TempDir()
	writeNPY(t, filepath.Join(dir, "w.npy"), demo.Attention(4))
	writeNPY(t, filepath.Join(dir, "heads.npy"), demo.Stack(1, 3, 4).Reshape(3, 4, 4))
	writeNPY(t, filepath.Join(dir, "stack.npy"), demo.Stack(2, 3, 4))
	// what torch.stack(outputs.attentions) gives: [layers, batch, heads, T, T]
	writeNPY(t, filepath.Join(dir, "hf.npy"), tensor.Stack(demo.Stack(2, 3, 4), otherSentence()).Permute(1, 0, 2, 3, 4))
	writeNPY(t, filepath.Join(dir, "hf1.npy"), demo.Stack(2, 3, 4).Reshape(2, 1, 3, 4, 4))
	writeNPY(t, filepath.Join(dir, "vec.npy"), tensor.Ones(3))
	writeNPY(t, filepath.Join(dir, "nan.npy"), tensor.New([]float32{1, float32(math.NaN()), 0, 1}, 2, 2))
	if err := tensor.SaveNPZ(filepath.Join(dir, "two.npz"), map[string]*tensor.Tensor{"attn": demo.Attention(4), "scores": tensor.Ones(4, 4)}); err != nil {
		t.Fatal(err)
	}
	if err := tensor.SaveSafetensors(filepath.Join(dir, "att.safetensors"), map[string]*tensor.Tensor{"attention": demo.Stack(2, 2, 4)}, map[string]string{"tokens": `["The","cat","sat","on"]`}); err != nil {
		t.Fatal(err)
	}
	if err := tensor.SaveSafetensors(filepath.Join(dir, "badtoks.safetensors"), map[string]*tensor.Tensor{"attention": demo.Attention(4)}, map[string]string{"tokens": `The cat`}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "junk.npy"), []byte("not an npy file"), 0o644)
	os.WriteFile(filepath.Join(dir, "w.txt"), []byte("1 2"), 0o644)
	os.WriteFile(filepath.Join(dir, "toks.txt"), []byte("The\ncat\nsat\non\n"), 0o644)
	return dir
}

func runMain(dir string, args ...string) (int, string, string) {
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "$D", dir)
	}
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), strings.ReplaceAll(errb.String(), dir, "$D")
}

func TestRenderBadInput(t *testing.T) {
	dir := fixtures(t)
	cases := []struct {
		args   []string
		stderr string // exact, or a prefix when it ends in "…"
	}{
		{nil, "usage:…"},
		{[]string{"paint"}, "attnviz: unknown command \"paint\"\n…"},
		{[]string{"render", "-o", "$D/x.png"}, "attnviz render: no input file; usage: attnviz render [flags] -o OUT FILE\n"},
		{[]string{"render", "$D/w.npy"}, "attnviz render: no output file; add -o OUT.png (or .svg, .pdf, .html)\n"},
		{[]string{"render", "-o", "$D/x.gif", "$D/w.npy"}, "attnviz render: cannot write \"$D/x.gif\": the output must end in .png, .svg, .pdf or .html\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/none.npy"}, "attnviz render: cannot read $D/none.npy: no such file or directory\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/w.txt"}, "attnviz render: cannot read $D/w.txt: want a .npy, .npz or .safetensors file\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/junk.npy"}, "attnviz render: …"},
		{[]string{"render", "-o", "$D/x.png", "$D/vec.npy"}, "attnviz render: want a [T,T], [H,T,T], [L,H,T,T] or [L,B,H,T,T] array (B: a batch of sentences), got shape [3]\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/nan.npy"}, "attnviz render: viz.Heatmap: the weights hold NaN at [0 1]; every value must be a finite number (look for a division by zero or an overflow before this step)\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/hf.npy"}, "attnviz render: the array of shape [2 2 3 4 4] is [layers, batch, heads, queries, keys], a batch of 2 sentences; pick one with -batch (0 … 1)\n"},
		{[]string{"render", "-o", "$D/x.png", "-view", "grid", "$D/hf.npy"}, "attnviz render: the array of shape [2 2 3 4 4] is [layers, batch, heads, queries, keys], a batch of 2 sentences; pick one with -batch (0 … 1)\n"},
		{[]string{"render", "-o", "$D/x.png", "-batch", "2", "$D/hf.npy"}, "attnviz render: -batch 2 is out of range: the array of shape [2 2 3 4 4] is [layers, batch, heads, queries, keys], a batch of 2 sentences (0 … 1)\n"},
		{[]string{"render", "-o", "$D/x.png", "-batch", "1", "$D/hf1.npy"}, "attnviz render: -batch 1 is out of range: the array of shape [2 1 3 4 4] is [layers, batch, heads, queries, keys], a batch of 1 sentence (0 … 0)\n"},
		{[]string{"render", "-o", "$D/x.png", "-batch", "0", "$D/heads.npy"}, "attnviz render: -batch 0: the array of shape [3 4 4] has no batch axis (it is [heads, queries, keys]); drop -batch\n"},
		{[]string{"render", "-o", "$D/x.png", "-batch", "0", "-head", "3", "$D/stack.npy"}, "attnviz render: -head 3 is out of range: the array of shape [2 3 4 4] ([batch, heads, queries, keys]) has 3 heads (0 … 2)\n"},
		{[]string{"render", "-o", "$D/x.png", "-size", "10x10", "$D/w.npy"}, "attnviz render: -size 10x10 is too small to read: this figure needs at least 279×225 pixels at 96 dpi; use -size 279x225 or larger, or leave -size out\n"},
		{[]string{"render", "-o", "$D/x.png", "-size", "10x10", "-view", "grid", "$D/stack.npy"}, "attnviz render: -size 10x10 is too small to read: this figure needs at least 500×257 pixels at 96 dpi; use -size 500x257 or larger, or leave -size out\n"},
		{[]string{"render", "-o", "$D/x.png", "-dpi", "50", "$D/w.npy"}, "attnviz render: bad -dpi 50; use a value from 72 to 1200 (96 is the default; below 72, text is too small to read)\n"},
		{[]string{"render", "-o", "$D/x.png", "-layer", "1", "-head", "0", "$D/heads.npy"}, "attnviz render: -layer 1: the array of shape [3 4 4] ([heads, queries, keys]) has no layer axis; drop -layer\n"},
		{[]string{"render", "-o", "$D/x.png", "-batch", "1", "-layer", "0", "-head", "2", "$D/stack.npy"}, "attnviz render: -layer 0: the array of shape [2 3 4 4] ([batch, heads, queries, keys]) has no layer axis; drop -layer (with -batch, a 4-D array is [batch, heads, queries, keys]: one layer of a batch; an array of every layer is [L,H,T,T] without -batch, or [L,B,H,T,T])\n"},
		{[]string{"render", "-o", "$D/x.png", "-tokens", "a b c", "$D/w.npy"}, "attnviz render: 3 tokens given for a 4×4 attention matrix; give one token per position\n"},
		{[]string{"render", "-o", "$D/x.png", "-head", "3", "$D/heads.npy"}, "attnviz render: -head 3 is out of range: the array of shape [3 4 4] ([heads, queries, keys]) has 3 heads (0 … 2)\n"},
		{[]string{"render", "-o", "$D/x.png", "-layer", "2", "-head", "0", "$D/stack.npy"}, "attnviz render: -layer 2 is out of range: the array of shape [2 3 4 4] ([layers, heads, queries, keys]) has 2 layers (0 … 1)\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/two.npz"}, "attnviz render: $D/two.npz holds 2 arrays (attn, scores); pick one with -name\n"},
		{[]string{"render", "-o", "$D/x.png", "-name", "w", "$D/two.npz"}, "attnviz render: $D/two.npz has no array \"w\"; it holds: attn, scores\n"},
		{[]string{"render", "-o", "$D/x.png", "-view", "induction", "$D/w.npy"}, "attnviz render: -view induction needs the tokens, to find each token's earlier occurrence: give -tokens or -tokens-file, or a record written by attnviz model\n"},
		{[]string{"render", "-o", "$D/x.png", "-view", "pie", "$D/w.npy"}, "attnviz render: unknown -view \"pie\"; use heatmap, grid, headview, explorer, stats, induction, rollout or strip\n"},
		{[]string{"render", "-o", "$D/x.png", "-palette", "jet", "$D/w.npy"}, "attnviz render: unknown palette \"jet\"; use viridis, cividis, magma or diverging\n"},
		{[]string{"render", "-o", "$D/x.png", "-size", "big", "$D/w.npy"}, "attnviz render: bad -size \"big\"; give WIDTHxHEIGHT in pixels, e.g. 800x600\n"},
		{[]string{"render", "-o", "$D/x.html", "-view", "explorer", "-layer", "2", "$D/stack.npy"}, "attnviz render: viz.Explorer: layer 2 does not exist; the attention ([2 3 4 4], [layers, heads, queries, keys]) has 2 layers (0 … 1)\n"},
		{[]string{"render", "-o", "$D/x.png", "-view", "headview", "$D/nan.npy"}, "attnviz render: viz.HeadView: the attention holds NaN at [0 0 0 1]; every value must be a finite number (look for a division by zero or an overflow before this step)\n"},
		{[]string{"render", "-o", "$D/x.png", "-query", "9", "-view", "strip", "$D/w.npy"}, "attnviz render: viz.TokenStrip: Query(9) is outside the 4 queries; use 0 … 3\n"},
		{[]string{"render", "-o", "$D/x.png", "-tokens-file", "$D/none.txt", "$D/w.npy"}, "attnviz render: cannot read the tokens file $D/none.txt: no such file or directory\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/w.npy", "$D/w.npy"}, "attnviz render: one input file expected, got 2 ($D/w.npy $D/w.npy)\n"},
		{[]string{"render", "-bogus", "$D/w.npy"}, "flag provided but not defined: -bogus\n…"},
		{[]string{"render", "-o", "$D/x.png", "-name", "scores", "$D/att.safetensors"}, "attnviz render: $D/att.safetensors has no array \"scores\"; it holds: attention\n"},
		{[]string{"render", "-o", "$D/x.png", "$D/badtoks.safetensors"}, "attnviz render: $D/badtoks.safetensors: the file's \"tokens\" metadata is not a JSON list of strings: invalid character 'T' looking for beginning of value\n"},
		{[]string{"demo"}, "attnviz demo: no output directory; usage: attnviz demo -o DIR\n"},
	}
	for _, c := range cases {
		code, _, stderr := runMain(dir, append([]string(nil), c.args...)...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", c.args, code)
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%v: panic trace: %s", c.args, stderr)
		}
		if p, ok := strings.CutSuffix(c.stderr, "…"); ok {
			if !strings.HasPrefix(stderr, p) {
				t.Errorf("%v: stderr\n got %q\nwant %q…", c.args, stderr, p)
			}
		} else if stderr != c.stderr {
			t.Errorf("%v: stderr\n got %q\nwant %q", c.args, stderr, c.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.png")); err == nil {
		t.Error("a failed render wrote its output")
	}
}

func TestRender(t *testing.T) {
	dir := fixtures(t)
	cases := [][]string{
		{"render", "-o", "$D/a.png", "$D/w.npy"},
		{"render", "$D/w.npy", "-o", "$D/a.svg", "-tokens", "The cat sat on", "-annotate"},
		{"render", "-o", "$D/a.pdf", "-tokens-file", "$D/toks.txt", "-theme", "dark", "$D/w.npy"},
		{"render", "-o", "$D/a.html", "-palette", "magma", "$D/w.npy"},
		{"render", "-o", "$D/b.png", "-head", "2", "$D/heads.npy"},
		{"render", "-o", "$D/c.png", "$D/stack.npy"},
		{"render", "-o", "$D/d.png", "-view", "stats", "$D/stack.npy"},
		{"render", "-o", "$D/e.png", "-view", "rollout", "-query", "2", "$D/stack.npy"},
		{"render", "-o", "$D/f.png", "-view", "strip", "-layer", "1", "-head", "2", "$D/stack.npy"},
		{"render", "-o", "$D/g.png", "-name", "attn", "-size", "500x400", "$D/two.npz"},
		{"render", "-o", "$D/h.png", "-layer", "1", "-head", "1", "$D/att.safetensors"},
		{"render", "-o", "$D/i.html", "-view", "grid", "$D/att.safetensors"},
		{"render", "-o", "$D/j.png", "$D/hf1.npy"},
		{"render", "-o", "$D/k.png", "-batch", "1", "-view", "grid", "$D/hf.npy"},
		{"render", "-o", "$D/l.png", "-batch", "1", "-layer", "1", "-head", "2", "$D/hf.npy"},
		{"render", "-o", "$D/m.png", "-batch", "1", "-head", "2", "-view", "strip", "$D/stack.npy"},
		{"render", "-o", "$D/n.png", "-size", "279x225", "$D/w.npy"},
	}
	for _, args := range cases {
		code, _, stderr := runMain(dir, append([]string(nil), args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
			continue
		}
		out := strings.ReplaceAll(args[2], "$D", dir)
		if args[1] != "-o" {
			out = strings.ReplaceAll(args[3], "$D", dir)
		}
		if st, err := os.Stat(out); err != nil || st.Size() == 0 {
			t.Errorf("%v: no output %s", args, out)
		}
	}
}

// TestRenderInteractiveViews: -view headview and explorer write the
// interactive chart to .html and the layers × heads grid to .png.
func TestRenderInteractiveViews(t *testing.T) {
	dir := fixtures(t)
	cases := []struct {
		args []string
		want string // in the output file
	}{
		{[]string{"render", "-o", "$D/hv.html", "-view", "headview", "$D/att.safetensors"}, `data-kind="headview"`},
		{[]string{"render", "-o", "$D/ex.html", "-view", "explorer", "-layer", "1", "-head", "1", "$D/stack.npy"}, `data-kind="explorer"`},
		{[]string{"render", "-o", "$D/hv.png", "-view", "headview", "-tokens", "The cat sat on", "$D/stack.npy"}, "\x89PNG"},
		{[]string{"render", "-o", "$D/ex.svg", "-view", "explorer", "$D/heads.npy"}, "<svg"},
	}
	for _, c := range cases {
		code, _, stderr := runMain(dir, append([]string(nil), c.args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", c.args, code, stderr)
			continue
		}
		b, err := os.ReadFile(strings.ReplaceAll(c.args[2], "$D", dir))
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if !bytes.Contains(b, []byte(c.want)) {
			t.Errorf("%v: output (%d bytes) lacks %q", c.args, len(b), c.want)
		}
	}
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runMain(dir, "demo", "-o", "$D/g", "-formats", "png,svg")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "wrote the gallery to "+filepath.Join(dir, "g")+"\n" {
		t.Errorf("stdout %q", stdout)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "g", "*.png"))
	svgs, _ := filepath.Glob(filepath.Join(dir, "g", "*.svg"))
	if len(pngs) != len(gallery.Figures()) || len(svgs) != len(pngs) {
		t.Errorf("%d PNGs, %d SVGs for %d views", len(pngs), len(svgs), len(gallery.Figures()))
	}
}

// -batch picks the sentence of a [L,B,H,T,T] array; the heatmap of a
// stack names its layer and head (and the sentence) in the title; -view
// headview and explorer draw themselves, not the grid, in a picture.
func TestRenderBatchAndViews(t *testing.T) {
	dir := fixtures(t)
	png := func(args ...string) []byte {
		t.Helper()
		args = append([]string{"render", "-o", "$D/out.png"}, args...)
		if code, _, stderr := runMain(dir, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "out.png"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// sentence 1's head 2 is sentence 0's head 0
	if !bytes.Equal(png("-batch", "1", "-layer", "1", "-head", "2", "-title", "T", "$D/hf.npy"), png("-layer", "1", "-head", "0", "-title", "T", "$D/stack.npy")) {
		t.Error("-batch 1 did not draw the second sentence")
	}
	if bytes.Equal(png("-batch", "0", "-layer", "1", "-head", "2", "-title", "T", "$D/hf.npy"), png("-batch", "1", "-layer", "1", "-head", "2", "-title", "T", "$D/hf.npy")) {
		t.Error("-batch 0 and 1 draw the same picture")
	}
	// a batch of one needs no -batch; the title names layer and head
	if !bytes.Equal(png("-layer", "1", "-head", "2", "$D/hf1.npy"), png("-layer", "1", "-head", "2", "-title", "Attention weights — layer 1, head 2", "$D/stack.npy")) {
		t.Error("the heatmap of layer 1, head 2 is not titled so")
	}
	if !bytes.Equal(png("-head", "2", "$D/heads.npy"), png("-head", "2", "-title", "Attention weights — head 2", "$D/heads.npy")) {
		t.Error("the heatmap of head 2 is not titled so")
	}
	grid := png("-view", "grid", "$D/stack.npy")
	for _, v := range []string{"headview", "explorer"} {
		if bytes.Equal(png("-view", v, "$D/stack.npy"), grid) {
			t.Errorf("-view %s draws the grid", v)
		}
	}
}

// -h says what headview and explorer draw in a picture, and how the axes
// of an array (and -batch) are read.
func TestRenderHelp(t *testing.T) {
	code, _, stderr := runMain(t.TempDir(), "render", "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"the head view is drawn as on paper", "the explorer as its layers × heads grid", "[L,B,H,T,T] a batch", "-batch", "too small to read"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("-h does not say %q:\n%s", s, stderr)
		}
	}
}
