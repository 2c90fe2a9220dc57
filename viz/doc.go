// Package viz draws attention: heatmaps of one head, layer×head grids,
// scaled dot-product attention step by step, masks, positional encodings,
// per-head statistics, attention rollout and token strips, and the
// interactive head view and explorer.
//
// Every view takes tensors (on any device; values are read through
// t.DataErr) and options, and returns a *Figure. The figure is rendered
// when it is made, so showing it in a notebook cannot fail: bad input gives
// a figure that draws a friendly message and returns the error from Err and
// Save, with the tensor's or the operating system's error in its chain
// (errors.Is, errors.As).
//
//	w := tensor.MustFromRows([][]float32{{.9, .1}, {.3, .7}})
//	fig := viz.Heatmap(w, viz.Tokens(toks), viz.Palette(viz.Viridis))
//	err := fig.Save("attn.pdf") // .png .svg .pdf .html
//
// Rows are queries, columns are keys, row 0 at the top. Tokens labels both
// (self-attention); KeyTokens labels the keys of cross-attention. A view
// given an option it does not read ignores it and says so in a warning
// (Figure.Warnings, and the figure's caption).
//
// # Where things are
//
// Each view has its file, named after it or after its family: steps.go,
// rollout.go; heatmap.go (one attention matrix: Heatmap, and TokenStrip, one
// query's row of it); heads.go (the views of every layer and head: Grid,
// Explorer, HeadView, and the reading of that stack); position.go
// (Positional, RoPE); masks.go (MaskPatterns, MaskEffect); stats.go
// (HeadStats, Induction). A view file holds the view's function, its static
// drawing and, for the views that have one, its interactive form. figure.go
// holds the table of views (name, static draw, interactive writer, options
// read), the Figure and its outputs, and the reading and checking of tensors
// every view shares; options.go the options (Pool and PoolMode in pool.go,
// with the pooling of matrices larger than a panel); bigheat.go the
// interactive heatmap of matrices over 1024 on a side (an overview and tiles
// read on demand); canvas.go the colours, the canvas, the matrix panel and
// the colour bar; bars.go the bar charts. The
// pixels are drawn by viz/internal/raster (PNG, SVG, PDF), the interactive
// HTML is written by viz/internal/echarts.
package viz
