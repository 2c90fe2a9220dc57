package viz

// The interactive heatmap of a matrix longer than overviewMax on a side
// (long sequences): the page carries an overview pooled to at most
// overviewMax² blocks (max or mean of k×k cells, as the static figure) for
// the canvas, and every cell's value at a precision chosen to fit a budget
// of bytes, for the zoom. The browser paints the overview until the view
// is zoomed to few enough cells, then each cell from its own value; the
// tooltip says which it shows and to what precision, and a note under the
// chart says that the data was reduced.
//
// Why by hand: no library writes a quantized, budgeted matrix for a
// canvas; the codes are a byte per cell, deflated (compress/flate) as the
// page's other arrays.

import (
	"bytes"
	"compress/flate"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/attnviz/attnviz/viz/internal/echarts"
)

// overviewMax is the longest side of an interactive heatmap carried cell
// for cell (1024² cells, 1 MB of codes); longer matrices travel as an
// overview of at most overviewMax² blocks and budgeted detail.
const overviewMax = 1024

// Detail budgets, in bytes of base64 in the output: a saved page (goal at
// n = 8192: the whole page ≤ 12 MB) and a notebook output, which must stay
// under the Jupyter server's IOPub rate limit (1e6 bytes/s over 3 s) with
// its PNG and library.
const (
	pageDetailBudget     = 9_500_000
	notebookDetailBudget = 1_000_000
	overviewBudget       = 1_200_000
)

// bigSpec is what the browser needs to know of a long heatmap.
type bigSpec struct {
	K      int    `json:"k"`      // cells per overview block along each side
	ORows  int    `json:"orows"`  // overview blocks down
	OCols  int    `json:"ocols"`  // and across
	Pool   string `json:"pool"`   // "max" or "mean"
	Prec   string `json:"prec"`   // the detail's precision, for the tooltip ("" = no detail)
	OPrec  string `json:"oprec"`  // the overview's
	Note   string `json:"note"`   // the line under the chart
	Budget int    `json:"budget"` // bytes the detail could take
}

// bigHeatSpec is heatSpec with the long-matrix part.
type bigHeatSpec struct {
	heatSpec
	Big bigSpec `json:"big"`
}

// bigHeatmapInteractive writes the interactive form of a heatmap whose
// longer side is over overviewMax.
func bigHeatmapInteractive(f *Figure, h *heatmapData, o *iopts) *echarts.Chart {
	d, rows, cols := h.d, h.rows, h.cols
	mask := h.mask
	if mask == nil && h.blocked != nil {
		blocked := h.blocked
		mask = func(r int) []float32 {
			row := make([]float32, cols)
			for j := range row {
				if !blocked[r*cols+j] {
					row[j] = 1
				}
			}
			return row
		}
	}
	k := ceilDiv(max(rows, cols), overviewMax)
	mode := f.cfg.pool
	p := poolScan(d, rows, cols, k, mode, mask)
	lo, hi := 0.0, 1.0
	if p.scan.seen {
		lo, hi = p.scan.lo, p.scan.hi
	}
	o.heatLabels(f, lo, hi)
	if !f.cfg.values && lo < 0 {
		o.pal, o.diverging = hexStops(Diverging), true
	}
	pal := o.palette(Viridis)
	clo, chi := o.colourRangeOf(lo, hi)
	budget := notebookDetailBudget
	if o.page {
		budget = pageDetailBudget
	}
	det, prec, ok := detailCodes(d, rows, cols, mask, lo, hi, p.scan.seen, budget)
	// the overview (≤ 1024² blocks) with the same kind of scale, so small
	// block values keep their digits in the tooltip
	ov, oprec, ook := detailCodes(p.vals, p.ch, p.cw, nil, lo, hi, p.scan.seen, overviewBudget)
	if !ook {
		ov, oprec = echarts.U8("w", p.vals, clo, chi), fmt.Sprintf("±%.2g", (chi-clo)/508)
	}
	ov.Name = "w"
	arrays := []echarts.Array{ov}
	note := fmt.Sprintf("%d×%d cells: the overview shows the %s of each %d×%d block", rows, cols, mode, k, k)
	if p.masked {
		note += " (masked cells left out)"
	}
	if ok {
		det.Late = true // after the script: the overview paints before the page has read it
		arrays = append(arrays, det)
		note += fmt.Sprintf("; zoom in (scroll, or the sliders) to see single cells, whose values this page carries to %s to stay under %.0f MB", prec, float64(budget)/1e6)
	} else {
		prec = ""
		note += fmt.Sprintf("; single cells' values would not fit in %.0f MB even at 1 bit of precision, so zooming shows the blocks (write a smaller matrix, or a slice of it, for exact values)", float64(budget)/1e6)
	}
	spec := bigHeatSpec{
		heatSpec: heatSpec{specBase: o.base(), Rows: rows, Cols: cols, Lo: clo, Hi: chi, Pal: pal,
			Label: o.label, Pin: o.pin, RowName: o.rowName, ColName: o.colName,
			Dec: decimalsFor(math.Max(math.Abs(clo), math.Abs(chi)))},
		Big: bigSpec{K: k, ORows: p.ch, OCols: p.cw, Pool: mode.String(), Prec: prec, OPrec: oprec, Note: note, Budget: budget},
	}
	return o.chart("heatmap", 760, 640, spec, arrays...)
}

