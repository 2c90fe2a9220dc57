package viz

import (
	"fmt"
	"math"
	"slices"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/tensor"
	"github.com/attnviz/attnviz/viz/internal/raster"
)

// RolloutMatrix computes attention rollout (Abnar & Zuidema 2020) from
// [L, H, T, T] attention ([L, T, T] is taken as one head per layer): per
// layer the heads are averaged, the residual connection is added as the
// identity and rows are renormalised, Âₗ = ½(mean_h Aₗ,ₕ + I), and the
// layers are multiplied, R = Â_L ⋯ Â₂ Â₁. Row i of R says how much each
// input token flows into position i's representation after the last layer.
// Heads and Layers pick which heads are averaged and which layers (in order)
// are multiplied.
func RolloutMatrix(att *tensor.Tensor, opts ...Option) *tensor.Tensor {
	cfg := newConfig(opts, "RolloutMatrix", optLayers|optHeads)
	r, T, err := rollout("RolloutMatrix", att, &cfg)
	if err != nil {
		return tensor.Failed(err)
	}
	return tensor.New(r, T, T)
}

func rollout(view string, att *tensor.Tensor, cfg *config) ([]float32, int, error) {
	if att != nil && att.Err() == nil && att.Rank() == 3 {
		s := att.Shape()
		att = att.Reshape(s[0], 1, s[1], s[2])
	}
	st, err := readStack(view, att, cfg)
	if err != nil {
		return nil, 0, err
	}
	if st.Tq != st.Tk {
		return nil, 0, shapeErr(view, "square attention [L, H, T, T] (every token a query and a key)", st.shape, "rollout needs the full prompt, not a KV-cache step")
	}
	for i, v := range st.d {
		if v < 0 {
			return nil, 0, tensor.Errorf(tensor.ErrValue, "viz.%s: the attention should be weights (≥ 0), but holds %v at %v; pass the softmax output", view, v, unravel(i, st.shape))
		}
	}
	T := st.Tq
	R := identity(T)
	A := make([]float64, T*T)
	tmp := make([]float64, T*T)
	for _, l := range st.layers {
		for i := range A {
			A[i] = 0
		}
		for _, h := range st.heads {
			for i, v := range st.head(l, h) {
				A[i] += float64(v)
			}
		}
		nh := float64(len(st.heads))
		for i := 0; i < T; i++ {
			s := 0.0
			for j := 0; j < T; j++ {
				v := 0.5 * A[i*T+j] / nh
				if i == j {
					v += 0.5
				}
				A[i*T+j] = v
				s += v
			}
			for j := 0; j < T; j++ {
				A[i*T+j] /= s
			}
		}
		// R = A · R
		for i := 0; i < T; i++ {
			row := tmp[i*T : (i+1)*T]
			for j := range row {
				row[j] = 0
			}
			for k := 0; k < T; k++ {
				a := A[i*T+k]
				if a == 0 {
					continue
				}
				rk := R[k*T : (k+1)*T]
				for j, v := range rk {
					row[j] += a * v
				}
			}
		}
		R, tmp = tmp, R
	}
	out := make([]float32, T*T)
	for i, v := range R {
		out[i] = float32(v)
	}
	return out, T, nil
}

func identity(T int) []float64 {
	r := make([]float64, T*T)
	for i := 0; i < T; i++ {
		r[i*T+i] = 1
	}
	return r
}

// Rollout draws attention rollout (see RolloutMatrix) as a heatmap and, for
// the chosen Query (default the last token), as bars over the input tokens.
func Rollout(att *tensor.Tensor, opts ...Option) *Figure {
	return build(rolloutView, opts, tensors(att))
}

func drawRollout(f *Figure, in inputs) (*raster.Page, error) {
	att := in.t[0]
	cfg := &f.cfg
	r, T, err := rollout("Rollout", att, cfg)
	if err != nil {
		return nil, err
	}
	if err := tokenCountErr("Rollout", cfg, T, T); err != nil {
		return nil, err
	}
	q := T - 1
	if cfg.has(optQuery) {
		if cfg.query < 0 || cfg.query >= T {
			return nil, tensor.Errorf(tensor.ErrValue, "viz.Rollout: Query(%d) is outside the %s; use 0 … %d", cfg.query, english.Count(T, "token"), T-1)
		}
		q = cfg.query
	}
	cm := cfg.cmap
	if cm == nil {
		cm = Viridis
	}
	c := newCanvas(cfg, []*Colormap{cm}, nil)
	_, hi, _ := minMax(r, nil)
	if !(hi > 0) {
		hi = 1
	}
	m := &matPanel{rows: T, cols: T, vals: r, lo: 0, hi: hi, cmap: c.maps[0], rowTitle: "position (after the last layer)",
		colTitle: "input token", highlight: q, decimals: 2, title: ""}
	m.rowLabels, m.colLabels = cfg.qTok, cfg.kTok
	annotW := 0.0
	m.annotate = T <= 10
	if cfg.has(optAnnotate | optNoAnnotate) {
		m.annotate = cfg.annotate
	}
	if m.annotate {
		annotW = c.tw("0.00", ptAnnot, false)
	}
	m.cell, m.pool = chooseCell(c, T, c.px(420), annotW)
	title, pad, top := c.heading(cfg, "Attention rollout (Abnar & Zuidema 2020, residual as identity)")
	top += c.px(10)
	L := m.layout(c)
	x0, y0 := int(pad+L.left), int(top+L.top)
	m.draw(c, L, x0, y0)
	W, H := float64(m.dataW()), float64(m.dataH())
	cbH := int(math.Max(H, c.px(120)))
	cbw := colorbar(c, float64(x0)+W+math.Max(0, L.right)+c.px(12), float64(y0), cbH, c.maps[0], 0, hi, "share of the input", true)
	right := float64(x0) + W + math.Max(0, L.right) + c.px(12) + cbw
	// bars for the query
	vals := make([]float64, T)
	for j := range vals {
		vals[j] = float64(r[q*T+j])
	}
	labels := keyLabels(cfg, T, 16)
	bw := math.Max(1, math.Min(c.px(28), math.Floor(c.px(420)/float64(T))))
	qname := fmt.Sprint(q)
	if cfg.has(optTokens) {
		qname = fmt.Sprintf("%d %q", q, tokLabel(cfg.qTok[q], 16))
	}
	b := &barChart{vals: vals, lo: 0, hi: niceCeil(slices.Max(vals)), labels: labels, barW: bw * 0.8, gap: bw * 0.2,
		plotH: math.Max(H*0.6, c.px(150)), title: "query " + qname + ": where its representation comes from", yLabel: "share"}
	Lb := b.layout(c)
	bx := right + c.px(24) + Lb.left
	b.draw(c, Lb, bx, top+Lb.top+L.top)
	pageW := math.Max(bx+b.width()+pad, c.tw(title, ptTitle, true)+2*pad)
	pageH := math.Max(float64(y0)+math.Max(H, float64(cbH))+L.bottom, top+Lb.top+L.top+b.plotH+Lb.bottom) + pad
	return c.finish(pageW, pageH), nil
}
