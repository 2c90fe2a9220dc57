package viz

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
)

func TestBadInput(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	ninf := float32(math.Inf(-1))
	w2 := tensor.MustFromRows([][]float32{{.5, .5}, {.2, .8}})
	cases := []struct {
		name string
		fig  *Figure
		kind error
		msg  string
	}{
		{"nil", Heatmap(nil), tensor.ErrValue, "viz.Heatmap: the weights are nil; pass a *tensor.Tensor"},
		{"rank3", Heatmap(tensor.Zeros(12, 9, 9)), tensor.ErrShape, "viz.Heatmap: want one head's [queries, keys] matrix, got attention of 12 heads, shape [12 9 9] ([heads, queries, keys]); pick one with viz.Heads(h) (0 … 11), or draw every head with viz.Grid"},
		{"batch of one", Heatmap(tensor.Zeros(1, 4, 10, 10)), tensor.ErrShape, "viz.Heatmap: want one head's [queries, keys] matrix, got attention of 4 heads, shape [1 4 10 10] ([layers, heads, queries, keys]); pick one with viz.Heads(h) (0 … 3), or draw every head with viz.Grid"},
		{"stack", Heatmap(tensor.Zeros(3, 4, 10, 10)), tensor.ErrShape, "viz.Heatmap: want one head's [queries, keys] matrix, got attention of 3 layers × 4 heads, shape [3 4 10 10] ([layers, heads, queries, keys]); pick one with viz.Layers(l) (0 … 2) and viz.Heads(h) (0 … 3), or draw every head with viz.Grid"},
		{"two heads", Heatmap(demo.Stack(2, 2, 3), Layers(0), Heads(0, 1)), tensor.ErrValue, "viz.Heatmap draws one head, but Layers and Heads name 1 layer × 2 heads; draw several with viz.Grid"},
		{"heatmap batch", Heatmap(tensor.Zeros(2, 3, 4, 5, 5), Layers(0), Heads(0)), tensor.ErrShape, "viz.Heatmap: the attention of shape [2 3 4 5 5] is [layers, batch, heads, queries, keys], a batch of 3 sentences; pick one with viz.Batch(i) (0 … 2)"},
		{"heatmap batch on a matrix", Heatmap(w2, Batch(0)), tensor.ErrShape, "viz.Heatmap: Batch(0) was given, but the weights of shape [2 2] have no batch axis; drop viz.Batch"},
		{"heatmap rank 6", Heatmap(tensor.Zeros(2, 2, 2, 2, 2, 2)), tensor.ErrShape, "viz.Heatmap: want attention of shape [layers, heads, queries, keys] ([heads, queries, keys] is one layer; [layers, batch, heads, queries, keys] is a batch, as torch.stack(outputs.attentions) gives), got shape [2 2 2 2 2 2]"},
		{"strip of a stack", TokenStrip(tensor.Zeros(1, 4, 10, 10)), tensor.ErrShape, "viz.TokenStrip: want a [queries × keys] matrix or one row of weights [keys], got shape [1 4 10 10]; it is [layers, heads, queries, keys] (or [batch, heads, queries, keys], one layer of a batch): pick a head with w.Index(l, h) (0 ≤ l < 1, 0 ≤ h < 4), or draw them all with viz.Grid"},
		{"steps q of heads", Steps(tensor.Zeros(1, 2, 3, 4), tensor.Zeros(3, 4), tensor.Zeros(3, 4)), tensor.ErrShape, "viz.Steps: want Q as a 2-D [tokens × features] matrix, got shape [1 2 3 4]; pick one head, e.g. q.Index(h) for [heads, tokens, features], q.Index(b, h) for [batch, heads, tokens, features]"},
		{"rank1", Heatmap(tensor.Ones(3)), tensor.ErrShape, "viz.Heatmap: want a 2-D [queries × keys] tensor, got shape [3]; for one query's weights over the keys use viz.TokenStrip, or reshape to [1, n]"},
		{"empty", Heatmap(tensor.Zeros(0, 3)), tensor.ErrShape, "viz.Heatmap: the weights are empty (shape [0 3]); there is nothing to draw"},
		{"nan", Heatmap(tensor.New([]float32{1, nan, 0, 1}, 2, 2)), tensor.ErrValue, "viz.Heatmap: the weights hold NaN at [0 1]; every value must be a finite number (look for a division by zero or an overflow before this step)"},
		{"+inf", Heatmap(tensor.New([]float32{1, 0, inf, 1}, 2, 2)), tensor.ErrValue, "viz.Heatmap: the weights hold +Inf at [1 0]"},
		{"tokens", Heatmap(w2, Tokens([]string{"a"}), KeyTokens([]string{"a", "b"})), tensor.ErrShape, "viz.Heatmap: token count does not match the matrix: 1 query token for 2 rows; pass one token per row and per column"},
		{"one key token", Heatmap(tensor.Full(1, 1, 2), Tokens([]string{"a"})), tensor.ErrShape, "viz.Heatmap: token count does not match the matrix: 1 key token for 2 columns; pass one token per row and per column (keys that are other tokens than the queries: add viz.KeyTokens)"},
		{"one row", Heatmap(tensor.Full(.5, 1, 2), Highlight(1)), tensor.ErrValue, "viz.Heatmap: Highlight(1) is outside the 1 query row; use 0 … 0"},
		{"highlight", Heatmap(w2, Highlight(2)), tensor.ErrValue, "viz.Heatmap: Highlight(2) is outside the 2 query rows; use 0 … 1"},
		{"range", Heatmap(w2, Range(1, 1)), tensor.ErrValue, "viz.Heatmap: Range(1, 1) is empty; give lo < hi, both finite"},
		{"mask shape", Heatmap(w2, Mask(tensor.Ones(3, 3))), tensor.ErrShape, "viz.Heatmap: want a mask of shape [2 2] (1 = may attend, 0 = blocked), got shape [3 3]"},
		{"carried", Heatmap(tensor.Zeros(2, 2).MatMul(tensor.Zeros(3, 3))), tensor.ErrShape, "viz.Heatmap: the weights carry an error: MatMul"},
		{"grid carried", Grid(tensor.Zeros(2, 2).MatMul(tensor.Zeros(3, 3))), tensor.ErrShape, "viz.Grid: the attention carries an error: MatMul"},
		{"grid rank", Grid(tensor.Zeros(2, 2, 2, 2, 2, 2)), tensor.ErrShape, "viz.Grid: want attention of shape [layers, heads, queries, keys] ([heads, queries, keys] is one layer; [layers, batch, heads, queries, keys] is a batch, as torch.stack(outputs.attentions) gives), got shape [2 2 2 2 2 2]"},
		{"grid matrix", Grid(w2), tensor.ErrShape, "viz.Grid: want attention of shape [layers, heads, queries, keys] ([heads, queries, keys] is one layer; [layers, batch, heads, queries, keys] is a batch, as torch.stack(outputs.attentions) gives), got one [queries, keys] matrix of shape [2 2]; a grid needs several heads: draw this one with viz.Heatmap"},
		{"explorer matrix", Explorer(w2), tensor.ErrShape, "viz.Explorer: want attention of shape [layers, heads, queries, keys]"},
		{"grid batch", Grid(tensor.Zeros(2, 3, 4, 5, 5)), tensor.ErrShape, "viz.Grid: the attention of shape [2 3 4 5 5] is [layers, batch, heads, queries, keys], a batch of 3 sentences; pick one with viz.Batch(i) (0 … 2)"},
		{"grid batch range", Grid(tensor.Zeros(2, 3, 4, 5, 5), Batch(3)), tensor.ErrValue, "viz.Grid: Batch(3) does not exist: the attention of shape [2 3 4 5 5] is [layers, batch, heads, queries, keys], a batch of 3 sentences (0 … 2)"},
		{"grid batch 4-D range", Grid(tensor.Zeros(1, 4, 5, 5), Batch(1)), tensor.ErrValue, "viz.Grid: Batch(1) does not exist: the attention of shape [1 4 5 5] is [batch, heads, queries, keys], a batch of 1 sentence (0 … 0)"},
		{"grid no batch axis", Grid(tensor.Zeros(4, 5, 5), Batch(0)), tensor.ErrShape, "viz.Grid: Batch(0) was given, but the attention of shape [4 5 5] has no batch axis: it is [heads, queries, keys]; drop viz.Batch (a batch is [layers, batch, heads, queries, keys], or [batch, heads, queries, keys] for one layer)"},
		{"grid one layer", Grid(tensor.Full(.5, 1, 1, 2, 2), Layers(7)), tensor.ErrValue, "viz.Grid: layer 7 does not exist; the attention ([1 1 2 2], [layers, heads, queries, keys]) has 1 layer (0 … 0)"},
		{"grid negative", Grid(tensor.New([]float32{.5, .5, -.1, 1.1}, 1, 1, 2, 2)), tensor.ErrValue, "viz.Grid: the attention should be attention weights (probabilities ≥ 0), but holds -0.1 at [0 0 1 0]; pass the softmax output, or use viz.Heatmap to draw raw scores"},
		{"grid layer", Grid(demo.Stack(2, 2, 3), Layers(2)), tensor.ErrValue, "viz.Grid: layer 2 does not exist; the attention ([2 2 3 3], [layers, heads, queries, keys]) has 2 layers (0 … 1)"},
		{"grid -inf", Grid(tensor.New([]float32{1, ninf, .5, .5}, 1, 2, 2)), tensor.ErrValue, "viz.Grid: the attention holds -Inf at [0 0 0 1]"},
		{"steps dk", Steps(tensor.Zeros(3, 4), tensor.Zeros(3, 5), tensor.Zeros(3, 2)), tensor.ErrShape, "viz.Steps: want K with 4 features like Q [3 4], got shape [3 5]; Q and K must have the same last dimension dₖ"},
		{"steps v", Steps(tensor.Zeros(3, 4), tensor.Zeros(3, 4), tensor.Zeros(2, 2)), tensor.ErrShape, "viz.Steps: want V with 3 rows, one per key (K is [3 4]), got shape [2 2]"},
		{"masks", MaskPatterns(4, 5), tensor.ErrValue, "viz.MaskPatterns: valid = 5 real tokens out of n = 4; use 0 … n (n = no padding)"},
		{"masks 0", MaskPatterns(0, 0), tensor.ErrValue, "viz.MaskPatterns: n = 0 tokens; use 1 … 4096"},
		{"steps one feature", Steps(tensor.Zeros(3, 1), tensor.Zeros(3, 5), tensor.Zeros(3, 2)), tensor.ErrShape, "viz.Steps: want K with 1 feature like Q [3 1], got shape [3 5]"},
		{"steps one row", Steps(tensor.Zeros(3, 4), tensor.Zeros(1, 4), tensor.Zeros(2, 2)), tensor.ErrShape, "viz.Steps: want V with 1 row, one per key (K is [1 4]), got shape [2 2]"},
		{"strip one key", TokenStrip(tensor.Full(1, 1), KeyTokens([]string{"a", "b"})), tensor.ErrShape, "viz.TokenStrip: 2 key tokens for 1 weight; pass one token per key"},
		{"rollout one token", Rollout(tensor.Ones(1, 1, 1, 1), Query(1)), tensor.ErrValue, "viz.Rollout: Query(1) is outside the 1 token; use 0 … 0"},
		{"maskeffect nil", MaskEffect(w2, nil), tensor.ErrValue, "viz.MaskEffect: the mask is nil; pass one, e.g. tensor.CausalMask(2)"},
		{"positional nan", Positional(tensor.New([]float32{nan}, 1, 1)), tensor.ErrValue, "viz.Positional: the encodings hold NaN at [0 0]"},
		{"rope odd", RoPE(5, 4), tensor.ErrValue, "viz.RoPE: head dimension d = 5; RoPE needs an even d ≥ 2 (pairs of features)"},
		{"stats negative", HeadStats(tensor.New([]float32{-1, 2, 0, 1}, 1, 1, 2, 2)), tensor.ErrValue, "viz.HeadStats: the attention should be attention weights (probabilities ≥ 0), but holds -1 at [0 0 0 0]"},
		{"rollout square", Rollout(tensor.Zeros(1, 1, 2, 3)), tensor.ErrShape, "viz.Rollout: want square attention [L, H, T, T] (every token a query and a key), got shape [1 1 2 3]; rollout needs the full prompt, not a KV-cache step"},
		{"rollout query", Rollout(demo.Stack(1, 1, 3), Query(3)), tensor.ErrValue, "viz.Rollout: Query(3) is outside the 3 tokens; use 0 … 2"},
		{"strip query", TokenStrip(w2, Query(-1)), tensor.ErrValue, "viz.TokenStrip: Query(-1) is outside the 2 queries; use 0 … 1"},
		{"strip negative", TokenStrip(tensor.New([]float32{.5, -.5}, 2)), tensor.ErrValue, "viz.TokenStrip: weights must be ≥ 0, got -0.5 at key 1; pass softmax weights"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.fig.Err()
			if err == nil {
				t.Fatalf("no error, want %q", c.msg)
			}
			if !strings.HasPrefix(err.Error(), c.msg) {
				t.Errorf("error\n got %q\nwant %q…", err.Error(), c.msg)
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("errors.Is(%v, %v) = false", err, c.kind)
			}
			// the error figure still displays, and Save returns the error
			if len(c.fig.PNG()) == 0 || !strings.Contains(c.fig.HTML(), "data:image/png;base64,") {
				t.Error("error figure has no PNG/HTML")
			}
			b := c.fig.SimpleRender()
			if b["text/plain"] == "" || b["image/png"] == nil {
				t.Error("bad MIME bundle")
			}
			if err2 := c.fig.Save(filepath.Join(t.TempDir(), "x.png")); err2 != err {
				t.Errorf("Save returned %v, want the figure's error", err2)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	f := Heatmap(tensor.MustFromRows([][]float32{{.5, .4}, {.2, .8}}))
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	w := f.Warnings()
	if len(w) != 1 || w[0] != "row 0 sums to 0.9, not 1: are these softmax weights?" {
		t.Fatalf("warnings %q", w)
	}
	if !strings.Contains(f.staticHTML(), "row 0 sums to 0.9") || !strings.Contains(f.String(), "warning") {
		t.Error("warning missing from the caption")
	}
	// a masked row of zeros is fine
	if w := Heatmap(tensor.MustFromRows([][]float32{{0, 0}, {.2, .8}})).Warnings(); len(w) != 0 {
		t.Errorf("zero row warned: %q", w)
	}
}

// Degenerate data must not panic (gonum/plot #302, #434, #548).
func TestDegenerate(t *testing.T) {
	ninf := float32(math.Inf(-1))
	figs := map[string]*Figure{
		"1x1":         Heatmap(tensor.MustFromRows([][]float32{{1}})),
		"uniform":     Heatmap(tensor.Full(0.25, 4, 4)),
		"zeros":       Heatmap(tensor.Zeros(3, 3)),
		"all -inf":    Heatmap(tensor.Full(ninf, 2, 2)),
		"-inf row":    Heatmap(tensor.New([]float32{ninf, ninf, 1, -1}, 2, 2)),
		"1 token":     Grid(tensor.Ones(1, 1, 1, 1)),
		"steps 1":     Steps(tensor.Ones(1, 1), tensor.Ones(1, 1), tensor.Ones(1, 1)),
		"steps block": Steps(tensor.Ones(2, 2), tensor.Ones(2, 2), tensor.Ones(2, 2), Mask(tensor.Zeros(2, 2))),
		"stats 1":     HeadStats(tensor.Ones(1, 1, 1, 1)),
		"rollout 1":   Rollout(tensor.Ones(1, 1, 1, 1)),
		"strip 1":     TokenStrip(tensor.Ones(1)),
		"strip 0s":    TokenStrip(tensor.Zeros(3)),
		"masks 1":     MaskPatterns(1, 0),
		"pos 1":       Positional(tensor.Zeros(1, 1)),
		"rope":        RoPE(2, 1),
		"long tokens": Heatmap(tensor.Full(.5, 2, 2), Tokens([]string{strings.Repeat("x", 200), "\n\t"}), KeyTokens([]string{"", " a "})),
		"size":        Heatmap(demo.Attention(30), Size(300, 220)),
		"huge size":   Heatmap(demo.Attention(3), Size(4000, 3000)),
		"dpi":         Heatmap(demo.Attention(5), DPI(200)),
		"cross":       Steps(tensor.Ones(2, 3), tensor.Ones(4, 3), tensor.Ones(4, 5), Mask(tensor.Ones(4))),
		"rect":        Heatmap(tensor.Full(.25, 3, 4), Tokens([]string{"a", "b", "c"}), KeyTokens([]string{"w", "x", "y", "z"})),
		"rect grid":   Grid(tensor.Full(.25, 2, 2, 3, 4)),
	}
	for name, f := range figs {
		if f.Err() != nil {
			t.Errorf("%s: %v", name, f.Err())
		}
		if len(f.PNG()) == 0 {
			t.Errorf("%s: no PNG", name)
		}
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	f := Heatmap(demo.Attention(6), Tokens(demo.Tokens(6)))
	magic := map[string]string{".png": "\x89PNG", ".svg": "<?xml", ".pdf": "%PDF", ".html": "<!DOCTYPE html>"}
	for ext, m := range magic {
		p := filepath.Join(dir, "f"+ext)
		if err := f.Save(p); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if !strings.HasPrefix(string(b), m) {
			t.Errorf("%s starts with %q", ext, b[:min(len(b), 20)])
		}
	}
	err := f.Save(filepath.Join(dir, "f.jpg"))
	if err == nil || err.Error() != `viz: cannot save as ".jpg": want a file name ending in .png, .svg, .pdf or .html` {
		t.Errorf("jpg: %v", err)
	}
	var nilFig *Figure
	if nilFig.Err() == nil || nilFig.PNG() != nil || nilFig.HTML() != "" || nilFig.String() != "viz.Figure(nil)" {
		t.Error("nil figure")
	}
}

// Row 0 is drawn at the top: in a diagonal matrix the bright cell of row 0
// is the top-left one.
func TestRowZeroOnTop(t *testing.T) {
	w := tensor.MustFromRows([][]float32{{1, 0, 0}, {0, 0, 0}, {0, 0, 0}})
	f := Heatmap(w, NoAnnotate())
	m := &matPanel{}
	_ = m
	img := decodePNG(t, f.PNG())
	yellow := Viridis.At(1)
	// find the yellow cell's bounding box
	b := img.Bounds()
	minY, maxY := b.Max.Y, 0
	minX := b.Max.X
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X*3/4; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == yellow.R && uint8(g>>8) == yellow.G && uint8(bb>>8) == yellow.B {
				minY, maxY = min(minY, y), max(maxY, y)
				minX = min(minX, x)
			}
		}
	}
	if maxY == 0 {
		t.Fatal("no yellow cell")
	}
	// the dark cell below it
	r, g, bb, _ := img.At(minX+2, maxY+4).RGBA()
	dark := Viridis.At(0)
	if uint8(r>>8) != dark.R || uint8(g>>8) != dark.G || uint8(bb>>8) != dark.B {
		t.Errorf("cell under the top-left one is not the 0 colour")
	}
	if minY > b.Max.Y/3 {
		t.Errorf("row 0 drawn at y=%d, not near the top of a %d px figure", minY, b.Max.Y)
	}
}

// Figures may be made from several goroutines at once (font caches are shared).
func TestConcurrent(t *testing.T) {
	done := make(chan *Figure)
	for i := 0; i < 4; i++ {
		go func(i int) {
			done <- Heatmap(demo.Attention(6+i), Tokens(demo.Tokens(6+i)), DPI(96+24*i))
		}(i)
	}
	for i := 0; i < 4; i++ {
		if f := <-done; f.Err() != nil {
			t.Error(f.Err())
		}
	}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestErrorChain: a figure's error keeps its cause in the chain: the
// tensor's typed error (errors.As) and the operating system's (errors.Is).
func TestErrorChain(t *testing.T) {
	bad := tensor.Zeros(2, 2).MatMul(tensor.Zeros(3, 3)) // carries a *tensor.ShapeError
	w := tensor.Full(0.5, 2, 2)
	for _, f := range []*Figure{
		Heatmap(bad),
		Heatmap(w, Mask(bad)),
		Grid(bad),
		Steps(w, bad, w),
		TokenStrip(bad),
		MaskEffect(w, bad),
	} {
		err := f.Err()
		var se *tensor.ShapeError
		if !errors.Is(err, tensor.ErrShape) || !errors.As(err, &se) || se.Op != "MatMul" {
			t.Errorf("%v: the tensor's *ShapeError is not in the chain", err)
		}
	}
	err := Heatmap(w).Save(filepath.Join(t.TempDir(), "no", "such", "dir", "x.png"))
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, tensor.ErrValue) {
		t.Errorf("Save into a missing folder: %v does not wrap fs.ErrNotExist and tensor.ErrValue", err)
	}
	var pe *fs.PathError
	dir := filepath.Join(t.TempDir(), "a.png")
	os.Mkdir(dir, 0o755)
	err = Heatmap(w).Save(dir)
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Save onto a folder: %v", err)
	}
}

// A heatmap drawn from a stack names the layer and head (and the sentence
// of a batch) in its title: the PNG's, the interactive chart's and the
// caption (the image's alt text).
func TestHeatmapNamesTheHead(t *testing.T) {
	att := demo.Stack(3, 4, 6)
	batch := tensor.Stack(att, att).Permute(1, 0, 2, 3, 4) // [layers, batch, heads, T, T]
	for _, c := range []struct {
		fig  *Figure
		want string
	}{
		{Heatmap(att, Layers(2), Heads(1)), "Attention weights — layer 2, head 1"},
		{Heatmap(att.Index(2), Heads(3)), "Attention weights — head 3"},
		{Heatmap(att.Index(2, 3), Layers(2), Heads(3)), "Attention weights — layer 2, head 3"}, // picked by hand, named
		{Heatmap(att.Index(0).Reshape(1, 4, 6, 6), Heads(0)), "Attention weights — layer 0, head 0"},
		{Heatmap(batch, Batch(1), Layers(0), Heads(2)), "Attention weights — layer 0, head 2 (batch item 1)"},
		{Heatmap(batch.Index(1), Batch(0), Heads(2)), "Attention weights — head 2 (batch item 0)"},
		{Heatmap(att.Index(1, 1)), "Attention weights"},
	} {
		if err := c.fig.Err(); err != nil {
			t.Fatal(err)
		}
		chart, _, err := c.fig.html.get()
		if err != nil {
			t.Fatal(err)
		}
		if chart.Title != c.want {
			t.Errorf("interactive title %q, want %q", chart.Title, c.want)
		}
		if want := strings.Replace(c.want, "Attention weights", "Heatmap", 1); c.fig.caption != want {
			t.Errorf("caption %q, want %q", c.fig.caption, want)
		}
		if !pageHasText(c.fig, c.want) {
			t.Errorf("the PNG's title is not %q", c.want)
		}
	}
	// the same values, layer 2 head 1, draw the same cells
	a, b := Heatmap(att, Layers(2), Heads(1), Title("t")), Heatmap(att.Index(2, 1), Title("t"))
	if !bytes.Equal(a.PNG(), b.PNG()) {
		t.Error("Layers(2), Heads(1) did not draw att.Index(2, 1)")
	}
}
