package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

type renderFlags struct {
	out, name, tokens, tokensFile, view, title, palette, theme, size, pool string
	layer, head, batch, query, dpi                                         int
	annotate                                                               bool
}

// parseInterleaved parses flags that may come before or after positional
// arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// addFigureFlags registers the flags that choose and style a figure; render
// and model share them so they behave the same. defView and titleHelp
// describe the command's own defaults.
func (f *renderFlags) addFigureFlags(fs *flag.FlagSet, defView, titleHelp string) {
	fs.StringVar(&f.view, "view", "", "heatmap, grid, headview, explorer, stats, induction, rollout or strip (default: "+defView+").\n"+
		"headview and explorer are interactive in .html; in .png, .svg and .pdf the head view is drawn as on paper\n"+
		"(the tokens in two columns, a line from each query to each key, its opacity the weight, one colour per head)\n"+
		"and the explorer as its layers × heads grid with the opened head drawn large beside it")
	fs.IntVar(&f.layer, "layer", -1, "layer to draw (heatmap, strip; grid: only this layer; headview: the layer drawn, the first by default; explorer: the layer opened first)")
	fs.IntVar(&f.head, "head", -1, "head to draw (heatmap, strip; grid: only this head; headview: the head drawn, all by default; explorer: the head opened first)")
	fs.IntVar(&f.batch, "batch", -1, "the sentence of a batch (default 0 for a batch of one). How an array's axes are read:\n"+
		"[T,T] one head; [H,T,T] one layer; [L,H,T,T] layers and heads;\n"+
		"[L,B,H,T,T] a batch, as torch.stack(outputs.attentions) gives;\n"+
		"with -batch, a 4-D array is [B,H,T,T], one layer of a batch (Hugging Face's outputs.attentions[l])")
	fs.IntVar(&f.query, "query", -1, "query token for strip and rollout (default: the last)")
	fs.StringVar(&f.title, "title", "", titleHelp)
	fs.StringVar(&f.palette, "palette", "", "viridis, cividis, magma or diverging")
	fs.StringVar(&f.theme, "theme", "light", "light or dark")
	fs.StringVar(&f.size, "size", "", "figure size in pixels, WxH (e.g. 800x600); a size too small to read is refused with the smallest that works")
	fs.IntVar(&f.dpi, "dpi", 96, "resolution, 72 to 1200 (text of s points is s·dpi/72 pixels)")
	fs.BoolVar(&f.annotate, "annotate", false, "write the values in the cells")
	fs.StringVar(&f.pool, "pool", "", "heatmap larger than the figure: each pixel shows the max (default: a sharp head stays visible) or the mean of its block of cells")
}

func runRender(args []string, _, stderr io.Writer) int { // writes a file, prints nothing on success
	var f renderFlags
	fs := flag.NewFlagSet("attnviz render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.out, "o", "", "output file: .png, .svg, .pdf or .html (required)")
	fs.StringVar(&f.name, "name", "", "which array of a multi-array file (.npz, .safetensors)")
	fs.StringVar(&f.tokens, "tokens", "", `tokens separated by spaces, e.g. "The cat sat"`)
	fs.StringVar(&f.tokensFile, "tokens-file", "", "file with one token per line")
	f.addFigureFlags(fs, "heatmap for [T,T], grid otherwise", "figure title")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: attnviz render [flags] -o OUT FILE")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		return 1 // the flag package has printed the problem and the usage
	}
	if err := render(f, pos); err != nil {
		fmt.Fprintf(stderr, "attnviz render: %v\n", err)
		return 1
	}
	return 0
}

func render(f renderFlags, pos []string) error {
	if len(pos) == 0 {
		return errors.New("no input file; usage: attnviz render [flags] -o OUT FILE")
	}
	if len(pos) > 1 {
		return fmt.Errorf("one input file expected, got %d (%s)", len(pos), strings.Join(pos, " "))
	}
	if f.out == "" {
		return errors.New("no output file; add -o OUT.png (or .svg, .pdf, .html)")
	}
	switch strings.ToLower(filepath.Ext(f.out)) {
	case ".png", ".svg", ".pdf", ".html":
	default:
		return fmt.Errorf("cannot write %q: the output must end in .png, .svg, .pdf or .html", f.out)
	}
	opts, err := options(f)
	if err != nil {
		return err
	}
	t, fileToks, picked, err := load(pos[0], f.name, f.oneHeadView(), f.batch, f.layer, f.head)
	if err != nil {
		return err
	}
	if picked != nil { // t is the [T,T] matrix -batch, -layer and -head chose
		if f.view != "strip" {
			opts = append(opts, picked.nameOpts(f.layer, f.head)...)
		}
		f.batch, f.layer, f.head = -1, -1, -1
	}
	toks, err := tokens(f, fileToks)
	if err != nil {
		return err
	}
	fig, err := figure(f, t, toks, opts)
	if err != nil {
		return err
	}
	if err := figErr(f, fig); err != nil {
		return err
	}
	return fig.Save(f.out)
}