// detailCodes quantizes every cell to one byte at the finest precision
// whose deflated, base64 size fits budget (estimated on a sample of rows,
// then checked), and says the precision. Code 0 is a masked cell (NaN,
// ±Inf, or blocked by the mask). Attention weights (lo ≥ 0) get a log
// scale — code 1 is 0, code c ≥ 2 is floor·2^((c−2)/q) for q steps per
// octave from the smallest positive value — so small weights keep their
// relative precision; other values a linear scale from lo in steps of
// (hi−lo)/(levels−1). ok is false when even the coarsest scale is over the
// budget.
func detailCodes(d []float32, rows, cols int, mask maskRows, lo, hi float64, seen bool, budget int) (a echarts.Array, prec string, ok bool) {
	type scale struct {
		q     quantizer
		prec  string
		lo, b float64
		kind  string
	}
	var scales []scale
	if !seen {
		lo, hi = 0, 1
	}
	if lo >= 0 {
		floor := minPositive(d, mask, cols)
		if floor <= 0 || !(hi > 0) {
			floor, hi = 1, 1
		}
		// at most 20 octaves (a millionth of the largest value): smaller
		// values are carried as that floor
		clip := ""
		if f := hi / (1 << 20); floor < f {
			floor = f
			clip = fmt.Sprintf("; values below %.2g are carried as %.2g", floor, floor)
		}
		oct := math.Log2(hi / floor)
		qmax := 64
		if oct > 0 {
			qmax = min(64, int(253/oct))
		}
		if qmax < 1 {
			// more than 253 octaves cannot happen for float32 (277 at most
			// with subnormals): take the top 253
			qmax, floor = 1, hi/math.Exp2(253)
		}
		// steps per octave from qmax down to 1, each √2 coarser
		for q := float64(qmax); q >= 1-1e-9; q /= math.Sqrt2 {
			q = math.Max(q, 1)
			rel := logPrecision(q) * 100
			scales = append(scales, scale{logQuantizer(floor, q), fmt.Sprintf("±%.2g%%, a log scale of %.3g steps per octave%s", rel, q, clip), floor, q, "ulog"})
			if q == 1 {
				break
			}
		}
	} else {
		for levels := 255; levels >= 2; levels /= 2 {
			step := (hi - lo) / float64(levels-1)
			if step <= 0 {
				step = 1
			}
			scales = append(scales, scale{linQuantizer(lo, step, levels), fmt.Sprintf("±%.3g, %d levels from %.4g to %.4g", step/2, levels, lo, hi), lo, step, "ulin"})
		}
	}
	// the finest scale whose sample fits (with a margin; the estimates
	// fall as the scale coarsens: a binary search), checked in full
	sample := sampleRows(rows)
	fits := func(i int) bool {
		return estimateCodes(d, cols, sample, rows, mask, scales[i].q) <= float64(budget)*0.95
	}
	first, last := 0, len(scales)-1
	for first < last {
		mid := (first + last) / 2
		if fits(mid) {
			last = mid
		} else {
			first = mid + 1
		}
	}
	for _, s := range scales[first:] {
		codes := quantizeAll(d, rows, cols, mask, s.q)
		z := deflateBytes(codes)
		if base64Len(len(z)) > budget {
			continue
		}
		return echarts.Array{Name: "d", Kind: s.kind, Lo: s.lo, Hi: s.b, Bytes: codes, Z: z}, s.prec, true
	}
	return echarts.Array{}, "", false
}

