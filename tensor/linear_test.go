package tensor

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

func maxAbsDiff(t *testing.T, a, b *Tensor) float64 {
	t.Helper()
	if a.Err() != nil || b.Err() != nil {
		t.Fatalf("errors: %v, %v", a.Err(), b.Err())
	}
	if !slices.Equal(a.Shape(), b.Shape()) {
		t.Fatalf("shapes %v and %v", a.Shape(), b.Shape())
	}
	return testutil.MaxAbsDiff(a.Data(), b.Data())
}

// Linear gives x·Wᵀ + b as MatMul and Add do, on every kernel the CPU has,
// for shapes with edge tiles, a single row, strided inputs and a batch.
func TestLinearMatchesMatMul(t *testing.T) {
	for _, kc := range cpu.Supported() {
		old := kc.Use()
		for _, s := range []struct{ m, in, out int }{{1, 8, 3}, {7, 33, 70}, {96, 64, 64}, {130, 100, 257}, {256, 48, 1000}} {
			x := RandN(1, s.m, s.in)
			w := RandN(2, s.out, s.in)
			b := RandN(3, s.out)
			want := x.MatMul(w.T()).Add(b)
			l := NewLinear(w, b)
			if e := maxAbsDiff(t, l.Forward(x), want); e > 1e-4 {
				t.Errorf("%s %v: Linear differs from MatMul+Add by %g", kc.Name, s, e)
			}
			// no bias; a strided input (every other column of a wider matrix)
			wide := RandN(4, s.m, 2*s.in)
			xs := wide.Reshape(s.m, s.in, 2).Select(2, 0)
			if e := maxAbsDiff(t, NewLinear(w, nil).Forward(xs), xs.MatMul(w.T())); e > 1e-4 {
				t.Errorf("%s %v: strided input differs by %g", kc.Name, s, e)
			}
			// a batch [2, m, in] and a vector [in]
			xb := RandN(5, 2, s.m, s.in)
			if e := maxAbsDiff(t, l.Forward(xb), xb.MatMul(w.T()).Add(b)); e > 1e-4 {
				t.Errorf("%s %v: batch differs by %g", kc.Name, s, e)
			}
			xv := RandN(6, s.in)
			if e := maxAbsDiff(t, l.Forward(xv), xv.MatMul(w.T()).Add(b)); e > 1e-4 {
				t.Errorf("%s %v: vector differs by %g", kc.Name, s, e)
			}
			if e := maxAbsDiff(t, l.Weight(), w); e != 0 {
				t.Errorf("%s %v: Weight() differs from w by %g", kc.Name, s, e)
			}
			for _, i := range []int{0, s.out / 2, s.out - 1} {
				if e := maxAbsDiff(t, New(l.WeightRow(i, nil), s.in), w.Index(i)); e != 0 {
					t.Errorf("%s %v: WeightRow(%d) differs from w[%d] by %g", kc.Name, s, i, i, e)
				}
			}
		}
		old.Use()
	}
	// A layer packed for one kernel still computes right after a switch.
	x, w := RandN(1, 20, 40), RandN(2, 50, 40)
	l := NewLinear(w, nil)
	for _, kc := range cpu.Supported() {
		old := kc.Use()
		if e := maxAbsDiff(t, l.Forward(x), x.MatMul(w.T())); e > 1e-4 {
			t.Errorf("after switching to %s: differs by %g", kc.Name, e)
		}
		old.Use()
	}
}

// The activations against their definitions, computed in float64.
func TestActivations(t *testing.T) {
	xs := []float32{-30, -8, -3, -1.5, -0.5, -1e-3, 0, 1e-3, 0.3, 1, 2.5, 4, 9, 30}
	x := New(append([]float32(nil), xs...), len(xs))
	gelu := func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }
	geluTanh := func(v float64) float64 {
		return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
	}
	silu := func(v float64) float64 { return v / (1 + math.Exp(-v)) }
	for _, c := range []struct {
		name string
		got  *Tensor
		act  Activation
		f    func(float64) float64
	}{
		{"GELU", x.GELU(), ActGELU, gelu},
		{"GELUTanh", x.GELUTanh(), ActGELUTanh, geluTanh},
		{"SiLU", nil, ActSiLU, silu},
	} {
		eye := New([]float32{1}, 1, 1)
		viaLinear := NewLinear(eye, nil).ForwardAct(x.Reshape(len(xs), 1), c.act).Reshape(len(xs))
		for _, got := range []*Tensor{c.got, viaLinear} {
			if got == nil {
				continue
			}
			d := got.Data()
			for i, v := range xs {
				want := c.f(float64(v))
				if e := math.Abs(float64(d[i]) - want); e > 2e-6*math.Max(1, math.Abs(want)) {
					t.Errorf("%s(%g) = %g, want %g", c.name, v, d[i], want)
				}
			}
		}
	}
	// A long vector takes the vector path of GELUTanh; it must agree with
	// the scalar one.
	big := RandN(9, 4099).Scale(3)
	d, b := big.GELUTanh().Data(), big.Data()
	for i := range d {
		v := float64(b[i])
		if e := math.Abs(float64(d[i]) - geluTanh(v)); e > 2e-6*math.Max(1, math.Abs(v)) {
			t.Fatalf("GELUTanh(%g) = %g, want %g", v, d[i], geluTanh(v))
		}
	}
}

