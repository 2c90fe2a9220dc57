package viz

import (
	"fmt"
	"testing"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/echarts"
)

func TestZZSizes(t *testing.T) {
	code, blob, loader := echarts.LibrarySizes()
	fmt.Println("lib code", code, "blob", blob, "loader", loader)
	for _, n := range []int{8, 1024} {
		w, _ := demoAttention(uint64(n), n, n, true)
		f := Heatmap(tensor.New(w, n, n), Tokens(demoTokens(n), demoTokens(n)))
		fmt.Println(n, "html", len(f.HTML()), "png", len(f.PNG()))
	}
}
