package viz

import (
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
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
	return build("headview", opts, func(f *Figure) (*raster.Page, error) {
		return interactiveStackPage(f, "HeadView", att)
	})
}

// Explorer is the layer/head explorer of a [L, H, T, T] attention tensor:
// layer and head selectors, a thumbnail grid of every head (click one to
// open it) and the chosen head as a zoomable heatmap with token tooltips.
// Each head has its own colour scale unless SharedScale(true). Layers and
// Heads pick the head opened first.
//
// The PNG (and SVG/PDF) is the layers × heads grid of viz.Grid.
func Explorer(att *tensor.Tensor, opts ...Option) *Figure {
	return build("explorer", opts, func(f *Figure) (*raster.Page, error) {
		return interactiveStackPage(f, "Explorer", att)
	})
}

func interactiveStackPage(f *Figure, view string, att *tensor.Tensor) (*raster.Page, error) {
	st, err := readStack(view, att, &f.cfg)
	if err != nil {
		return nil, err
	}
	if err := checkProbs(f, view, "the attention", st.d, st.shape); err != nil {
		return nil, err
	}
	f.addMatrix("attention", st.d, st.shape...)
	return gridPage(f, st), nil
}
