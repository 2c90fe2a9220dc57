package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

// TestSDPAMatchesOps checks the fused attention against the same maths
// written with the separate ops, on sizes that exercise the vector paths,
// their tails and the streaming stores, with every supported kernel.
func TestSDPAMatchesOps(t *testing.T) {
	defer func(b int) { streamBytes = b }(streamBytes)
	for _, c := range cpu.Supported() {
		t.Run(c.Name, func(t *testing.T) {
			old := c.Use()
			defer old.Use()
			for _, sb := range []int{8 << 20, 0} {
				// 0: every size takes the streaming path (block buffers,
				// non-temporal stores), as n = 2048 does.
				streamBytes = sb
				testSDPAMatchesOps(t, sb == 0)
			}
		})
	}
}

func testSDPAMatchesOps(t *testing.T, stream bool) {
	for _, n := range []int{1, 7, 64, 100, 130} {
		for _, maskKind := range []string{"none", "causal", "padding"} {
			q, k, v := RandN(1, 2, 3, n, 16), RandN(2, 2, 3, n, 16), RandN(3, 2, 3, n, 8)
			var mask *Tensor
			switch maskKind {
			case "causal":
				mask = CausalMask(n)
			case "padding":
				mask = PaddingMask([]int{n / 2, n}, n).Unsqueeze(1)
			}
			a := ScaledDotProductAttention(q, k, v, mask)
			if err := a.Err(); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("n=%d/%s/stream=%v", n, maskKind, stream)
			scores := q.MatMul(k.T())
			scaled := scores.Scale(float32(1 / math.Sqrt(16)))
			masked := scaled
			if mask != nil {
				masked = scaled.MaskedFill(mask.Eq0(), float32(math.Inf(-1)))
			}
			weights := masked.Softmax(-1)
			out := weights.MatMul(v)
			for _, s := range []struct {
				step      string
				got, want *Tensor
			}{{"scores", a.Scores, scores}, {"scaled", a.Scaled, scaled}, {"masked", a.Masked, masked}, {"weights", a.Weights, weights}, {"output", a.Output, out}} {
				gd, wd := s.got.Data(), s.want.Data()
				if !slices.Equal(s.got.Shape(), s.want.Shape()) {
					t.Fatalf("%s %s: shape %v, want %v", name, s.step, s.got.Shape(), s.want.Shape())
				}
				for i := range gd {
					if !closeTo(gd[i], wd[i]) {
						t.Fatalf("%s %s: element %d = %v, want %v", name, s.step, i, gd[i], wd[i])
					}
				}
			}
		}
	}
}

// A query that may attend to nothing gets zero weights and a zero output,
// never NaN.
func TestSDPAFullyMaskedRow(t *testing.T) {
	q, k, v := RandN(1, 3, 4), RandN(2, 3, 4), RandN(3, 3, 4)
	mask := MustFromRows([][]float32{{1, 0, 0}, {0, 0, 0}, {1, 1, 1}})
	a := ScaledDotProductAttention(q, k, v, mask)
	w := a.Weights.Rows()
	o := a.Output.Rows()
	for j := 0; j < 3; j++ {
		if w[1][j] != 0 || o[1][j] != 0 {
			t.Fatalf("masked row: weights %v output %v, want zeros", w[1], o[1])
		}
	}
	if w[0][0] != 1 {
		t.Errorf("row 0 attends only key 0: weights %v", w[0])
	}
}

// Softmax rows with +Inf share the weight; NaN rows stay NaN.
func TestSoftmaxSpecialRows(t *testing.T) {
	inf := float32(math.Inf(1))
	x := MustFromRows([][]float32{{inf, 1, inf, 2}, {1, float32(math.NaN()), 0, 0}})
	r := x.Softmax(-1).Rows()
	if r[0][0] != 0.5 || r[0][2] != 0.5 || r[0][1] != 0 || r[0][3] != 0 {
		t.Errorf("+Inf row = %v, want [0.5 0 0.5 0]", r[0])
	}
	for _, v := range r[1] {
		if v == v {
			t.Errorf("NaN row = %v, want all NaN", r[1])
			break
		}
	}
	// A long row (vector path) with one +Inf.
	long := Zeros(1, 100).Data()
	long[37] = inf
	w := New(long, 1, 100).Softmax(-1).Data()
	if w[37] != 1 || w[36] != 0 {
		t.Errorf("long +Inf row: w[37] = %v, w[36] = %v", w[37], w[36])
	}
}

