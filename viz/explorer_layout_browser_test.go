package viz

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// layoutCheck runs after the explorer mounts (the scripts are inline, so
// mounting is synchronous) and reports a bad layout as a console error,
// which the browser runner counts as a failure.
const layoutCheck = `<script>
(function(){
  var box=document.getElementById("box").getBoundingClientRect();
  var root=document.querySelector("div[data-av]"),cs=root.querySelectorAll(".attnviz-chart");
  if(cs.length!==2){console.error("layout: want 2 charts, got "+cs.length);return;}
  var t=cs[0].getBoundingClientRect(),d=cs[1].getBoundingClientRect(),r=root.getBoundingClientRect();
  var wrap=%t;
  if(r.right>box.right+1||t.right>box.right+1||d.right>box.right+1){console.error("layout: clipped: figure right "+r.right+", thumbnails right "+t.right+", detail right "+d.right+", box right "+box.right);}
  if(wrap&&d.top<t.bottom-1){console.error("layout: the detail is not under the thumbnails (detail top "+d.top+", thumbnails bottom "+t.bottom+")");}
  if(!wrap&&Math.abs(d.top-t.top)>1){console.error("layout: the detail wrapped although the page is wide enough");}
})();
</script>
`

// TestInteractiveExplorerLayout: in a box narrower than the explorer's
// default width (handouts, narrow notebook columns) the detail heatmap
// wraps under the thumbnails instead of being clipped, and the explorer
// still answers clicks and hovers; in a wide box both sit side by side.
// The page with a warning caption loads cleanly too.
func TestInteractiveExplorerLayout(t *testing.T) {
	browserReady(t)
	dir := pageDir(t)
	toks := demoTokens(9)
	o := newIopts()
	o.title, o.q, o.k = "toy model", toks, toks
	c := explorerChart(demoStack(3, 4, 9), 3, 4, 9, 9, o)
	frag, err := echarts.Fragment(c)
	if err != nil {
		t.Fatal(err)
	}
	var pages []browserPage
	for _, lay := range []struct {
		name  string
		width int
		wrap  bool
	}{{"narrow", 900, true}, {"wide", 1200, false}} {
		page := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n" +
			fmt.Sprintf("<div id=\"box\" style=\"width:%dpx\">\n", lay.width) + string(frag) + "</div>\n" +
			fmt.Sprintf(layoutCheck, lay.wrap) + "</body></html>\n"
		file := "explorer-layout-" + lay.name + ".html"
		if err := os.WriteFile(filepath.Join(dir, file), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, browserPage{File: file, Checks: []map[string]any{
			{"do": "thumb", "layer": 2, "head": 1},
			{"do": "hoverRespond", "i": 3, "j": 1, "prefix": "query 3: " + jsVis(toks[3])},
		}})
	}
	// thumbnails with square cells, whatever the numbers of layers, heads
	// and tokens (a [1, 4, 16, 16] stack once drew each head 37×100 px)
	for _, s := range []struct{ L, H, T, Tk int }{{1, 4, 16, 16}, {6, 12, 16, 16}, {12, 2, 8, 8}, {2, 3, 4, 9}} {
		o := newIopts()
		d := demoStack(s.L, s.H, max(s.T, s.Tk))
		if s.T != s.Tk { // cross-attention: keep Tk columns of the first T rows
			n := s.Tk
			d2 := make([]float32, 0, s.L*s.H*s.T*s.Tk)
			for lh := 0; lh < s.L*s.H; lh++ {
				d2 = append(d2, d[lh*n*n:lh*n*n+s.T*n]...)
			}
			d = d2
		}
		file := fmt.Sprintf("explorer-square-%dx%dx%dx%d.html", s.L, s.H, s.T, s.Tk)
		writePage(t, dir, file, explorerChart(d, s.L, s.H, s.T, s.Tk, o))
		pages = append(pages, browserPage{File: file, Checks: []map[string]any{{"do": "squareThumbs"}}})
	}
	w := tensor.MustFromRows([][]float32{{.5, .3}, {.2, .8}})
	b, err := Heatmap(w, Axes("row", "col", "value "+hostile)).Encode(".html")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fig-values.html"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err = Heatmap(w).Encode(".html") // a warning caption under the chart
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fig-warning.html"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	pages = append(pages,
		browserPage{File: "fig-values.html", Checks: []map[string]any{
			{"do": "hover", "i": 1, "j": 0, "want": "row 1: 1\ncol 0: 0\nvalue " + hostile + ": 0.2000"}, {"do": "hostile"}}},
		browserPage{File: "fig-warning.html"})
	runBrowser(t, dir, pages)
}
