package viz

import (
	"math"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/demo"
	"github.com/attnviz/attnviz/tensor"
)

// The rollout reference was computed with numpy:
//
//	R = np.eye(3)
//	for l in range(2):
//	    A = att[l].mean(0); A = 0.5*A + 0.5*np.eye(3); A /= A.sum(1, keepdims=True); R = A @ R
func TestRolloutReference(t *testing.T) {
	att := tensor.New([]float32{
		1, 0, 0, .5, .5, 0, .2, .3, .5, // L0 H0
		1, 0, 0, 0, 1, 0, 0, 0, 1, // L0 H1
		1, 0, 0, .9, .1, 0, .6, .2, .2, // L1 H0
		1, 0, 0, .5, .5, 0, 1. / 3, 1. / 3, 1. / 3, // L1 H1
	}, 2, 2, 3, 3)
	want := []float64{1, 0, 0, 0.43125, 0.56875, 0, 0.281667, 0.164167, 0.554167}
	got := RolloutMatrix(att).Data()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5 {
			t.Fatalf("rollout %v, want %v", got, want)
		}
	}
	if f := Rollout(att, Query(1)); f.Err() != nil {
		t.Fatal(f.Err())
	}
}

// Steps computes on the host; its numbers must agree with the tensor
// package's ScaledDotProductAttention.
func TestStepsMatchesSDPA(t *testing.T) {
	q, k, v := tensor.RandN(1, 5, 4), tensor.RandN(2, 6, 4), tensor.RandN(3, 6, 3)
	mask := tensor.New([]float32{
		1, 0, 0, 0, 0, 0,
		1, 1, 0, 0, 0, 0,
		1, 1, 1, 0, 0, 0,
		1, 1, 1, 1, 0, 0,
		0, 0, 0, 0, 0, 0, // a query that may attend to nothing
	}, 5, 6)
	f := Steps(q, k, v, Mask(mask))
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	ref := tensor.ScaledDotProductAttention(q, k, v, mask)
	if ref.Err() != nil {
		t.Fatal(ref.Err())
	}
	sd := f.data.(*stepsData)
	for _, c := range []struct {
		name string
		got  []float32
		t    *tensor.Tensor
	}{{"scores", sd.S, ref.Scores}, {"weights", sd.A, ref.Weights}, {"output", sd.O, ref.Output}} {
		got := c.got
		want := c.t.Data()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", c.name, len(got), len(want))
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4 {
				t.Errorf("%s[%d] = %v, tensor.ScaledDotProductAttention gives %v", c.name, i, got[i], want[i])
				break
			}
		}
	}
}

func TestHeadStatsBySymmetry(t *testing.T) {
	// uniform causal attention over T tokens: entropy of row i is ln(i+1)
	T := 4
	d := make([]float32, T*T)
	for i := 0; i < T; i++ {
		for j := 0; j <= i; j++ {
			d[i*T+j] = 1 / float32(i+1)
		}
	}
	s := HeadStatsTensor(tensor.New(d, 1, 1, T, T)).Data()
	ent := (math.Log(1) + math.Log(2) + math.Log(3) + math.Log(4)) / 4
	diag := (1 + 1./2 + 1./3 + 1./4) / 4
	sink := (1./2 + 1./3 + 1./4) / 3 // query 0 left out: it can only see token 0
	dist := (0 + 0.5 + 1 + 1.5) / 4  // mean |i-j| of uniform row i is i/2
	prev := (1./2 + 1./3 + 1./4) / 3
	want := []float64{ent, dist, sink, prev, diag}
	for i, w := range want {
		if math.Abs(float64(s[i])-w) > 1e-5 {
			t.Errorf("%s = %v, want %v", StatNames[i], s[i], w)
		}
	}
}

// Large matrices are scanned and pooled in one pass; the picture must equal
// the one of the general path (taken when a mask is given).
func TestFusedPooling(t *testing.T) {
	w := demo.Attention(1000)
	fast := Heatmap(w)
	slow := Heatmap(w, Mask(tensor.Ones(1000, 1000)))
	if fast.Err() != nil || slow.Err() != nil {
		t.Fatal(fast.Err(), slow.Err())
	}
	if string(fast.PNG()) != string(slow.PNG()) {
		t.Error("fused scan+pool draws a different picture")
	}
	d := w.Data()
	d[3*1000+999] = float32(math.NaN())
	f := Heatmap(tensor.New(d, 1000, 1000))
	if f.Err() == nil || !strings.HasPrefix(f.Err().Error(), "viz.Heatmap: the weights hold NaN at [3 999]") {
		t.Errorf("NaN: %v", f.Err())
	}
	d[3*1000+999] = float32(math.Inf(-1))
	f = Heatmap(tensor.New(d, 1000, 1000))
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
}
