package viz

import (
	"fmt"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// HeadView draws attention as BertViz's head view does: the tokens in two
// columns (queries left, keys right) and a line from each query to each key
// whose opacity is the weight, one colour per head (HeadColors). att is
// [L, H, T, T] ([H, T, T] is one layer). Interactive: a layer selector,
// head toggles (double-click shows one head alone), hover a token to see
// only its lines, click to pin it, click again to release. Layers picks the
// layer shown first, Heads the heads switched on.
//
// The PNG (and SVG/PDF) is the layers × heads grid of viz.Grid.
func HeadView(att *tensor.Tensor, opts ...Option) *Figure {
	return build(headViewView, opts, tensors(att))
}

// headViewInteractive is HeadView's interactive form.
func headViewInteractive(f *Figure, o *iopts) *echarts.Chart {
	st := f.data.(*stack)
	o.layer, o.heads = st.layers[0], f.cfg.heads
	return headViewChart(st.d, st.L, st.H, st.Tq, st.Tk, o)
}

type headSpec struct {
	stackSpec
	Heads      []int    `json:"heads"`
	Colors     []string `json:"colors"`
	LayerNames []string `json:"layerNames,omitempty"`
}

// headViewChart writes the head view of att, [L, H, T, Tk] weights in
// [0, 1], one colour per head (HeadColors).
func headViewChart(att []float32, L, H, T, Tk int, o *iopts) *echarts.Chart {
	cols := make([]string, len(HeadColors))
	for i, c := range HeadColors {
		cols[i] = fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	// Weights are opacities: u8 over [0,1] is exact to 1/254, plenty for alpha.
	var arr echarts.Array
	if len(att) <= echarts.U8Threshold {
		arr = echarts.F32("w", att)
	} else {
		arr = echarts.U8("w", att, 0, 1)
	}
	return o.chart("headview", 720, 560, headSpec{stackSpec: o.stack(L, H, T, Tk), Heads: o.heads,
		Colors: cols, LayerNames: o.layerNames}, arr)
}
