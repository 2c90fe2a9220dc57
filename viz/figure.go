// Package viz draws attention: heatmaps of one head, layer×head grids,
// scaled dot-product attention step by step, masks, positional encodings,
// per-head statistics, attention rollout and token strips.
//
// Every view takes tensors (on any device; values are read through
// t.DataErr) and options, and returns a *Figure. The figure is rendered
// when it is made, so showing it in a notebook cannot fail: bad input gives
// a figure that draws a friendly message and returns the error from Err and
// Save.
//
//	w := tensor.MustFromRows([][]float32{{.9, .1}, {.3, .7}})
//	fig := viz.Heatmap(w, viz.Tokens(toks), viz.Palette(viz.Viridis))
//	err := fig.Save("attn.pdf") // .png .svg .pdf .html
//
// Rows are queries, columns are keys, row 0 at the top.
package viz

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/attnviz/attnviz/internal/atomicfile"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// Figure is a rendered view. Its display methods (PNG, HTML, SimpleRender)
// never panic. Use pointer values (*Figure), as every view returns.
type Figure struct {
	kind     string // view name: "heatmap", "grid", ...
	cfg      config
	mats     []matrix // the data the view drew, for other writers (interactive HTML)
	page     *raster.Page
	png      []byte
	err      error
	warnings []string
	caption  string

	// interactive, when non-nil, writes the figure's interactive HTML (a
	// notebook fragment); interactivePage, when non-nil, writes it as a
	// standalone page for Save(".html").
	interactive     func() (string, error)
	interactivePage func() (string, error)
}

// matrix is one named array a view drew.
type matrix struct {
	name  string
	shape []int
	data  []float32
}

// attachInteractive, when set (by the interactive writer's init), gives a
// new figure its interactive HTML writer.
var attachInteractive func(f *Figure) func() (string, error)

func (f *Figure) addMatrix(name string, data []float32, shape ...int) {
	f.mats = append(f.mats, matrix{name: name, shape: append([]int(nil), shape...), data: data})
}

// build makes a figure of the given kind: draw lays the page out; a
// returned error (or a panic) gives an error figure instead.
func build(kind string, opts []Option, draw func(f *Figure) (*raster.Page, error)) *Figure {
	f := &Figure{kind: kind, cfg: newConfig(opts)}
	f.warnings = append(f.warnings, f.cfg.optWarn...)
	var page *raster.Page
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = tensor.Errorf(tensor.ErrValue, "viz.%s: drawing failed (%v); please report this with the input's shape", viewName(kind), r)
			}
		}()
		page, err = draw(f)
		if err == nil && page != nil && f.cfg.sizeSet {
			page.Grow(f.cfg.w, f.cfg.h)
		}
		if err == nil && page != nil {
			f.png, err = page.PNG()
		}
		return err
	}()
	if err != nil {
		f.fail(err)
		return f
	}
	f.page = page
	f.caption = f.makeCaption()
	if attachInteractive != nil {
		func() {
			defer func() { _ = recover() }()
			f.interactive = attachInteractive(f)
		}()
	}
	return f
}

func viewName(kind string) string {
	switch kind {
	case "heatmap":
		return "Heatmap"
	case "grid":
		return "Grid"
	case "steps":
		return "Steps"
	case "masks":
		return "MaskPatterns"
	case "maskeffect":
		return "MaskEffect"
	case "positional":
		return "Positional"
	case "rope":
		return "RoPE"
	case "stats":
		return "HeadStats"
	case "rollout":
		return "Rollout"
	case "strip":
		return "TokenStrip"
	case "headview":
		return "HeadView"
	case "explorer":
		return "Explorer"
	}
	return kind
}

// fail turns f into an error figure.
func (f *Figure) fail(err error) {
	f.err = err
	f.mats = nil
	f.interactive = nil
	f.interactivePage = nil
	f.page = errorPage(err.Error(), f.cfg.theme)
	var perr error
	f.png, perr = safePNG(f.page)
	if perr != nil {
		f.png = nil
	}
	f.caption = "Error: " + err.Error()
}

func safePNG(p *raster.Page) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return p.PNG()
}

func (f *Figure) warn(format string, args ...any) {
	f.warnings = append(f.warnings, fmt.Sprintf(format, args...))
}

func (f *Figure) makeCaption() string {
	s := f.cfg.title
	if s == "" {
		s = viewName(f.kind)
	}
	for _, w := range f.warnings {
		s += " — warning: " + w
	}
	return s
}

// Err returns the figure's error, or nil.
func (f *Figure) Err() error {
	if f == nil {
		return tensor.Errorf(tensor.ErrValue, "viz: nil *Figure")
	}
	return f.err
}

// Warnings lists problems that did not stop the drawing (for example rows
// of weights that do not sum to 1).
func (f *Figure) Warnings() []string {
	if f == nil {
		return nil
	}
	return append([]string(nil), f.warnings...)
}

