package viz

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestInteractiveBenchTable is `make bench`'s browser part (it runs only
// with ATTNVIZ_BENCH=1): for n = 128, 1024, 4096 it prints the heatmap
// page's size, the time to write it, and when headless Chromium has painted
// it — beside plotly's (Debian python3-plotly, plotly.js inline) in the
// same run. plotly is skipped at n=4096 (a ≈ 0.5 GB page).
func TestInteractiveBenchTable(t *testing.T) {
	if os.Getenv("ATTNVIZ_BENCH") == "" {
		t.Skip("set ATTNVIZ_BENCH=1 (make bench) to print the browser table")
	}
	browserReady(t)
	dir := pageDir(t)
	type row struct {
		who     string
		n       int
		file    string
		writeMs float64
	}
	var rows []row
	var pages []browserPage
	for _, n := range []int{128, 1024, 4096} {
		w, _ := demoAttention(uint64(n), n, n, true)
		toks := demoTokens(n)
		t0 := time.Now()
		p, err := heatmapPageHTML(w, n, toks)
		if err != nil {
			t.Fatal(err)
		}
		ms := float64(time.Since(t0).Microseconds()) / 1000
		file := fmt.Sprintf("bench-attnviz-%d.html", n)
		if err := os.WriteFile(filepath.Join(dir, file), p, 0o644); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{"attnviz", n, file, ms})
		pages = append(pages, browserPage{File: file})
		if n > 1024 {
			continue
		}
		pfile := fmt.Sprintf("bench-plotly-%d.html", n)
		out, err := exec.Command("/usr/bin/python3", filepath.Join(repoRoot(t), "web", "plotly_heatmap.py"), strconv.Itoa(n), filepath.Join(dir, pfile)).Output()
		if err != nil {
			t.Logf("plotly peer skipped (install python3-plotly): %v", err)
			continue
		}
		pms, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		rows = append(rows, row{"plotly", n, pfile, pms})
		pages = append(pages, browserPage{File: pfile, WaitFor: ".hm image, .heatmaplayer image"})
	}
	res := runBrowser(t, dir, pages)
	by := map[string]browserResult{}
	for _, r := range res {
		by[r.File] = r
	}
	fmt.Printf("\n%-8s %6s %12s %10s %11s %9s\n", "writer", "n", "HTML bytes", "write ms", "painted ms", "heap MB")
	for _, r := range rows {
		b := by[r.file]
		fmt.Printf("%-8s %6d %12d %10.1f %11.0f %9.0f\n", r.who, r.n, b.Bytes, r.writeMs, b.PaintMs, b.HeapMB)
	}
}