// logPrecision is the largest relative error of a log scale of q steps
// per octave: half a step, and the error of logQuantizer's table of
// log2 (under 1/4096 octave).
func logPrecision(q float64) float64 { return math.Exp2(1/(2*q)+1.0/4096) - 1 }

// quantizer maps a finite value to a code 1…255.
type quantizer func(v float32) byte

func logQuantizer(floor float64, q float64) quantizer {
	// log2 from the float's bits: exponent + a table of log2(1.m) on the
	// mantissa's top 12 bits (error < 4e-4 octave; a step is ≥ 1/64)
	var tbl [4096]float32
	for i := range tbl {
		tbl[i] = float32(math.Log2(1 + (float64(i)+0.5)/4096))
	}
	lf, fq := float32(math.Log2(floor)), float32(q)
	return func(v float32) byte {
		if v <= 0 {
			return 1
		}
		b := math.Float32bits(v)
		l := float32(int32(b>>23&0xff)-127) + tbl[b>>11&0xfff]
		c := (l-lf)*fq + 2.5
		if c < 2 {
			return 2
		}
		if c > 255 {
			return 255
		}
		return byte(c)
	}
}

func linQuantizer(lo, step float64, levels int) quantizer {
	flo, k, top := float32(lo), float32(1/step), float32(levels)
	return func(v float32) byte {
		c := (v-flo)*k + 1.5
		if c < 1 {
			return 1
		}
		if c > top {
			return byte(top)
		}
		return byte(c)
	}
}

// quantizeRow writes the codes of row r into out.
func quantizeRow(row []float32, mrow []float32, q quantizer, out []byte) {
	const maxF = math.MaxFloat32
	for j, v := range row {
		if !(v >= -maxF && v <= maxF) || (mrow != nil && mrow[j] == 0) {
			out[j] = 0
			continue
		}
		out[j] = q(v)
	}
}

func quantizeAll(d []float32, rows, cols int, mask maskRows, q quantizer) []byte {
	codes := make([]byte, rows*cols)
	workers := min(runtime.GOMAXPROCS(0), max(rows/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := rows * w / workers; r < rows*(w+1)/workers; r++ {
				var mrow []float32
				if mask != nil {
					mrow = mask(r)
				}
				quantizeRow(d[r*cols:(r+1)*cols], mrow, q, codes[r*cols:(r+1)*cols])
			}
		}()
	}
	wg.Wait()
	return codes
}

// sampleRows picks about 1/16 of the rows (at least 64) in bands of 8
// spread over the matrix: causal matrices differ from top to bottom.
func sampleRows(rows int) []int {
	var out []int
	bands := max(8, rows/128)
	for b := range bands {
		r0 := rows * b / bands
		for r := r0; r < min(r0+8, rows); r++ {
			out = append(out, r)
		}
	}
	return out
}

// estimateCodes is the base64 size of all the codes, from a sample.
func estimateCodes(d []float32, cols int, sample []int, rows int, mask maskRows, q quantizer) float64 {
	buf := make([]byte, len(sample)*cols)
	for i, r := range sample {
		var mrow []float32
		if mask != nil {
			mrow = mask(r)
		}
		quantizeRow(d[r*cols:(r+1)*cols], mrow, q, buf[i*cols:(i+1)*cols])
	}
	return float64(base64Len(len(deflateBytes(buf)))) * float64(rows) / float64(len(sample))
}

// deflateBytes deflates the codes at level 4: on 8192² codes of noisy
// attention it is 8% larger than the default level 6 in an eighth of the
// time (measured here: 0.16 s against 1.7 s a 4M-code sample, loaded).
func deflateBytes(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 4)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func base64Len(n int) int { return (n + 2) / 3 * 4 }

// minPositive is the smallest positive finite value not masked (0 when
// there is none).
func minPositive(d []float32, mask maskRows, cols int) float64 {
	m := float32(math.MaxFloat32)
	if mask == nil {
		for _, v := range d {
			if v > 0 && v < m {
				m = v
			}
		}
	} else {
		for r := 0; r*cols < len(d); r++ {
			mrow := mask(r)
			for j, v := range d[r*cols : (r+1)*cols] {
				if v > 0 && v < m && mrow[j] != 0 {
					m = v
				}
			}
		}
	}
	if m == math.MaxFloat32 {
		return 0
	}
	return float64(m)
}
