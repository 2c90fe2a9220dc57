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

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

type renderFlags struct {
	out, name, tokens, tokensFile, view, title, palette, theme, size, pool string
	layer, head, query, dpi                                                int
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
	fs.StringVar(&f.view, "view", "", "heatmap, grid, headview, explorer, stats, rollout or strip (default: "+defView+"); headview and explorer are interactive in .html, the grid picture in .png/.svg/.pdf")
	fs.IntVar(&f.layer, "layer", -1, "layer to draw (heatmap, strip; grid: only this layer; headview, explorer: the layer shown first)")
	fs.IntVar(&f.head, "head", -1, "head to draw (heatmap, strip; grid: only this head; headview: the head switched on; explorer: the head opened first)")
	fs.IntVar(&f.query, "query", -1, "query token for strip and rollout (default: the last)")
	fs.StringVar(&f.title, "title", "", titleHelp)
	fs.StringVar(&f.palette, "palette", "", "viridis, cividis, magma or diverging")
	fs.StringVar(&f.theme, "theme", "light", "light or dark")
	fs.StringVar(&f.size, "size", "", "figure size in pixels, WxH (e.g. 800x600)")
	fs.IntVar(&f.dpi, "dpi", 96, "resolution (text of s points is s·dpi/72 pixels)")
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
	t, fileToks, picked, err := load(pos[0], f.name, f.oneHeadView(), f.layer, f.head)
	if err != nil {
		return err
	}
	if picked { // t is the [T,T] matrix -layer and -head chose
		f.layer, f.head = -1, -1
	}
	toks, err := tokens(f, fileToks)
	if err != nil {
		return err
	}
	fig, err := figure(f, t, toks, opts)
	if err != nil {
		return err
	}
	if err := fig.Err(); err != nil {
		return err
	}
	return fig.Save(f.out)
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
	if f.dpi < 24 || f.dpi > 1200 {
		return nil, fmt.Errorf("bad -dpi %d; use a value from 24 to 1200 (96 is the default)", f.dpi)
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
func load(path, name string, one bool, layer, head int) (t *tensor.Tensor, toks []string, picked bool, err error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, false, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	kind := strings.ToLower(filepath.Ext(path))
	switch kind {
	case ".npy", ".npz", ".safetensors":
	default:
		// Another extension (.pt, .pth, .bin, none): go by the first bytes, so that a
		// torch.save file is named as one, with how to convert it.
		kind = sniffKind(path)
		if kind == "" {
			return nil, nil, false, fmt.Errorf("cannot read %s: want a .npy, .npz or .safetensors file", path)
		}
	}
	switch kind {
	case ".npy":
		if name != "" {
			return nil, nil, false, fmt.Errorf("-name %q: a .npy file holds one array; drop -name", name)
		}
		return loadNPY(path, one, layer, head)
	case ".npz":
		z := tensor.LoadNPZ(path)
		if err := z.Err(); err != nil {
			return nil, nil, false, err
		}
		t, err := pick(path, z, name)
		if err != nil {
			return nil, nil, false, err
		}
		toks := z.Tokens()
		if toks != nil && len(z.Shape("tokens")) != 1 {
			return nil, nil, false, fmt.Errorf("%s: the tokens array has shape %v; want one token per position, a 1-D array", path, z.Shape("tokens"))
		}
		return t, toks, false, nil
	}
	return loadSafetensors(path, name, one, layer, head)
}

// loadNPY reads a .npy file: with one, only the [T,T] matrix -layer and
// -head pick; float32 is memory-mapped in place (mapSlice).
func loadNPY(path string, one bool, layer, head int) (*tensor.Tensor, []string, bool, error) {
	var idx []int
	hf, err := os.Open(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer hf.Close()
	h, err := tensor.ReadNPYHeader(hf)
	if err == nil { // a bad header: LoadNPYAt says what is wrong
		if one {
			if idx, err = headIndex(h.Shape, layer, head); err != nil {
				return nil, nil, false, err
			}
		}
		if h.Descr == "<f4" && !h.Fortran {
			start, _ := hf.Seek(0, io.SeekCurrent)
			if t := mapSlice(hf, start, h.Shape, idx); t != nil {
				return t, nil, len(idx) > 0, nil
			}
		}
	}
	t := tensor.LoadNPYAt(path, idx...)
	if err := t.Err(); err != nil {
		return nil, nil, false, err
	}
	return t, nil, len(idx) > 0, nil
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
	if rank < 2 || rank > 4 {
		return nil, fmt.Errorf("want a [T,T], [H,T,T] or [L,H,T,T] array, got shape %v", shape)
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
		m, err := oneHead(t, f.layer, f.head)
		if err != nil {
			return nil, err
		}
		if view == "strip" {
			return viz.TokenStrip(m, opts...), nil
		}
		return viz.Heatmap(m, opts...), nil
	case "grid", "headview", "explorer", "stats", "rollout":
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
		}
		return viz.Rollout(t, opts...), nil
	}
	return nil, fmt.Errorf("unknown -view %q; use heatmap, grid, headview, explorer, stats, rollout or strip", view)
}

// oneHead picks a [T,T] matrix out of [T,T], [H,T,T] or [L,H,T,T].
func oneHead(t *tensor.Tensor, layer, head int) (*tensor.Tensor, error) {
	idx, err := headIndex(t.Shape(), layer, head)
	if err != nil {
		return nil, err
	}
	return t.Index(idx...), nil
}

// headIndex is the index of the [T,T] matrix that -layer and -head pick
// in an array of the given shape ([T,T], [H,T,T] or [L,H,T,T]; a missing
// flag picks 0), or an error that says which flag to change. Other ranks
// give no index: the figure says what is wrong with the shape.
func headIndex(shape []int, layer, head int) ([]int, error) {
	check := func(what string, v, n int) error {
		if v < 0 || v >= n {
			return fmt.Errorf("-%s %d is out of range: the array has %d %ss (0 … %d)", what, v, n, what, n-1)
		}
		return nil
	}
	switch len(shape) {
	case 2:
		if layer > 0 || head > 0 {
			return nil, fmt.Errorf("the array is one [%d,%d] matrix; drop -layer and -head", shape[0], shape[1])
		}
	case 3:
		if layer > 0 {
			return nil, fmt.Errorf("the array %v has no layer dimension; drop -layer", shape)
		}
		head = max(head, 0)
		if err := check("head", head, shape[0]); err != nil {
			return nil, err
		}
		return []int{head}, nil
	case 4:
		layer, head = max(layer, 0), max(head, 0)
		if err := check("layer", layer, shape[0]); err != nil {
			return nil, err
		}
		if err := check("head", head, shape[1]); err != nil {
			return nil, err
		}
		return []int{layer, head}, nil
	}
	return nil, nil
}
