package viz

import (
	"testing"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// Size budgets of the notebook outputs (issue 12), every output carrying
// the library: an 8×8 heatmap ≤ 450 kB; an n=1024 heatmap no larger than
// before outputs carried the library (measured at commit 9f05d03 with the
// same input: 2 524 116 bytes as a kernel's first figure, 1 456 282 bytes
// after it), the full figure one Save(".html") away.
const (
	budget8x8       = 450_000
	before1024First = 2_524_116
	before1024Later = 1_456_282
)

func budgetFigures() map[int]*Figure {
	out := map[int]*Figure{}
	for _, n := range []int{8, 1024} {
		a := tensor.ScaledDotProductAttention(tensor.RandN(1, n, 64), tensor.RandN(2, n, 64), tensor.RandN(3, n, 64), tensor.CausalMask(n))
		out[n] = Heatmap(a.Weights)
	}
	return out
}

func TestInteractiveBudgets(t *testing.T) {
	code, blob, loader := echarts.LibrarySizes()
	t.Logf("library: %d bytes of code, %d bytes as base64 deflate + %d bytes of loader per output", code, blob, loader)
	figs := budgetFigures()
	h8 := figs[8].HTML()
	if len(h8) > budget8x8 {
		t.Errorf("8×8 heatmap output is %d bytes, over the %d budget", len(h8), budget8x8)
	}
	h1024 := figs[1024].HTML()
	if len(h1024) > before1024Later {
		t.Errorf("n=1024 heatmap output is %d bytes, larger than before (%d)", len(h1024), before1024Later)
	}
	page, err := figs[1024].Encode(".html")
	if err != nil || len(page) < len(h1024)/2 {
		t.Errorf("n=1024 Save(.html): %d bytes, %v", len(page), err)
	}
	t.Logf("8×8 heatmap output %d bytes (budget %d); n=1024 output %d bytes (before: %d first, %d later), page %d bytes",
		len(h8), budget8x8, len(h1024), before1024First, before1024Later, len(page))
}
