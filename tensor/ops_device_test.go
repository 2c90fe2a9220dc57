package tensor

import (
	"reflect"
	"testing"
)

// TestOpsDispatch checks that every op reaches an accelerator under its
// documented op kind (see the table in ops.go), and that the CPU fallback
// gives the CPU's answer on the accelerator's device.
func TestOpsDispatch(t *testing.T) {
	dev := &fakeDev{}
	x := RandN(1, 2, 4, 8)
	y := RandN(2, 4, 8)
	m := CausalMask(4)
	w := RandN(3, 8)
	cases := []struct {
		op opKind
		f  func(x, y, m, w *Tensor) *Tensor
	}{
		{opAdd, func(x, y, m, w *Tensor) *Tensor { return x.Add(y) }},
		{opSub, func(x, y, m, w *Tensor) *Tensor { return x.Sub(y) }},
		{opMul, func(x, y, m, w *Tensor) *Tensor { return x.Mul(y) }},
		{opDiv, func(x, y, m, w *Tensor) *Tensor { return x.Div(y.AddScalar(10)) }},
		{opScale, func(x, y, m, w *Tensor) *Tensor { return x.Scale(3) }},
		{opExp, func(x, y, m, w *Tensor) *Tensor { return x.Exp() }},
		{opSiLU, func(x, y, m, w *Tensor) *Tensor { return x.SiLU() }},
		{opSum, func(x, y, m, w *Tensor) *Tensor { return x.Sum(1) }},
		{opMax, func(x, y, m, w *Tensor) *Tensor { return x.Max(-1) }},
		{opMean, func(x, y, m, w *Tensor) *Tensor { return x.Mean(0) }},
		{opArgmax, func(x, y, m, w *Tensor) *Tensor { return x.Argmax(-1) }},
		{opMatMul, func(x, y, m, w *Tensor) *Tensor { return x.MatMul(y.T()) }},
		{opSoftmax, func(x, y, m, w *Tensor) *Tensor { return x.Softmax(-1) }},
		{opSoftmax, func(x, y, m, w *Tensor) *Tensor { return x.SoftmaxTemp(1, 0.5) }},
		{opMaskedFill, func(x, y, m, w *Tensor) *Tensor { return x.Slice(2, 0, 4).MaskedFill(m, -1) }},
		{opRMSNorm, func(x, y, m, w *Tensor) *Tensor { return x.RMSNorm(w, 1e-5) }},
		{opSDPA, func(x, y, m, w *Tensor) *Tensor { return ScaledDotProductAttention(x, y, y, m).Weights }},
		{opRoPEInterleaved, func(x, y, m, w *Tensor) *Tensor { return RoPEInterleaved(x, 10000, 2) }},
		{opRoPEHalf, func(x, y, m, w *Tensor) *Tensor { return RoPEHalf(x, 10000, 2) }},
		{opGELU, func(x, y, m, w *Tensor) *Tensor { return x.GELU() }},
		{opGELUTanh, func(x, y, m, w *Tensor) *Tensor { return x.GELUTanh() }},
		{opLayerNorm, func(x, y, m, w *Tensor) *Tensor { return x.LayerNorm(w, w.Neg(), 1e-5) }},
	}
	covered := map[opKind]bool{}
	for _, c := range cases {
		covered[c.op] = true
	}
	for op := range opKind(len(opNames)) {
		if !covered[op] {
			t.Errorf("no case for %s: add one", op)
		}
	}
	for _, c := range cases {
		want := c.f(x, y, m, w)
		dev.runs = nil
		got := c.f(x.To(dev), y.To(dev), m.To(dev), w.To(dev))
		if err := got.Err(); err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		if got.Device() != Device(dev) {
			t.Errorf("%s: result on %s, want fake:0", c.op, got.Device().Name())
		}
		if len(dev.runs) == 0 || dev.runs[len(dev.runs)-1] != c.op {
			t.Errorf("%s: accelerator saw %v", c.op, dev.runs)
		}
		if !reflect.DeepEqual(got.Data(), want.Data()) {
			t.Errorf("%s: fallback result differs from the CPU's", c.op)
		}
	}
	// Tensors on different devices give ErrDevice, also for SDPA.
	if a := ScaledDotProductAttention(x.To(dev), y, y, nil); a.Err() == nil {
		t.Error("SDPA across devices: no error")
	}
}
