package tensor_test

import (
	"errors"
	"fmt"
	"math"

	"github.com/attnviz/attnviz/tensor"
)

// Attention step by step: three tokens, a causal mask, every intermediate
// kept for the lesson.
func Example_attention() {
	q := tensor.MustFromRows([][]float32{{1, 0}, {0, 1}, {1, 1}})
	k := tensor.MustFromRows([][]float32{{1, 0}, {0, 1}, {1, 1}})
	v := tensor.MustFromRows([][]float32{{1, 0}, {0, 1}, {0.5, 0.5}})
	a := tensor.ScaledDotProductAttention(q, k, v, tensor.CausalMask(3))
	if err := a.Err(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("scores ", a.Scores)
	fmt.Println("masked ", a.Masked)
	fmt.Println("weights", a.Weights)
	fmt.Println("output ", a.Output)
	// Output:
	// scores  tensor([[1, 0, 1],
	//         [0, 1, 1],
	//         [1, 1, 2]], shape=[3 3])
	// masked  tensor([[0.7071, -inf, -inf],
	//         [0, 0.7071, -inf],
	//         [0.7071, 0.7071, 1.414]], shape=[3 3])
	// weights tensor([[1, 0, 0],
	//         [0.3302, 0.6698, 0],
	//         [0.2483, 0.2483, 0.5035]], shape=[3 3])
	// output  tensor([[1, 0],
	//         [0.3302, 0.6698],
	//         [0.5, 0.5]], shape=[3 2])
}

// The same computation written out op by op.
func Example_attentionByHand() {
	q := tensor.RandN(1, 4, 8)
	k := tensor.RandN(2, 4, 8)
	v := tensor.RandN(3, 4, 8)
	scores := q.MatMul(k.T())
	weights := scores.Scale(float32(1 / math.Sqrt(8))).Softmax(-1)
	out := weights.MatMul(v)
	a := tensor.ScaledDotProductAttention(q, k, v, nil)
	diff := out.Sub(a.Output).Max(-1).Max(0).Item()
	fmt.Println(out.Shape(), weights.Sum(-1), diff < 1e-6)
	// Output:
	// [4 8] tensor([1, 1, 1, 1], shape=[4]) true
}

// Shape errors name both shapes, the rule and the likely fix.
func ExampleTensor_MatMul_error() {
	q := tensor.Zeros(4, 8)
	k := tensor.Zeros(4, 8)
	s := q.MatMul(k)
	fmt.Println(s.Err())
	var se *tensor.ShapeError
	fmt.Println(errors.Is(s.Err(), tensor.ErrShape), errors.As(s.Err(), &se), se.Shapes)
	fmt.Println(q.MatMul(k.T()).Shape())
	// Output:
	// MatMul: inner dimensions differ: [4 8] × [4 8]; did you mean k.T()?
	// true true [[4 8] [4 8]]
	// [4 4]
}

// A row that may attend to nothing (all −Inf) gets zeros, not NaN.
func ExampleTensor_Softmax() {
	inf := float32(math.Inf(-1))
	x := tensor.MustFromRows([][]float32{{1, 2, 3}, {0, inf, 0}, {inf, inf, inf}})
	fmt.Println(x.Softmax(-1))
	// Output:
	// tensor([[0.09003, 0.2447, 0.6652],
	//         [0.5, 0, 0.5],
	//         [0, 0, 0]], shape=[3 3])
}

func ExampleCausalMask() {
	fmt.Println(tensor.CausalMask(4))
	fmt.Println(tensor.PaddingMask([]int{2, 4}, 4))
	// Output:
	// tensor([[1, 0, 0, 0],
	//         [1, 1, 0, 0],
	//         [1, 1, 1, 0],
	//         [1, 1, 1, 1]], shape=[4 4])
	// tensor([[[1, 1, 0, 0]],
	//         [[1, 1, 1, 1]]], shape=[2 1 4])
}

// Multi-head attention: split the features into heads, attend per head,
// merge the heads back.
func ExampleSplitHeads() {
	x := tensor.RandN(7, 5, 12) // 5 tokens, model width 12
	heads := tensor.SplitHeads(x, 3)
	a := tensor.ScaledDotProductAttention(heads, heads, heads, tensor.CausalMask(5))
	fmt.Println(heads.Shape(), a.Weights.Shape(), tensor.MergeHeads(a.Output).Shape())
	// Output:
	// [3 5 4] [3 5 5] [5 12]
}

// Grouped-query attention: 4 query heads share 2 key/value heads.
func ExampleGroupedQueryAttention() {
	q := tensor.RandN(1, 4, 6, 8)
	k := tensor.RandN(2, 2, 6, 8)
	v := tensor.RandN(3, 2, 6, 8)
	a := tensor.GroupedQueryAttention(q, k, v, tensor.CausalMask(6))
	fmt.Println(a.Weights.Shape(), a.Output.Shape(), a.K.Shape())
	// Output:
	// [4 6 6] [4 6 8] [2 6 8]
}

// The two RoPE conventions rotate different pairs of features; both keep
// each token's length (a rotation), and position 0 is left as it is.
func ExampleRoPEHalf() {
	x := tensor.MustFromRows([][]float32{{1, 0, 0, 0}, {1, 0, 0, 0}})
	fmt.Println(tensor.RoPEInterleaved(x, 10000, 0)) // pairs (0,1), (2,3)
	fmt.Println(tensor.RoPEHalf(x, 10000, 0))        // pairs (0,2), (1,3)
	// Output:
	// tensor([[1, 0, 0, 0],
	//         [0.5403, 0.8415, 0, 0]], shape=[2 4])
	// tensor([[1, 0, 0, 0],
	//         [0.5403, 0, 0.8415, 0]], shape=[2 4])
}

func ExampleSinusoidal() {
	fmt.Println(tensor.Sinusoidal(3, 4))
	// Output:
	// tensor([[0, 1, 0, 1],
	//         [0.8415, 0.5403, 0.01, 0.9999],
	//         [0.9093, -0.4161, 0.02, 0.9998]], shape=[3 4])
}

// A loop that computes the same thing again and again reuses the memory of
// its results: they are made in the workspace, kept with Clone, and
// released before the next pass.
func ExampleWorkspace() {
	w := tensor.MustFromRows([][]float32{{2, 0}, {0, 3}})
	ws := tensor.NewWorkspace()
	var kept []*tensor.Tensor
	for step := 1; step <= 3; step++ {
		x := ws.Use(tensor.Full(float32(step), 1, 2))
		y := x.MatMul(w).Softmax(-1) // made in ws
		kept = append(kept, y.Clone())
		ws.Release() // y's memory is the next pass's; y itself is now an error
		fmt.Println(y.Err() != nil)
	}
	fmt.Println(kept[2])
	// Output:
	// true
	// true
	// true
	// tensor([[0.04743, 0.9526]], shape=[1 2])
}

// AttentionWeightsInto writes each layer's weights into one record, as a
// model's forward pass does.
func ExampleAttentionWeightsInto() {
	rec := tensor.Zeros(2, 4, 5, 5) // [layers, heads, T, T]
	q, k, v := tensor.RandN(1, 4, 5, 8), tensor.RandN(2, 2, 5, 8), tensor.RandN(3, 2, 5, 8)
	for l := 0; l < 2; l++ {
		a := tensor.AttentionWeightsInto(rec.Index(l), q, k, v, true)
		fmt.Println(a.Output.Shape(), a.Weights.Sum(-1).Index(0))
	}
	// Output:
	// [4 5 8] tensor([1, 1, 1, 1, 1], shape=[5])
	// [4 5 8] tensor([1, 1, 1, 1, 1], shape=[5])
}
