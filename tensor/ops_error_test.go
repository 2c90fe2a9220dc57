package tensor

import (
	"errors"
	"testing"
)

// TestOpErrors shows the message of every bad input the ops reject, and
// checks that errors.Is / errors.As see the right kind.
func TestOpErrors(t *testing.T) {
	x23 := Zeros(2, 3)
	q := Zeros(5, 8)
	cases := []struct {
		name string
		got  error
		kind error
		msg  string
	}{}
	add := func(name string, got error, kind error, msg string) {
		cases = append(cases, struct {
			name string
			got  error
			kind error
			msg  string
		}{name, got, kind, msg})
	}
	add("matmul forgot transpose", Zeros(4, 8).MatMul(Zeros(4, 8)).Err(), ErrShape, "MatMul: inner dimensions differ: [4 8] × [4 8]; did you mean k.T()?")
	add("matmul inner", Zeros(4, 8).MatMul(Zeros(5, 3)).Err(), ErrShape, "MatMul: inner dimensions differ: [4 8] × [5 3]; the last dimension of the left operand (8) must equal the second-to-last of the right (5)")
	add("matmul batch", Zeros(2, 3, 4).MatMul(Zeros(3, 4, 5)).Err(), ErrShape, "MatMul: batch dimensions do not broadcast: [2 3 4] × [3 4 5]; the leading dimensions, aligned from the right, must be equal or 1")
	add("matmul scalar", Scalar(2).MatMul(x23).Err(), ErrShape, "MatMul: both operands need at least 1 dimension: [] × [2 3]; use Scale for a scalar factor")
	add("add broadcast", x23.Add(Zeros(4)).Err(), ErrShape, "Add: shapes do not broadcast: [2 3] × [4]; dimensions are compared from the right and must be equal or 1; reshape or Unsqueeze one operand")
	add("div broadcast", x23.Div(Zeros(3, 2)).Err(), ErrShape, "Div: shapes do not broadcast: [2 3] × [3 2]; dimensions are compared from the right and must be equal or 1; reshape or Unsqueeze one operand")
	add("sum dim", x23.Sum(2).Err(), ErrShape, "Sum: dimension 2 out of range for a 2-D tensor: [2 3]; use a dimension in -2..1")
	add("mean scalar", Scalar(1).Mean(0).Err(), ErrShape, "Mean: dimension 0 out of range for a 0-D tensor: []; a scalar has no dimension to reduce; use t.Item()")
	add("max empty", Zeros(0, 3).Max(0).Err(), ErrValue, "Max: dimension 0 of shape [0 3] is empty; there is no largest element")
	add("softmax dim", x23.Softmax(-3).Err(), ErrShape, "Softmax: dimension -3 out of range for a 2-D tensor: [2 3]; use a dimension in -2..1 (usually -1, the keys)")
	add("softmax temperature", x23.SoftmaxTemp(-1, 0).Err(), ErrValue, "SoftmaxTemp: temperature must be a finite number > 0, got 0; use 1 for the plain softmax")
	add("masked fill shape", Zeros(2, 4).MaskedFill(Zeros(3), 1).Err(), ErrShape, "MaskedFill: mask does not broadcast to the tensor's shape: [2 4] × [3]; the mask's dimensions, aligned from the right, must equal the tensor's or be 1")
	ws := NewWorkspace()
	stale := ws.Use(x23).AddScalar(1)
	ws.Release()
	add("released workspace", stale.Add(x23).Err(), ErrValue, "tensor: this tensor was made in a Workspace that has been released since; Clone the results you keep before calling Release")
	add("attention into: shape", AttentionWeightsInto(Zeros(2, 5, 4), Zeros(2, 5, 8), Zeros(1, 5, 8), Zeros(1, 5, 8), true).Err(), ErrShape, "AttentionWeightsInto: the destination must be a contiguous [heads, queries, keys] tensor: [2 5 4] × [2 5 5]; want a contiguous [2 5 5] tensor: Zeros(2, 5, 5), or rec.Index(l) of a [layers, 2, 5, 5] record")
	add("causal mask", CausalMask(-1).Err(), ErrValue, "CausalMask: want n ≥ 0 tokens, got -1")
	add("padding mask", PaddingMask([]int{3, 6}, 5).Err(), ErrValue, "PaddingMask: lengths[1] = 6, want 0 ≤ length ≤ n = 5")
	add("rmsnorm weight", Zeros(2, 4).RMSNorm(Ones(3), 1e-5).Err(), ErrShape, "RMSNorm: weight must be 1-D with the size of the last dimension: [2 4] × [3]; want weight of shape [4]")
	add("rmsnorm eps", Zeros(2, 4).RMSNorm(nil, -1).Err(), ErrValue, "RMSNorm: eps must be a finite number ≥ 0, got -1")
	add("sdpa d_k", ScaledDotProductAttention(q, Zeros(5, 4), Zeros(5, 4), nil).Err(), ErrShape, "ScaledDotProductAttention: q and k must have the same feature size dₖ (last dimension): [5 8] × [5 4]; q and k must be projected to the same size")
	add("sdpa k.T()", ScaledDotProductAttention(q, q.T(), q, nil).Err(), ErrShape, "ScaledDotProductAttention: q and k must have the same feature size dₖ (last dimension): [5 8] × [8 5]; pass k itself, not k.T(): attention transposes it")
	add("sdpa tokens", ScaledDotProductAttention(q, Zeros(6, 8), Zeros(5, 8), nil).Err(), ErrShape, "ScaledDotProductAttention: k and v must have the same number of tokens (second-to-last dimension): [6 8] × [5 8]; every key needs a value")
	add("sdpa mask", ScaledDotProductAttention(q, q, q, CausalMask(4)).Err(), ErrShape, "ScaledDotProductAttention: mask does not broadcast to the scores [..., queries, keys]: [4 4] × [5 5]; want a mask broadcastable to [5 5], e.g. CausalMask(5)")
	add("sdpa rank", ScaledDotProductAttention(Zeros(8), q, q, nil).Err(), ErrShape, "ScaledDotProductAttention: q, k and v need at least 2 dimensions [tokens, features]: [8] × [5 8] × [5 8]; use Unsqueeze(0) on a single vector")
	add("sdpa heads", ScaledDotProductAttention(Zeros(3, 5, 8), Zeros(2, 5, 8), Zeros(2, 5, 8), nil).Err(), ErrShape, "ScaledDotProductAttention: leading (batch/head) dimensions do not broadcast: [3 5 8] × [2 5 8] × [2 5 8]; give q, k and v the same heads, or use GroupedQueryAttention for fewer KV heads")
	add("gqa heads", GroupedQueryAttention(Zeros(3, 5, 8), Zeros(2, 5, 8), Zeros(2, 5, 8), nil).Err(), ErrShape, "GroupedQueryAttention: query heads (3) must be a multiple of the key/value heads (2, 2): [3 5 8] × [2 5 8] × [2 5 8]; k and v need the same number of heads, dividing q's")
	add("split heads", SplitHeads(Zeros(4, 10), 3).Err(), ErrShape, "SplitHeads: 10 features do not divide into 3 heads: [4 10]; pick h that divides the last dimension")
	add("merge heads", MergeHeads(x23).Err(), ErrShape, "MergeHeads: want [heads, tokens, dₕ] or [batch, heads, tokens, dₕ]: [2 3]")
	add("repeat kv", RepeatKV(Zeros(2, 5, 8), 0).Err(), ErrValue, "RepeatKV: want nRep ≥ 1, got 0")
	add("rope odd", RoPEHalf(Zeros(4, 7), 10000, 0).Err(), ErrShape, "RoPEHalf: the feature size d=7 must be even (features rotate in pairs): [4 7]")
	add("rope base", RoPEInterleaved(Zeros(4, 8), 1, 0).Err(), ErrValue, "RoPEInterleaved: base must be a finite number > 1 (10000 in Llama 2), got 1")
	add("rope offset", RoPEInterleaved(Zeros(4, 8), 10000, -2).Err(), ErrValue, "RoPEInterleaved: offset is the position of the first token and must be ≥ 0, got -2")
	add("sinusoidal", Sinusoidal(-1, 4).Err(), ErrValue, "Sinusoidal: want n ≥ 0 positions and d ≥ 0 features, got n=-1 d=4")
	bad := Zeros(2, 3).Reshape(4)
	add("error passes on", x23.Add(bad).Softmax(-1).MatMul(x23).Err(), ErrShape, "Reshape: 6 elements cannot take a shape of 4: [2 3] × [4]; the product of the new shape must equal the old one's")

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got == nil {
				t.Fatal("no error")
			}
			t.Logf("%q", c.got.Error())
			if !errors.Is(c.got, c.kind) {
				t.Errorf("errors.Is(%v) is false", c.kind)
			}
			var se *ShapeError
			if errors.As(c.got, &se) != (c.kind == ErrShape) {
				t.Errorf("errors.As(*ShapeError) = %v for a %v error", !(c.kind == ErrShape), c.kind)
			}
			if c.msg != "" && c.got.Error() != c.msg {
				t.Errorf("message\n got %q\nwant %q", c.got.Error(), c.msg)
			}
		})
	}
}
