package viz_test

import (
	"fmt"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

// The golden images of these views are checked by TestGolden
// (testdata/golden; regenerate with go test ./viz -run TestGolden -update).

func ExampleHeatmap() {
	w := tensor.MustFromRows([][]float32{
		{1, 0, 0},
		{.3, .7, 0},
		{.2, .3, .5},
	})
	toks := []string{"The", "cat", "sat"}
	fig := viz.Heatmap(w, viz.Tokens(toks), viz.Highlight(2))
	fmt.Println(fig, fig.Err())
	// Output: viz.Heatmap figure 321×253 px <nil>
}

func ExampleHeatmap_badInput() {
	att := tensor.Zeros(12, 9, 9)
	fig := viz.Heatmap(att)
	fmt.Println(fig.Err())
	// Output: viz.Heatmap: want one head's [queries, keys] matrix, got attention of 12 heads, shape [12 9 9] ([heads, queries, keys]); pick one with viz.Heads(h) (0 … 11), or draw every head with viz.Grid
}

// A heatmap picks one head of a stack and names it in its title.
func ExampleHeatmap_stack() {
	att := demo.Stack(3, 4, 6)                           // [layers, heads, queries, keys]
	fig := viz.Heatmap(att, viz.Layers(2), viz.Heads(1)) // titled "Attention weights — layer 2, head 1"
	fmt.Println(fig.Err())
	// Output: <nil>
}

// What Hugging Face returns with output_attentions=True, stacked:
// [layers, batch, heads, queries, keys]. A batch of one sentence draws as
// it is; a batch of several needs Batch.
func ExampleBatch() {
	att := tensor.Full(0.2, 2, 3, 4, 5, 5) // 2 layers, 3 sentences, 4 heads, 5 tokens
	fmt.Println(viz.Grid(att).Err())
	fmt.Println(viz.Grid(att, viz.Batch(1)).Err())
	// One layer of it, outputs.attentions[l]: 4-D [batch, heads, queries, keys].
	// A 4-D tensor is read as [layers, heads, queries, keys] unless Batch is given.
	fmt.Println(viz.Heatmap(att.Index(0), viz.Batch(2), viz.Heads(3)).Err())
	// Output:
	// viz.Grid: the attention of shape [2 3 4 5 5] is [layers, batch, heads, queries, keys], a batch of 3 sentences; pick one with viz.Batch(i) (0 … 2)
	// <nil>
	// <nil>
}

func ExampleHeatmap_warning() {
	w := tensor.MustFromRows([][]float32{{.5, .3}, {.2, .8}})
	fmt.Println(viz.Heatmap(w).Warnings())
	// Output: [row 0 sums to 0.8, not 1: are these softmax weights?]
}

func ExampleGrid() {
	att := demo.Stack(4, 6, 12) // [layers, heads, T, T]
	fig := viz.Grid(att, viz.Layers(0, 3), viz.Heads(1, 2, 5), viz.SharedScale(true))
	fmt.Println(fig)
	// Output: viz.Grid figure 775×502 px
}

func ExampleSteps() {
	q, k, v := demo.QKV(4, 3)
	fig := viz.Steps(q, k, v, viz.Mask(tensor.CausalMask(4)))
	fmt.Println(fig.Err())
	// Output: <nil>
}

func ExampleMaskPatterns() {
	fmt.Println(viz.MaskPatterns(6, 4).Err())
	// Output: <nil>
}

func ExampleMaskEffect() {
	scores := tensor.RandN(5, 6, 6)
	fmt.Println(viz.MaskEffect(scores, tensor.CausalMask(6), viz.Query(3)).Err())
	// Output: <nil>
}

func ExamplePositional() {
	fmt.Println(viz.Positional(tensor.Sinusoidal(32, 16)).Err())
	// Output: <nil>
}

func ExampleRoPE() {
	fmt.Println(viz.RoPE(64, 12, viz.Base(10000)).Err())
	// Output: <nil>
}

func ExampleHeadStatsTensor() {
	// head 0: every query looks at the first token; head 1: at itself.
	// (Sink mass leaves out query 0, which can only look at the first token.)
	a := tensor.New([]float32{
		1, 0, 1, 0, // head 0: [[1 0] [1 0]]
		1, 0, 0, 1, // head 1: [[1 0] [0 1]]
	}, 1, 2, 2, 2)
	s := viz.HeadStatsTensor(a) // [5 statistics, layers, heads]
	for i, name := range viz.StatNames {
		fmt.Printf("%-14s %v\n", name, s.Index(i).Data())
	}
	// Output:
	// entropy        [0 0]
	// mean distance  [0.5 0]
	// sink mass      [1 0]
	// previous token [1 0]
	// diagonal       [0.5 1]
}

func ExampleRolloutMatrix() {
	// one layer, one head where token 1 looks only at token 0:
	// Â = ½(A + I) = [[1 0] [.5 .5]]
	a := tensor.New([]float32{1, 0, 1, 0}, 1, 1, 2, 2)
	fmt.Println(viz.RolloutMatrix(a).Data())
	// Output: [1 0 0.5 0.5]
}

func ExampleTokenStrip() {
	w := tensor.New([]float32{.1, .6, .3}, 3)
	fig := viz.TokenStrip(w, viz.Tokens(nil), viz.KeyTokens([]string{"The", "cat", "sat"}))
	fmt.Println(fig.Err())
	// Output: <nil>
}

func ExampleFigure_Save() {
	fig := viz.Heatmap(demo.Attention(6))
	for _, name := range []string{"attn.png", "attn.svg", "attn.pdf", "attn.html", "attn.gif"} {
		b, err := fig.Encode(name[len("attn"):])
		fmt.Println(name, len(b) > 0, err)
	}
	// Output:
	// attn.png true <nil>
	// attn.svg true <nil>
	// attn.pdf true <nil>
	// attn.html true <nil>
	// attn.gif false viz: cannot save as ".gif": want a file name ending in .png, .svg, .pdf or .html
}

func ExampleAxes() {
	// Not attention: the similarity of sinusoidal position encodings.
	pe := tensor.Sinusoidal(16, 8)
	sim := pe.MatMul(pe.T())
	fmt.Println(viz.Heatmap(sim).Warnings())
	fig := viz.Heatmap(sim, viz.Axes("position m", "position n", "PE[m]·PE[n]"), viz.Title("PE·PEᵀ"))
	fmt.Println(fig.Err(), fig.Warnings())
	// Output:
	// [row 0 sums to 43.15 (and 15 more rows), not 1: are these softmax weights?]
	// <nil> []
}

func ExampleValues() {
	// Embeddings: one row per token, one column per dimension.
	x := tensor.MustFromRows([][]float32{{1, -.5, 0}, {.2, 1, -.8}})
	fig := viz.Heatmap(x, viz.Values(), viz.Tokens([]string{"The", "cat"}), viz.KeyTokens([]string{"e0", "e1", "e2"}))
	fmt.Println(fig.Err(), fig.Warnings())
	// Output: <nil> []
}