func TestLayerNorm(t *testing.T) {
	x := RandN(1, 5, 3, 37).Scale(4).AddScalar(2)
	w, b := RandN(2, 37), RandN(3, 37)
	got := x.LayerNorm(w, b, 1e-5)
	xd, wd, bd, gd := x.Data(), w.Data(), b.Data(), got.Data()
	worst := 0.0
	for r := 0; r < 15; r++ {
		row := xd[r*37 : (r+1)*37]
		var mean, v float64
		for _, a := range row {
			mean += float64(a)
		}
		mean /= 37
		for _, a := range row {
			v += (float64(a) - mean) * (float64(a) - mean)
		}
		v /= 37
		for j, a := range row {
			want := (float64(a)-mean)/math.Sqrt(v+1e-5)*float64(wd[j]) + float64(bd[j])
			worst = math.Max(worst, math.Abs(want-float64(gd[r*37+j])))
		}
	}
	if worst > 1e-5 {
		t.Errorf("LayerNorm differs from the definition by %g", worst)
	}
	// nil weight and bias: mean 0, variance 1 per row
	n := x.LayerNorm(nil, nil, 0)
	for _, m := range n.Mean(-1).Data() {
		if math.Abs(float64(m)) > 1e-5 {
			t.Errorf("mean after LayerNorm %g", m)
		}
	}
	for _, c := range []struct {
		got  *Tensor
		want string
	}{
		{x.LayerNorm(Ones(36), nil, 1e-5), "weight must be 1-D with the size of the last dimension"},
		{x.LayerNorm(nil, Ones(2, 37), 1e-5), "bias must be 1-D"},
		{x.LayerNorm(nil, nil, float32(math.NaN())), "eps must be a finite number"},
	} {
		if err := c.got.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// AttentionWeights gives the weights and output of GroupedQueryAttention,
// causal or not, for GQA and for heads cut out of a fused projection.
func TestAttentionWeights(t *testing.T) {
	for _, kc := range cpu.Supported() {
		old := kc.Use()
		for _, c := range []struct{ hq, hk, T, d int }{{2, 2, 1, 4}, {4, 2, 37, 16}, {3, 1, 70, 8}, {12, 12, 130, 64}} {
			for _, causal := range []bool{true, false} {
				q, k, v := RandN(1, c.hq, c.T, c.d), RandN(2, c.hk, c.T, c.d), RandN(3, c.hk, c.T, c.d)
				var mask *Tensor
				if causal {
					mask = CausalMask(c.T)
				}
				want := GroupedQueryAttention(q, k, v, mask)
				got := AttentionWeights(q, k, v, causal)
				name := fmt.Sprintf("%s %v causal=%v", kc.Name, c, causal)
				if got.Err() != nil {
					t.Fatalf("%s: %v", name, got.Err())
				}
				if got.Scores != nil || got.Scaled != nil || got.Masked != nil {
					t.Errorf("%s: intermediates kept", name)
				}
				if e := maxAbsDiff(t, got.Weights, want.Weights); e > 1e-6 {
					t.Errorf("%s: weights differ by %g", name, e)
				}
				if e := maxAbsDiff(t, got.Output, want.Output); e > 1e-5 {
					t.Errorf("%s: output differs by %g", name, e)
				}
			}
		}
		old.Use()
	}
	// Scores that overflow to ±Inf, and scores as low as the padding of
	// causal rows (−3.4e38): the exact path, as attention with a mask.
	for _, big := range []float32{1e19, 1.5e18} {
		q, k, v := RandN(1, 2, 21, 16).Scale(big), RandN(2, 2, 21, 16).Scale(big), RandN(3, 2, 21, 16)
		want := ScaledDotProductAttention(q, k, v, CausalMask(21))
		got := AttentionWeights(q, k, v, true)
		gw, ww := got.Weights.Data(), want.Weights.Data()
		for i := range gw {
			if gw[i] != ww[i] && !(gw[i] != gw[i] && ww[i] != ww[i]) && math.Abs(float64(gw[i]-ww[i])) > 1e-6 {
				t.Fatalf("scores ×%g: weight %d = %v, want %v", big, i, gw[i], ww[i])
			}
		}
	}
	// q, k, v as strided views of one fused [T, 3·H·d] projection.
	T, H, d := 50, 4, 8
	qkv := RandN(7, T, 3*H*d)
	heads := qkv.Reshape(T, 3, H, d).Permute(1, 2, 0, 3) // [3, H, T, d] view
	q, k, v := heads.Index(0), heads.Index(1), heads.Index(2)
	want := ScaledDotProductAttention(q.Contiguous(), k.Contiguous(), v.Contiguous(), CausalMask(T))
	got := AttentionWeights(q, k, v, true)
	if e := maxAbsDiff(t, got.Weights, want.Weights); e > 1e-6 {
		t.Errorf("strided views: weights differ by %g", e)
	}
	if e := maxAbsDiff(t, got.Output, want.Output); e > 1e-5 {
		t.Errorf("strided views: output differs by %g", e)
	}
	for _, c := range []struct {
		a    *Attention
		want string
	}{
		{AttentionWeights(RandN(1, 3, 4, 8), RandN(2, 2, 4, 8), RandN(3, 2, 4, 8), true), "multiple of the key/value heads"},
		{AttentionWeights(RandN(1, 2, 4, 8), RandN(2, 2, 4, 6), RandN(3, 2, 4, 8), true), "same, non-zero feature size"},
		{AttentionWeights(RandN(1, 4, 8), RandN(2, 4, 8), RandN(3, 4, 8), true), "want q [heads, tokens"},
	} {
		if err := c.a.Err(); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func TestLinearErrors(t *testing.T) {
	w := RandN(1, 4, 3)
	for _, c := range []struct {
		got  *Tensor
		want string
	}{
		{NewLinear(RandN(1, 4), nil).Forward(RandN(2, 4)), "want weights [out, in]"},
		{NewLinear(w, RandN(2, 3)).Forward(RandN(3, 2, 3)), "want a bias of one value per output"},
		{NewLinear(w, nil).Forward(RandN(3, 2, 4)), "want inputs [..., 3]"},
		{NewLinear(w, nil).ForwardAct(RandN(3, 2, 3), Activation(9)), "unknown activation"},
		{NewLinear(Failed(ErrValue), nil).Forward(RandN(3, 2, 3)), "value"},
	} {
		if err := c.got.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// BenchmarkLinear times one GPT-2-small MLP projection (256 tokens, 768 →
// 3072) through Linear (packed once) and through MatMul (packs every call).
func BenchmarkLinear(b *testing.B) {
	x := RandN(1, 256, 768)
	w := RandN(2, 3072, 768)
	bias := RandN(3, 3072)
	l := NewLinear(w, bias)
	b.Run("Linear", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			l.Forward(x)
		}
	})
	b.Run("LinearGELU", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			l.ForwardAct(x, ActGELUTanh)
		}
	})
	b.Run("MatMul", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			x.MatMul(w.T()).Add(bias)
		}
	})
}

func TestStack(t *testing.T) {
	a, b := RandN(1, 2, 3), RandN(2, 3, 2).T() // b is a strided view
	s := Stack(a, b)
	if !slices.Equal(s.Shape(), []int{2, 2, 3}) {
		t.Fatalf("shape %v", s.Shape())
	}
	if e := maxAbsDiff(t, s.Index(0), a); e != 0 {
		t.Errorf("first differs by %g", e)
	}
	if e := maxAbsDiff(t, s.Index(1), b.Contiguous()); e != 0 {
		t.Errorf("second differs by %g", e)
	}
	for _, c := range []struct {
		got  *Tensor
		want string
	}{
		{Stack(), "no tensors to stack"},
		{Stack(a, RandN(1, 3, 2)), "tensor 1 has another shape"},
		{Stack(a, Failed(ErrValue)), "value"},
	} {
		if err := c.got.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
