// Package gallery draws every view of viz from the demo data: the figures
// of `attnviz demo`, whose PNG and SVG are viz's golden files.
package gallery

import (
	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

// Example is a named figure of the gallery.
type Example struct {
	Name   string
	Figure *viz.Figure
}

// Figures draws every view, each with opts added to its own options.
func Figures(opts ...viz.Option) []Example {
	toks := demo.Tokens(8)
	q, k, v := demo.QKV(5, 4)
	o := func(more ...viz.Option) []viz.Option { return append(append([]viz.Option{}, opts...), more...) }
	stack := demo.Stack(4, 6, 12)
	t12 := demo.Tokens(12)
	scores := tensor.RandN(5, 8, 8)
	return []Example{
		{"heatmap", viz.Heatmap(demo.Attention(8), o(viz.Tokens(toks), viz.Highlight(5))...)},
		{"heatmap-64", viz.Heatmap(demo.Attention(64), o(viz.Tokens(demo.Tokens(64)))...)},
		{"heatmap-scores-masked", viz.Heatmap(scores, o(viz.Tokens(toks), viz.Mask(tensor.CausalMask(8)), viz.Title("Raw scores with a causal mask"))...)},
		{"grid", viz.Grid(stack, o(viz.Tokens(t12))...)},
		{"steps", viz.Steps(q, k, v, o(viz.Mask(tensor.CausalMask(5)), viz.Tokens(demo.Tokens(5)))...)},
		{"masks", viz.MaskPatterns(6, 4, o(viz.Tokens(demo.Tokens(6)))...)},
		{"mask-effect", viz.MaskEffect(scores, tensor.CausalMask(8), o(viz.Tokens(toks), viz.Query(4))...)},
		{"positional", viz.Positional(tensor.Sinusoidal(64, 32), o()...)},
		{"rope", viz.RoPE(64, 16, o()...)},
		{"stats", viz.HeadStats(stack, o()...)},
		{"rollout", viz.Rollout(stack, o(viz.Tokens(t12))...)},
		{"strip", viz.TokenStrip(demo.Attention(12), o(viz.Tokens(t12), viz.Query(9))...)},
	}
}