// figErr is the figure's error, in the command line's words where they
// differ from the library's.
func figErr(f renderFlags, fig *viz.Figure) error {
	err := fig.Err()
	var se *viz.SizeError
	if errors.As(err, &se) {
		return fmt.Errorf("-size %s is too small to read: this figure needs at least %d×%d pixels at %d dpi; use -size %dx%d or larger, or leave -size out",
			f.size, se.MinW, se.MinH, se.DPI, se.MinW, se.MinH)
	}
	return err
}

func options(f renderFlags) ([]viz.Option, error) {
	var opts []viz.Option
	if f.title != "" {
		opts = append(opts, viz.Title(f.title))
	}
	opts, err := choice(opts, "palette", f.palette, "viridis, cividis, magma or diverging", map[string]viz.Option{
		"viridis": viz.Palette(viz.Viridis), "cividis": viz.Palette(viz.Cividis),
		"magma": viz.Palette(viz.Magma), "diverging": viz.Palette(viz.Diverging),
	})
	if err != nil {
		return nil, err
	}
	if opts, err = choice(opts, "theme", f.theme, "light or dark", map[string]viz.Option{"light": nil, "dark": viz.Theme(viz.Dark)}); err != nil {
		return nil, err
	}
	if f.size != "" {
		w, h, ok := strings.Cut(strings.ToLower(f.size), "x")
		wi, err1 := strconv.Atoi(w)
		hi, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || wi <= 0 || hi <= 0 || wi > 16384 || hi > 16384 {
			return nil, fmt.Errorf("bad -size %q; give WIDTHxHEIGHT in pixels, e.g. 800x600", f.size)
		}
		opts = append(opts, viz.Size(wi, hi))
	}
	if f.dpi < 72 || f.dpi > 1200 {
		return nil, fmt.Errorf("bad -dpi %d; use a value from 72 to 1200 (96 is the default; below 72, text is too small to read)", f.dpi)
	}
	opts = append(opts, viz.DPI(f.dpi))
	if f.annotate {
		opts = append(opts, viz.Annotate())
	}
	return choice(opts, "-pool", f.pool, "max or mean", map[string]viz.Option{"max": viz.Pool(viz.PoolMax), "mean": viz.Pool(viz.PoolMean)})
}

// choice appends to opts the option that value names in choices (any
// case; "" and a name mapped to nil add none); an unknown name is the error
// "unknown what "value"; use hint".
func choice(opts []viz.Option, what, value, hint string, choices map[string]viz.Option) ([]viz.Option, error) {
	if value == "" {
		return opts, nil
	}
	o, ok := choices[strings.ToLower(value)]
	if !ok {
		return nil, fmt.Errorf("unknown %s %q; use %s", what, value, hint)
	}
	if o != nil {
		opts = append(opts, o)
	}
	return opts, nil
}

// oneHeadView reports whether the figure draws one [T,T] matrix of the
// array (heatmap, strip): then only that matrix is read from the file.
// The default view is the heatmap for a [T,T] array or when -head is
// given; with neither it may be the grid, so the whole array is read.
func (f renderFlags) oneHeadView() bool {
	return f.view == "heatmap" || f.view == "strip" || (f.view == "" && f.head >= 0)
}

