//go:build ignore

// Writes a notebook-like page of 10 interactive figures (each output's
// text/html in its own div, as a notebook page holds them) to the file
// named by its argument. `make bench` runs it here and in a copy of the
// tree before every output carried its library (commit 9f05d03), and
// web/paint10.mjs times both pages in Chromium. It uses only API that both
// trees have.
package main

import (
	"fmt"
	"os"

	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz"
)

func main() {
	var figs []*viz.Figure
	for i, n := range []int{6, 8, 12, 16, 24, 32, 48} {
		s := int64(10 * i)
		a := tensor.ScaledDotProductAttention(tensor.RandN(s, n, 16), tensor.RandN(s+1, n, 16), tensor.RandN(s+2, n, 16), tensor.CausalMask(n))
		figs = append(figs, viz.Heatmap(a.Weights, viz.Title(fmt.Sprintf("head %d", i))))
	}
	st := tensor.ScaledDotProductAttention(tensor.RandN(90, 2, 4, 12, 16), tensor.RandN(91, 2, 4, 12, 16), tensor.RandN(92, 2, 4, 12, 16), nil).Weights
	figs = append(figs, viz.Explorer(st), viz.HeadView(st))
	figs = append(figs, viz.Steps(tensor.RandN(93, 6, 4), tensor.RandN(94, 6, 4), tensor.RandN(95, 6, 3), viz.Mask(tensor.CausalMask(6))))
	page := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>10 figures</title></head><body>\n"
	for i, f := range figs {
		if err := f.Err(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		page += fmt.Sprintf("<div class=\"output\" id=\"out%d\">\n%s\n</div>\n", i, f.HTML())
	}
	page += "</body></html>\n"
	if err := os.WriteFile(os.Args[1], []byte(page), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
