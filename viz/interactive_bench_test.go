package viz

import (
	"fmt"
	"testing"

	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// BenchmarkInteractiveHeatmapHTML measures the interactive writer alone:
// host data → standalone page (script included), as go-echarts' Render is
// measured in web/goecharts. bytes/page is the page size.
func BenchmarkInteractiveHeatmapHTML(b *testing.B) {
	for _, n := range []int{128, 1024, 4096} {
		w, _ := demoAttention(uint64(n), n, n, true)
		toks := demoTokens(n)
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			var size int
			for i := 0; i < b.N; i++ {
				p, err := heatmapPageHTML(w, n, toks)
				if err != nil {
					b.Fatal(err)
				}
				size = len(p)
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// heatmapPageHTML is the standalone interactive page of the n×n heatmap w
// with its tokens, as Save("x.html") writes it.
func heatmapPageHTML(w []float32, n int, toks []string) ([]byte, error) {
	o := newIopts()
	o.q, o.k = toks, toks
	return echarts.Page(heatmapChart(w, n, n, o))
}

// BenchmarkInteractiveExplorerHTML: a 12×12×128² explorer page.
func BenchmarkInteractiveExplorerHTML(b *testing.B) {
	att := demoStack(12, 12, 128)
	toks := demoTokens(128)
	var size int
	for i := 0; i < b.N; i++ {
		o := newIopts()
		o.q, o.k = toks, toks
		c := explorerChart(att, 12, 12, 128, 128, o)
		p, err := echarts.Page(c)
		if err != nil {
			b.Fatal(err)
		}
		size = len(p)
	}
	b.ReportMetric(float64(size), "bytes/page")
}
