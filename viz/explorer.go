package viz

import (
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// Explorer is the layer/head explorer of a [L, H, T, T] attention tensor:
// layer and head selectors, a thumbnail grid of every head (click one to
// open it) and the chosen head as a zoomable heatmap with token tooltips.
// Each head has its own colour scale unless SharedScale(true). Layers and
// Heads pick the head opened first.
//
// The PNG (and SVG/PDF) is the layers × heads grid of viz.Grid.
func Explorer(att *tensor.Tensor, opts ...Option) *Figure {
	return build(explorerView, opts, tensors(att))
}

// explorerInteractive is the interactive form of Explorer and Grid.
func explorerInteractive(f *Figure, o *iopts) *echarts.Chart {
	st := f.data.(*stack)
	o.layer, o.head = st.layers[0], st.heads[0]
	return explorerChart(st.d, st.L, st.H, st.Tq, st.Tk, o)
}

// stackSpec begins the spec of a view of [L, H, T, Tk] attention.
type stackSpec struct {
	specBase
	L     int `json:"L"`
	H     int `json:"H"`
	T     int `json:"T"`
	Tk    int `json:"Tk"`
	Layer int `json:"layer"`
}

func (o *iopts) stack(L, H, T, Tk int) stackSpec {
	return stackSpec{specBase: o.base(), L: L, H: H, T: T, Tk: Tk, Layer: o.layer}
}

type explorerSpec struct {
	stackSpec
	Head       int      `json:"head"`
	Shared     bool     `json:"shared"`
	Lo         float64  `json:"lo"`
	Hi         float64  `json:"hi"`
	Pal        []string `json:"pal"`
	LayerNames []string `json:"layerNames,omitempty"`
	HeadNames  []string `json:"headNames,omitempty"`
}

// explorerChart writes the explorer of att, [L, H, T, Tk]; each head has
// its own colour scale unless o.shared.
func explorerChart(att []float32, L, H, T, Tk int, o *iopts) *echarts.Chart {
	pal := o.palette(Viridis)
	lo, hi := o.colourRange(att)
	return o.chart("explorer", 1100, 620, explorerSpec{stackSpec: o.stack(L, H, T, Tk), Head: o.head,
		Shared: o.shared, Lo: lo, Hi: hi, Pal: pal, LayerNames: o.layerNames, HeadNames: o.headNames},
		echarts.Auto("w", att, lo, hi))
}
