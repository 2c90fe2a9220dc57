package tensor

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Reference cases written by scripts/torch_ref.py (PyTorch, float64 maths
// on float32 inputs). Regenerate with /usr/bin/python3 scripts/torch_ref.py.

type refTensor struct {
	Shape []int `json:"shape"`
	Data  []any `json:"data"`
}

func (r refTensor) tensor(t *testing.T) *Tensor {
	t.Helper()
	d := make([]float32, len(r.Data))
	for i, v := range r.Data {
		d[i] = refValue(t, v)
	}
	x := New(d, r.Shape...)
	if len(r.Shape) == 0 {
		x = New(d).Reshape()
	}
	if err := x.Err(); err != nil {
		t.Fatal(err)
	}
	return x
}

func refValue(t *testing.T, v any) float32 {
	switch v := v.(type) {
	case float64:
		return float32(v)
	case string:
		switch v {
		case "inf":
			return float32(math.Inf(1))
		case "-inf":
			return float32(math.Inf(-1))
		case "nan":
			return float32(math.NaN())
		}
	}
	t.Fatalf("bad reference value %v", v)
	return 0
}

type refCase struct {
	Name    string               `json:"name"`
	Op      string               `json:"op"`
	Params  map[string]any       `json:"params"`
	Inputs  map[string]refTensor `json:"inputs"`
	Outputs map[string]refTensor `json:"outputs"`
}

func (c refCase) f(t *testing.T, k string) float32 {
	v, ok := c.Params[k]
	if !ok {
		t.Fatalf("%s: no param %q", c.Name, k)
	}
	return refValue(t, v)
}

func (c refCase) i(t *testing.T, k string) int { return int(c.f(t, k)) }

func loadRef(t *testing.T, file string) []refCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ref", file))
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 scripts/torch_ref.py)", err)
	}
	var f struct {
		Cases []refCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s has no cases", file)
	}
	return f.Cases
}

// closeTo compares got to want within 1e-5 relative plus a 1e-6 absolute
// floor; ±Inf and NaN must match exactly.
func closeTo(got, want float32) bool {
	g, w := float64(got), float64(want)
	if math.IsNaN(w) || math.IsNaN(g) {
		return math.IsNaN(w) && math.IsNaN(g)
	}
	if math.IsInf(w, 0) || math.IsInf(g, 0) {
		return g == w
	}
	return math.Abs(g-w) <= 1e-5*math.Abs(w)+1e-6
}

func checkTensor(t *testing.T, name string, got *Tensor, want refTensor) {
	t.Helper()
	if err := got.Err(); err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	w := want.tensor(t)
	if !slices.Equal(got.Shape(), w.Shape()) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), w.Shape())
		return
	}
	gd, wd := got.Data(), w.Data()
	bad := 0
	for i := range gd {
		if !closeTo(gd[i], wd[i]) {
			if bad < 3 {
				t.Errorf("%s: element %d = %v, want %v", name, i, gd[i], wd[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d elements differ", name, bad)
	}
}

// runRef computes a case's outputs with the Go ops.
func runRef(t *testing.T, c refCase) map[string]*Tensor {
	in := map[string]*Tensor{}
	for k, v := range c.Inputs {
		in[k] = v.tensor(t)
	}
	one := func(x *Tensor) map[string]*Tensor { return map[string]*Tensor{"out": x} }
	switch c.Op {
	case "add":
		return one(in["a"].Add(in["b"]))
	case "sub":
		return one(in["a"].Sub(in["b"]))
	case "mul":
		return one(in["a"].Mul(in["b"]))
	case "div":
		return one(in["a"].Div(in["b"]))
	case "scale":
		return one(in["x"].Scale(c.f(t, "s")))
	case "add_scalar":
		return one(in["x"].AddScalar(c.f(t, "s")))
	case "neg":
		return one(in["x"].Neg())
	case "exp":
		return one(in["x"].Exp())
	case "silu":
		return one(in["x"].SiLU())
	case "sum":
		return one(in["x"].Sum(c.i(t, "dim")))
	case "mean":
		return one(in["x"].Mean(c.i(t, "dim")))
	case "max":
		return one(in["x"].Max(c.i(t, "dim")))
	case "argmax":
		return one(in["x"].Argmax(c.i(t, "dim")))
	case "rmsnorm":
		return one(in["x"].RMSNorm(in["w"], c.f(t, "eps")))
	case "matmul":
		return one(in["a"].MatMul(in["b"]))
	case "matmul_bt":
		return one(in["a"].MatMul(in["b"].T()))
	case "softmax":
		return one(in["x"].Softmax(c.i(t, "dim")))
	case "softmax_temp":
		return one(in["x"].SoftmaxTemp(c.i(t, "dim"), c.f(t, "temperature")))
	case "masked_fill":
		return one(in["x"].MaskedFill(in["mask"], c.f(t, "value")))
	case "causal_mask":
		return one(CausalMask(c.i(t, "n")))
	case "padding_mask":
		var lengths []int
		for _, v := range c.Params["lengths"].([]any) {
			lengths = append(lengths, int(v.(float64)))
		}
		return one(PaddingMask(lengths, c.i(t, "n")))
	case "sdpa", "gqa":
		var a *Attention
		if c.Op == "sdpa" {
			a = ScaledDotProductAttention(in["q"], in["k"], in["v"], in["mask"])
		} else {
			a = GroupedQueryAttention(in["q"], in["k"], in["v"], in["mask"])
		}
		if err := a.Err(); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		out := map[string]*Tensor{"scores": a.Scores, "scaled": a.Scaled, "masked": a.Masked, "weights": a.Weights, "output": a.Output}
		if c.Op == "gqa" {
			out["krep"] = RepeatKV(in["k"], in["q"].Dim(-3)/in["k"].Dim(-3))
		}
		return out
	case "split_heads":
		return one(SplitHeads(in["x"], c.i(t, "h")))
	case "merge_heads":
		return one(MergeHeads(in["x"]))
	case "sinusoidal":
		return one(Sinusoidal(c.i(t, "n"), c.i(t, "d")))
	case "rope_interleaved":
		return one(RoPEInterleaved(in["x"], c.f(t, "base"), c.i(t, "offset")))
	case "rope_half":
		return one(RoPEHalf(in["x"], c.f(t, "base"), c.i(t, "offset")))
	}
	t.Fatalf("%s: unknown op %q", c.Name, c.Op)
	return nil
}

func testRefFile(t *testing.T, file string) {
	for _, c := range loadRef(t, file) {
		t.Run(c.Name, func(t *testing.T) {
			got := runRef(t, c)
			for k, want := range c.Outputs {
				g, ok := got[k]
				if !ok {
					t.Fatalf("no output %q", k)
				}
				checkTensor(t, fmt.Sprintf("%s.%s", c.Name, k), g, want)
			}
		})
	}
}

func TestRefElementwise(t *testing.T) { testRefFile(t, "elementwise.json") }
func TestRefMatMul(t *testing.T)      { testRefFile(t, "matmul.json") }
func TestRefSoftmax(t *testing.T)     { testRefFile(t, "softmax.json") }
func TestRefAttention(t *testing.T)   { testRefFile(t, "attention.json") }
func TestRefPositions(t *testing.T)   { testRefFile(t, "positions.json") }
