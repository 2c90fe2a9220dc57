package tensor

import (
	"math"
	"slices"
	"testing"
)

// Edge cases the reference file does not cover: NaN in reductions, empty
// dimensions, rank-0 operands and zero-size products.
func TestOpsEdgeCases(t *testing.T) {
	nan := float32(math.NaN())
	x := MustFromRows([][]float32{{1, nan, 3}, {2, 5, 4}})
	if m := x.Max(-1).Data(); m[0] == m[0] || m[1] != 5 {
		t.Errorf("Max with NaN = %v, want [NaN 5]", m)
	}
	if a := x.Argmax(-1).Data(); a[0] != 1 || a[1] != 1 {
		t.Errorf("Argmax with NaN = %v, want [1 1] (NaN counts as largest)", a)
	}
	e := Zeros(0, 3)
	if s := e.Sum(0); s.Err() != nil || !slices.Equal(s.Data(), []float32{0, 0, 0}) {
		t.Errorf("Sum over an empty dim = %v", s)
	}
	if m := e.Mean(0).Data(); m[0] == m[0] {
		t.Errorf("Mean over an empty dim = %v, want NaN as torch", m)
	}
	if s := Scalar(2).Add(Scalar(3)); s.Rank() != 0 || s.Item() != 5 {
		t.Errorf("scalar + scalar = %v", s)
	}
	if s := Scalar(2).Mul(Arange(0, 3, 1)).Data(); !slices.Equal(s, []float32{0, 2, 4}) {
		t.Errorf("scalar broadcast = %v", s)
	}
	if p := Zeros(3, 0).MatMul(Zeros(0, 4)); p.Err() != nil || !slices.Equal(p.Data(), make([]float32, 12)) {
		t.Errorf("[3 0]·[0 4] = %v, want zeros", p)
	}
	if p := Zeros(0, 5).MatMul(Zeros(5, 4)); p.Err() != nil || !slices.Equal(p.Shape(), []int{0, 4}) {
		t.Errorf("[0 5]·[5 4] = %v", p)
	}
	if d := Ones(3).MatMul(Ones(3)); d.Err() != nil || d.Rank() != 0 || d.Item() != 3 {
		t.Errorf("vector·vector = %v, want scalar 3", d)
	}
	if s := MustFromRows([][]float32{{0, 1}}).SiLU().Data(); s[0] != 0 || math.Abs(float64(s[1])-0.7310586) > 1e-6 {
		t.Errorf("SiLU = %v", s)
	}
	if w := Zeros(2, 0).Softmax(-1); w.Err() != nil || w.Len() != 0 {
		t.Errorf("Softmax of an empty row = %v", w)
	}
	one := ScaledDotProductAttention(Ones(1, 4), Ones(1, 4), Full(7, 1, 2), nil)
	if one.Err() != nil || one.Weights.Item() != 1 || !slices.Equal(one.Output.Data(), []float32{7, 7}) {
		t.Errorf("one-token attention: %v", one)
	}
	if m := Arange(0, 4, 1).Eq0().Data(); !slices.Equal(m, []float32{1, 0, 0, 0}) {
		t.Errorf("Eq0 = %v", m)
	}
	if s := ScaledDotProductAttention(Ones(2, 4), Ones(2, 4), Ones(2, 4), nil).String(); s != "Attention(scale=1/√4=0.5, Q [2 4], K [2 4], V [2 4], Scores [2 2], Weights [2 2], Output [2 4])" {
		t.Errorf("String = %q", s)
	}
	var nilA *Attention
	if nilA.Err() == nil {
		t.Error("nil *Attention has no error")
	}
}