// PNG returns the figure as a PNG image (an error figure shows its message).
func (f *Figure) PNG() []byte {
	if f == nil {
		return nil
	}
	return f.png
}

// HTML returns the figure as HTML: the interactive chart when one is
// available, else the PNG as an inline image with a caption.
func (f *Figure) HTML() (out string) {
	if f == nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			out = f.staticHTML()
		}
	}()
	if f.interactive != nil && f.err == nil {
		if s, err := f.interactive(); err == nil {
			return s
		}
	}
	return f.staticHTML()
}

func (f *Figure) staticHTML() string {
	var b strings.Builder
	b.WriteString(`<figure class="attnviz" style="margin:0">`)
	b.WriteString(`<img alt="`)
	b.WriteString(html.EscapeString(f.caption))
	b.WriteString(`" src="data:image/png;base64,`)
	b.WriteString(base64.StdEncoding.EncodeToString(f.png))
	b.WriteString(`"/>`)
	b.WriteString(`<figcaption style="font:12px sans-serif">`)
	b.WriteString(html.EscapeString(f.caption))
	b.WriteString(`</figcaption></figure>`)
	return b.String()
}

// String describes the figure in one line.
func (f *Figure) String() string {
	if f == nil {
		return "viz.Figure(nil)"
	}
	if f.err != nil {
		return "viz." + viewName(f.kind) + " error: " + f.err.Error()
	}
	s := fmt.Sprintf("viz.%s figure", viewName(f.kind))
	if f.page != nil {
		s += fmt.Sprintf(" %d×%d px", f.page.W, f.page.H)
	}
	if f.cfg.title != "" {
		s += fmt.Sprintf(" %q", f.cfg.title)
	}
	for _, w := range f.warnings {
		s += "; warning: " + w
	}
	return s
}

// SimpleRender returns the MIME bundle a notebook shows: image/png,
// text/html and text/plain.
func (f *Figure) SimpleRender() map[string]any {
	if f == nil {
		return map[string]any{"text/plain": "viz.Figure(nil)"}
	}
	return map[string]any{
		"image/png":  f.PNG(),
		"text/html":  f.HTML(),
		"text/plain": f.String(),
	}
}

// Save writes the figure; the format comes from the extension: .png, .svg,
// .pdf or .html. It returns the figure's error, if any, without writing.
func (f *Figure) Save(path string) error {
	if f == nil {
		return tensor.Errorf(tensor.ErrValue, "viz: Save on a nil *Figure")
	}
	if f.err != nil {
		return f.err
	}
	b, err := f.Encode(strings.ToLower(filepath.Ext(path)))
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// writeAtomic writes b with internal/atomicfile (a temporary file beside
// path, renamed into place), so an error (a full disk, a bad directory)
// never leaves a half-written handout behind. The OS error stays in the
// chain (errors.Is(err, fs.ErrNotExist), ...).
func writeAtomic(path string, b []byte) error {
	err := atomicfile.WriteFile(path, b)
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, atomicfile.ErrIsDir):
		return tensor.Errorf(tensor.ErrValue, "viz: Save: %s is a directory; give a file name", path)
	case errors.As(err, &pe):
		err = pe.Err // the path is in the message already
	}
	return tensor.Errorf(tensor.ErrValue, "viz: Save: cannot write %s: %w", path, err)
}

// Encode returns the figure in the format named by ext (".png", ".svg",
// ".pdf", ".html").
func (f *Figure) Encode(ext string) (b []byte, err error) {
	if f == nil {
		return nil, tensor.Errorf(tensor.ErrValue, "viz: nil *Figure")
	}
	if f.err != nil {
		return nil, f.err
	}
	defer func() {
		if r := recover(); r != nil {
			err = tensor.Errorf(tensor.ErrValue, "viz: writing %s failed: %v", ext, r)
		}
	}()
	switch ext {
	case ".png":
		return f.png, nil
	case ".svg":
		return f.page.SVG()
	case ".pdf":
		return f.page.PDF()
	case ".html":
		if f.interactivePage != nil {
			if s, err := f.interactivePage(); err == nil {
				return []byte(s), nil
			}
		}
		var buf bytes.Buffer
		h := f.HTML()
		if strings.HasPrefix(strings.TrimSpace(strings.ToLower(h)), "<!doctype") {
			buf.WriteString(h)
		} else {
			buf.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
			buf.WriteString(html.EscapeString(f.makeCaption()))
			buf.WriteString("</title></head><body>\n")
			buf.WriteString(h)
			buf.WriteString("\n</body></html>\n")
		}
		return buf.Bytes(), nil
	}
	return nil, tensor.Errorf(tensor.ErrValue, "viz: cannot save as %q: want a file name ending in .png, .svg, .pdf or .html", ext)
}