// Ops keep working on views: transposed, sliced and broadcast inputs.
func TestOpsOnViews(t *testing.T) {
	x := Arange(0, 24, 1).Reshape(2, 3, 4)
	xt := x.Transpose(0, 2) // [4 3 2], not contiguous
	if got, want := xt.Add(Ones(2)).Data(), xt.Contiguous().AddScalar(1).Data(); !slices.Equal(got, want) {
		t.Errorf("Add on a transposed view: %v, want %v", got, want)
	}
	if got, want := xt.Softmax(0).Data(), xt.Contiguous().Softmax(0).Data(); !slices.Equal(got, want) {
		t.Errorf("Softmax on a view differs")
	}
	s := x.Slice(2, 1, 3) // [2 3 2]
	if got := s.Sum(-1).Data(); !slices.Equal(got, []float32{3, 11, 19, 27, 35, 43}) {
		t.Errorf("Sum of a slice: %v", got)
	}
	if got := x.Index(1).MatMul(Ones(4)).Data(); !slices.Equal(got, []float32{54, 70, 86}) {
		t.Errorf("MatMul on an Index view: %v", got)
	}
	if got := RepeatKV(Arange(0, 4, 1).Reshape(2, 1, 2), 2).Data(); !slices.Equal(got, []float32{0, 1, 0, 1, 2, 3, 2, 3}) {
		t.Errorf("RepeatKV: %v", got)
	}
}

// GroupedQueryAttention broadcasts each key/value head over its group
// without copying it; it must give what attention on the repeated heads
// gives, with every kind of mask and with strided inputs.
func TestGQAMatchesRepeatKV(t *testing.T) {
	T := 9
	mh := Ones(6, T, T).Data()
	for i := range mh {
		if i%7 == 3 {
			mh[i] = 0
		}
	}
	headMask := New(mh, 6, T, T)
	for _, c := range []struct {
		name    string
		q, k, v *Tensor
		mask    *Tensor
	}{
		{"no mask", RandN(1, 6, T, 8), RandN(2, 2, T, 8), RandN(3, 2, T, 4), nil},
		{"causal", RandN(1, 6, T, 8), RandN(2, 3, T, 8), RandN(3, 3, T, 8), CausalMask(T)},
		{"per-head mask", RandN(1, 6, T, 8), RandN(2, 2, T, 8), RandN(3, 2, T, 8), headMask},
		{"[1,T,T] mask", RandN(1, 6, T, 8), RandN(2, 1, T, 8), RandN(3, 1, T, 8), CausalMask(T).Unsqueeze(0)},
		{"batch", RandN(1, 2, 6, T, 8), RandN(2, 2, 2, T, 8), RandN(3, 2, 2, T, 8), PaddingMask([]int{4, T}, T).Unsqueeze(1)},
		{"strided q", RandN(1, T, 6, 8).Permute(1, 0, 2), RandN(2, T, 2, 8).Permute(1, 0, 2), RandN(3, 2, T, 8), CausalMask(T)},
	} {
		hq, hk := c.q.Dim(-3), c.k.Dim(-3)
		got := GroupedQueryAttention(c.q, c.k, c.v, c.mask)
		want := ScaledDotProductAttention(c.q, RepeatKV(c.k, hq/hk), RepeatKV(c.v, hq/hk), c.mask)
		if err := got.Err(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.K != c.k || got.V != c.v || got.Q != c.q || got.Mask != c.mask {
			t.Errorf("%s: the Attention does not hold the inputs as given", c.name)
		}
		for _, s := range []struct {
			step      string
			got, want *Tensor
		}{{"scores", got.Scores, want.Scores}, {"scaled", got.Scaled, want.Scaled}, {"masked", got.Masked, want.Masked}, {"weights", got.Weights, want.Weights}, {"output", got.Output, want.Output}} {
			if !slices.Equal(s.got.Shape(), s.want.Shape()) {
				t.Fatalf("%s %s: shape %v, want %v", c.name, s.step, s.got.Shape(), s.want.Shape())
			}
			gd, wd := s.got.Data(), s.want.Data()
			for i := range gd {
				if !closeTo(gd[i], wd[i]) {
					t.Fatalf("%s %s: element %d = %v, want %v", c.name, s.step, i, gd[i], wd[i])
				}
			}
		}
	}
}