// load reads the array to draw and any tokens stored with it. With one
// (the heatmap or strip of an .npy or .safetensors file), only the matrix
// that -layer and -head pick is read from disk; picked says so (the
// result is that [T,T] matrix).
func load(path, name string, one bool, batch, layer, head int) (t *tensor.Tensor, toks []string, picked *axes, err error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	kind := strings.ToLower(filepath.Ext(path))
	switch kind {
	case ".npy", ".npz", ".safetensors":
	default:
		// Another extension (.pt, .pth, .bin, none): go by the first bytes, so that a
		// torch.save file is named as one, with how to convert it.
		kind = sniffKind(path)
		if kind == "" {
			return nil, nil, nil, fmt.Errorf("cannot read %s: want a .npy, .npz or .safetensors file", path)
		}
	}
	switch kind {
	case ".npy":
		if name != "" {
			return nil, nil, nil, fmt.Errorf("-name %q: a .npy file holds one array; drop -name", name)
		}
		return loadNPY(path, one, batch, layer, head)
	case ".npz":
		z := tensor.LoadNPZ(path)
		if err := z.Err(); err != nil {
			return nil, nil, nil, err
		}
		t, err := pick(path, z, name)
		if err != nil {
			return nil, nil, nil, err
		}
		toks := z.Tokens()
		if toks != nil && len(z.Shape("tokens")) != 1 {
			return nil, nil, nil, fmt.Errorf("%s: the tokens array has shape %v; want one token per position, a 1-D array", path, z.Shape("tokens"))
		}
		return t, toks, nil, nil
	}
	return loadSafetensors(path, name, one, batch, layer, head)
}

// loadNPY reads a .npy file: with one, only the [T,T] matrix -layer and
// -head pick; float32 is memory-mapped in place (mapSlice).
func loadNPY(path string, one bool, batch, layer, head int) (*tensor.Tensor, []string, *axes, error) {
	var idx []int
	var ax axes
	hf, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer hf.Close()
	h, err := tensor.ReadNPYHeader(hf)
	if err == nil { // a bad header: LoadNPYAt says what is wrong
		if one {
			if idx, ax, err = headIndex(h.Shape, batch, layer, head); err != nil {
				return nil, nil, nil, err
			}
		}
		if h.Descr == "<f4" && !h.Fortran {
			start, _ := hf.Seek(0, io.SeekCurrent)
			if t := mapSlice(hf, start, h.Shape, idx); t != nil {
				return t, nil, pickedAxes(idx, ax), nil
			}
		}
	}
	t := tensor.LoadNPYAt(path, idx...)
	if err := t.Err(); err != nil {
		return nil, nil, nil, err
	}
	return t, nil, pickedAxes(idx, ax), nil
}

// mapSlice returns the slice idx of a float32 array of the given shape
// whose data starts at byte start of f, memory-mapped in place (see
// mapFloats), or nil when it cannot (then the caller reads it).
func mapSlice(f *os.File, start int64, shape, idx []int) *tensor.Tensor {
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	total, off := int64(1), int64(0)
	for d, s := range shape {
		total *= int64(s)
		if d < len(idx) {
			off = off*int64(s) + int64(idx[d])
		}
	}
	rest := shape[len(idx):]
	n := int64(1)
	for _, s := range rest {
		n *= int64(s)
	}
	if len(shape) == 0 || n == 0 || n > math.MaxInt32 || st.Size() < start+4*total {
		return nil // LoadNPYAt says what is wrong
	}
	vals, ok := mapFloats(f, start+4*off*n, int(n))
	if !ok {
		return nil
	}
	return tensor.Wrap(vals, rest...)
}

// sniffKind says which reader a file of another extension needs, from its
// first bytes: a zip archive (an .npz, or a torch.save file, which LoadNPZ
// names), a pickle or a GGUF file (LoadNPZ names them too), .npy, safetensors.
func sniffKind(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b [9]byte
	n, _ := io.ReadFull(f, b[:])
	switch {
	case n >= 4 && (string(b[:4]) == "PK\x03\x04" || string(b[:4]) == "PK\x05\x06" || string(b[:4]) == "GGUF"),
		n >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5:
		return ".npz"
	case n >= 6 && string(b[:6]) == "\x93NUMPY":
		return ".npy"
	case n == 9 && b[8] == '{':
		return ".safetensors"
	}
	return ""
}

// pick chooses one array of numbers of an .npz file.
func pick(path string, z *tensor.NPZ, name string) (*tensor.Tensor, error) {
	if name != "" {
		if !slices.Contains(z.Names(), name) {
			return nil, fmt.Errorf("%s has no array %q; it holds: %s", path, name, strings.Join(z.Names(), ", "))
		}
		t := z.Tensor(name)
		return t, t.Err()
	}
	names := z.TensorNames()
	switch len(names) {
	case 0:
		if len(z.Names()) > 0 {
			return nil, fmt.Errorf("%s holds only text (%s), no array of numbers to draw", path, strings.Join(z.Names(), ", "))
		}
		return nil, fmt.Errorf("%s holds no arrays", path)
	case 1:
		t := z.Tensor(names[0])
		return t, t.Err()
	}
	if slices.Contains(names, "attention") { // what np.savez(f, attention=a, ...) and attnviz_export.py name it
		t := z.Tensor("attention")
		return t, t.Err()
	}
	return nil, fmt.Errorf("%s holds %d arrays (%s); pick one with -name", path, len(names), strings.Join(names, ", "))
}

