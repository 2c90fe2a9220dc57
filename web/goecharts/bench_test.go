// Package goecharts measures go-echarts v2.6.7 writing an n×n heatmap page,
// beside attnviz's own writer, in one run. It is a separate module so that
// the main module does not depend on go-echarts:
//
//	cd web/goecharts && go test -bench . -benchtime 3x
package goecharts

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

func weights(n int) []float32 {
	w := make([]float32, n*n)
	s := uint64(1)
	for i := range w {
		s = s*6364136223846793005 + 1442695040888963407
		w[i] = float32(s>>40) / float32(1<<24) / float32(n)
	}
	return w
}

func tokens(n int) []string {
	t := make([]string, n)
	for i := range t {
		t[i] = fmt.Sprintf("tok%d", i)
	}
	return t
}

func goEchartsPage(w []float32, n int, toks []string) []byte {
	hm := charts.NewHeatMap()
	hm.SetGlobalOptions(
		charts.WithTitleOpts(opts.Title{Title: "attention"}),
		charts.WithVisualMapOpts(opts.VisualMap{Calculable: opts.Bool(true), Min: 0, Max: 1}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)}),
	)
	data := make([]opts.HeatMapData, 0, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			data = append(data, opts.HeatMapData{Value: [3]any{j, i, w[i*n+j]}})
		}
	}
	hm.SetXAxis(toks).AddSeries("weights", data)
	var buf bytes.Buffer
	if err := hm.Render(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func BenchmarkGoEchartsHeatmap(b *testing.B) {
	for _, n := range []int{128, 1024} {
		w, toks := weights(n), tokens(n)
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			var size int
			for i := 0; i < b.N; i++ {
				size = len(goEchartsPage(w, n, toks))
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// BenchmarkAttnvizHeatmapPage is the whole public path: viz.Heatmap (which
// also renders the PNG) then Encode(".html").
func BenchmarkAttnvizHeatmapPage(b *testing.B) {
	for _, n := range []int{128, 1024} {
		w, toks := weights(n), tokens(n)
		t := tensor.New(w, n, n)
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			var size int
			for i := 0; i < b.N; i++ {
				f := viz.Heatmap(t, viz.Tokens(toks))
				p, err := f.Encode(".html")
				if err != nil {
					b.Fatal(err)
				}
				size = len(p)
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
