package tensor

import (
	"reflect"
	"testing"
)

// TestOpsDispatch checks that every op reaches an accelerator under its
// documented op name (see the table in ops.go), and that the CPU fallback
// gives the CPU's answer on the accelerator's device.
func TestOpsDispatch(t *testing.T) {
	dev := &fakeDev{}
	x := RandN(1, 2, 4, 8)
	y := RandN(2, 4, 8)
	m := CausalMask(4)
	w := RandN(3, 8)
	cases := []struct {
		op string
		f  func(x, y, m, w *Tensor) *Tensor
	}{
		{"Add", func(x, y, m, w *Tensor) *Tensor { return x.Add(y) }},
		{"Sub", func(x, y, m, w *Tensor) *Tensor { return x.Sub(y) }},
		{"Mul", func(x, y, m, w *Tensor) *Tensor { return x.Mul(y) }},
		{"Div", func(x, y, m, w *Tensor) *Tensor { return x.Div(y.AddScalar(10)) }},
		{"Scale", func(x, y, m, w *Tensor) *Tensor { return x.Scale(3) }},
		{"Exp", func(x, y, m, w *Tensor) *Tensor { return x.Exp() }},
		{"SiLU", func(x, y, m, w *Tensor) *Tensor { return x.SiLU() }},
		{"Sum", func(x, y, m, w *Tensor) *Tensor { return x.Sum(1) }},
		{"Max", func(x, y, m, w *Tensor) *Tensor { return x.Max(-1) }},
		{"Mean", func(x, y, m, w *Tensor) *Tensor { return x.Mean(0) }},
		{"Argmax", func(x, y, m, w *Tensor) *Tensor { return x.Argmax(-1) }},
		{"MatMul", func(x, y, m, w *Tensor) *Tensor { return x.MatMul(y.T()) }},
		{"Softmax", func(x, y, m, w *Tensor) *Tensor { return x.Softmax(-1) }},
		{"Softmax", func(x, y, m, w *Tensor) *Tensor { return x.SoftmaxTemp(1, 0.5) }},
		{"MaskedFill", func(x, y, m, w *Tensor) *Tensor { return x.Slice(2, 0, 4).MaskedFill(m, -1) }},
		{"RMSNorm", func(x, y, m, w *Tensor) *Tensor { return x.RMSNorm(w, 1e-5) }},
		{"SDPA", func(x, y, m, w *Tensor) *Tensor { return ScaledDotProductAttention(x, y, y, m).Weights }},
		{"RoPEInterleaved", func(x, y, m, w *Tensor) *Tensor { return RoPEInterleaved(x, 10000, 2) }},
		{"RoPEHalf", func(x, y, m, w *Tensor) *Tensor { return RoPEHalf(x, 10000, 2) }},
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
