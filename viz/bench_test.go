package viz

import (
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
)

// The matplotlib peer (scripts/bench_mpl.py) draws the same figures:
// a heatmap with a colour bar and every token labelled at n=128, the same at
// n=1024, and a 12×12 grid of 64×64 heads as subplots. `make bench` runs
// both and prints the ratios.

func benchHeatmap(b *testing.B, n int) {
	w := demo.Attention(n)
	toks := demo.Tokens(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := Heatmap(w, Tokens(toks))
		if f.Err() != nil || len(f.PNG()) == 0 {
			b.Fatal(f.Err())
		}
	}
}

func BenchmarkHeatmap128(b *testing.B)  { benchHeatmap(b, 128) }
func BenchmarkHeatmap1024(b *testing.B) { benchHeatmap(b, 1024) }

func BenchmarkGrid12x12(b *testing.B) {
	att := demo.Stack(12, 12, 64)
	if err := att.Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := Grid(att)
		if f.Err() != nil || len(f.PNG()) == 0 {
			b.Fatal(f.Err())
		}
	}
}

var _ = tensor.New
