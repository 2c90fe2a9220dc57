package viz_test

import (
	"fmt"
	"strings"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

// A layer/head explorer of a [L, H, T, T] tensor: in a notebook the cell
// shows it (PNG grid + interactive HTML); Save(".html") writes a standalone,
// offline page.
func ExampleExplorer() {
	att := tensor.RandN(1, 2, 4, 6, 6).Softmax(-1) // [layers, heads, queries, keys]
	toks := []string{"The", " cat", " sat", " on", " the", " mat"}
	fig := viz.Explorer(att, viz.Tokens(toks), viz.Layers(1), viz.Heads(2))
	fmt.Println(fig.Err())
	page, _ := fig.Encode(".html")
	fmt.Println(strings.Contains(string(page), `data-kind="explorer"`))
	// Output:
	// <nil>
	// true
}

// The BertViz-style head view: token columns joined by lines whose opacity
// is the weight, one colour per head.
func ExampleHeadView() {
	att := tensor.RandN(2, 3, 5, 5).Softmax(-1) // [heads, queries, keys]: one layer
	fig := viz.HeadView(att, viz.Theme(viz.Dark))
	fmt.Println(fig.Err(), len(fig.PNG()) > 0, strings.Contains(fig.HTML(), `data-kind="headview"`))
	// Output:
	// <nil> true true
}

// A token such as </script><img ...> is shown as text: every string reaches
// the page JSON-escaped (\u003c) and the browser only as textContent.
func ExampleHeatmap_hostileTokens() {
	w := tensor.MustFromRows([][]float32{{1, 0}, {0.4, 0.6}})
	toks := []string{"</script><img src=x onerror=alert(1)>", "ok"}
	fig := viz.Heatmap(w, viz.Tokens(toks))
	page, _ := fig.Encode(".html")
	fmt.Println(strings.Contains(string(page), "<img src=x"))
	// Output:
	// false
}