// tokensFromMetadata parses a JSON list of strings.
func tokensFromMetadata(s string) ([]string, error) {
	var toks []string
	if err := json.Unmarshal([]byte(s), &toks); err != nil {
		return nil, fmt.Errorf("the file's \"tokens\" metadata is not a JSON list of strings: %v", err)
	}
	return toks, nil
}

func tokens(f renderFlags, fromFile []string) ([]string, error) {
	if f.tokens != "" && f.tokensFile != "" {
		return nil, errors.New("give -tokens or -tokens-file, not both")
	}
	if f.tokens != "" {
		return strings.Fields(f.tokens), nil
	}
	if f.tokensFile != "" {
		b, err := os.ReadFile(f.tokensFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read the tokens file %s: %w", f.tokensFile, errors.Unwrap(err))
		}
		s := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		if s == "" {
			return nil, fmt.Errorf("the tokens file %s is empty; write one token per line", f.tokensFile)
		}
		return strings.Split(s, "\n"), nil
	}
	return fromFile, nil
}

func figure(f renderFlags, t *tensor.Tensor, toks []string, opts []viz.Option) (*viz.Figure, error) {
	shape := t.Shape()
	rank := len(shape)
	if rank < 2 || rank > 5 {
		return nil, fmt.Errorf("want a [T,T], [H,T,T], [L,H,T,T] or [L,B,H,T,T] array (B: a batch of sentences), got shape %v", shape)
	}
	ax, err := readAxes(shape, f.batch)
	if err != nil {
		return nil, err
	}
	if f.batch >= 0 {
		opts = append(opts, viz.Batch(f.batch))
	}
	view := f.view
	if view == "" {
		view = "heatmap"
		if rank > 2 && f.head < 0 {
			view = "grid"
		}
	}
	if toks != nil && view != "stats" { // stats are per head: no tokens drawn
		q, k := shape[rank-2], shape[rank-1]
		if len(toks) != q || len(toks) != k {
			if q != k && len(toks) == q+k {
				opts = append(opts, viz.Tokens(toks[:q]), viz.KeyTokens(toks[q:]))
			} else {
				return nil, fmt.Errorf("%d tokens given for a %d×%d attention matrix; give one token per position", len(toks), q, k)
			}
		} else {
			opts = append(opts, viz.Tokens(toks))
		}
	}
	if f.query >= 0 {
		opts = append(opts, viz.Query(f.query))
	}
	switch view {
	case "heatmap", "strip":
		idx, err := ax.head(f.layer, f.head)
		if err != nil {
			return nil, err
		}
		if view == "strip" {
			return viz.TokenStrip(t.Index(idx...), opts...), nil
		}
		// the library picks the head and names it in the title
		if ax.L > 0 {
			opts = append(opts, viz.Layers(max(f.layer, 0)))
		}
		if ax.H > 0 {
			opts = append(opts, viz.Heads(max(f.head, 0)))
		}
		return viz.Heatmap(t, opts...), nil
	case "grid", "headview", "explorer", "stats", "induction", "rollout":
		if f.layer >= 0 {
			opts = append(opts, viz.Layers(f.layer))
		}
		if f.head >= 0 {
			opts = append(opts, viz.Heads(f.head))
		}
		switch view {
		case "grid":
			return viz.Grid(t, opts...), nil
		case "headview":
			return viz.HeadView(t, opts...), nil
		case "explorer":
			return viz.Explorer(t, opts...), nil
		case "stats":
			return viz.HeadStats(t, opts...), nil
		case "induction":
			if toks == nil {
				return nil, errors.New("-view induction needs the tokens, to find each token's earlier occurrence: give -tokens or -tokens-file, or a record written by attnviz model")
			}
			return viz.Induction(t, toks, opts...), nil
		}
		return viz.Rollout(t, opts...), nil
	}
	return nil, fmt.Errorf("unknown -view %q; use heatmap, grid, headview, explorer, stats, induction, rollout or strip", view)
}

// axes is how an array's axes are read: the sizes of its layer, batch
// and head axes (0: the array has none) and the sentence picked.
type axes struct {
	shape   []int
	L, B, H int
	b       int
	names   string
}

// readAxes reads an array's axes: [T,T], [H,T,T], [L,H,T,T] (or, with
// -batch, [B,H,T,T]) and [L,B,H,T,T]; batch is the -batch flag (-1: not
// given).
func readAxes(shape []int, batch int) (axes, error) {
	a := axes{shape: shape, b: max(batch, 0)}
	switch len(shape) {
	case 2:
		a.names = "[queries, keys]"
	case 3:
		a.H, a.names = shape[0], "[heads, queries, keys]"
	case 4:
		if batch >= 0 {
			a.B, a.H, a.names = shape[0], shape[1], "[batch, heads, queries, keys]"
		} else {
			a.L, a.H, a.names = shape[0], shape[1], "[layers, heads, queries, keys]"
		}
	case 5:
		a.L, a.B, a.H, a.names = shape[0], shape[1], shape[2], "[layers, batch, heads, queries, keys]"
	}
	switch {
	case batch >= 0 && a.B == 0:
		return a, fmt.Errorf("-batch %d: the array of shape %v has no batch axis (it is %s); drop -batch", batch, shape, a.names)
	case batch >= a.B && a.B > 0:
		return a, fmt.Errorf("-batch %d is out of range: the array of shape %v is %s, a batch of %s (0 … %d)", batch, shape, a.names, english.Count(a.B, "sentence"), a.B-1)
	case batch < 0 && a.B > 1:
		return a, fmt.Errorf("the array of shape %v is %s, a batch of %s; pick one with -batch (0 … %d)", shape, a.names, english.Count(a.B, "sentence"), a.B-1)
	}
	return a, nil
}

// head is the index of the [T,T] matrix that -layer and -head pick (a
// missing flag picks 0), or an error that says which flag to change.
func (a axes) head(layer, head int) ([]int, error) {
	var idx []int
	// pick appends the index that flag -what (v; -1: not given) picks on an
	// axis of n; n = 0: the array has no such axis, and the flag given (even
	// as 0) is refused, never ignored silently, with noAxis saying why.
	pick := func(what string, v, n int, noAxis string) error {
		switch {
		case n > 0:
			v = max(v, 0)
			if v >= n {
				return fmt.Errorf("-%s %d is out of range: the array of shape %v (%s) has %s (0 … %d)", what, v, a.shape, a.names, english.Count(n, what), n-1)
			}
			idx = append(idx, v)
		case v >= 0:
			return fmt.Errorf("-%s %d: the array of shape %v %s", what, v, a.shape, noAxis)
		}
		return nil
	}
	// with -batch a 4-D array is one layer of a batch: no layer axis
	if err := pick("layer", layer, a.L, fmt.Sprintf("(%s) has no layer axis; drop -layer%s", a.names, a.batchHint())); err != nil {
		return nil, err
	}
	if a.B > 0 {
		idx = append(idx, a.b)
	}
	if err := pick("head", head, a.H, "is one matrix "+a.names+"; drop -head"); err != nil {
		return nil, err
	}
	return idx, nil
}

// batchHint is what -layer's message adds when -batch made a 4-D array
// read as [batch, heads, queries, keys].
func (a axes) batchHint() string {
	if len(a.shape) == 4 && a.B > 0 {
		return " (with -batch, a 4-D array is [batch, heads, queries, keys]: one layer of a batch; an array of every layer is [L,H,T,T] without -batch, or [L,B,H,T,T])"
	}
	return ""
}

// headIndex is the index of the [T,T] matrix that -batch, -layer and
// -head pick in an array of the given shape (a missing flag picks 0; batch
// -1: not given), with the array's axes, or an error that says which flag
// to change. Ranks other than 2 … 5 give no index: the figure says what is
// wrong with the shape.
func headIndex(shape []int, batch, layer, head int) ([]int, axes, error) {
	if len(shape) < 2 || len(shape) > 5 {
		return nil, axes{}, nil
	}
	ax, err := readAxes(shape, batch)
	if err != nil {
		return nil, ax, err
	}
	idx, err := ax.head(layer, head)
	return idx, ax, err
}

// nameOpts are the options that name the head a heatmap of the picked
// [T,T] matrix shows, as the heatmap of the whole array would.
func (a axes) nameOpts(layer, head int) []viz.Option {
	var opts []viz.Option
	if a.L > 0 {
		opts = append(opts, viz.Layers(max(layer, 0)))
	}
	if a.H > 0 {
		opts = append(opts, viz.Heads(max(head, 0)))
	}
	return opts
}

// pickedAxes is &ax when idx picked a [T,T] matrix, else nil.
func pickedAxes(idx []int, ax axes) *axes {
	if len(idx) == 0 {
		return nil
	}
	return &ax
}
