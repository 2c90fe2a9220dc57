package model

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// accelerators lists the registered non-CPU devices that can run here.
func accelerators(t testing.TB) []tensor.Device {
	var out []tensor.Device
	for _, d := range tensor.Devices() {
		if d.Name() == tensor.CPU.Name() {
			continue
		}
		if err := d.Available(); err != nil {
			t.Logf("device %s not available: %v", d.Name(), err)
			continue
		}
		out = append(out, d)
	}
	return out
}

// On every available accelerator the record matches the CPU's and the
// torch reference, and greedy generation tells the same story.
func TestOnDevices(t *testing.T) {
	cpu := testModel(t)
	ref := loadRef(t)
	devs := accelerators(t)
	if len(devs) == 0 {
		t.Skip("no accelerator available; the CPU path is covered by the other tests")
	}
	want := cpu.Run(ref.Prompt)
	for _, d := range devs {
		for _, m := range []*Model{cpu.To(d), mustLoadOn(t, d)} {
			if m.Device() != d {
				t.Errorf("model on %s reports device %s", d.Name(), m.Device().Name())
			}
			r := m.Run(ref.Prompt)
			if err := r.Err(); err != nil {
				t.Fatalf("%s: %v", d.Name(), err)
			}
			if r.Attention.Device() != d || r.Q[0].Device() != d {
				t.Errorf("%s: record tensors on %s / %s", d.Name(), r.Attention.Device().Name(), r.Q[0].Device().Name())
			}
			for _, c := range []struct {
				name      string
				got, want *tensor.Tensor
			}{{"attention", r.Attention, want.Attention}, {"logits", r.Logits, want.Logits}, {"q[3]", r.Q[3], want.Q[3]}, {"v[4]", r.V[4], want.V[4]}} {
				g, w := c.got.Data(), c.want.Data()
				worst := 0.0
				for i := range g {
					worst = math.Max(worst, math.Abs(float64(g[i]-w[i])))
				}
				if worst > 1e-4 || len(g) != len(w) {
					t.Errorf("%s: %s differs from the CPU by %g", d.Name(), c.name, worst)
				}
				t.Logf("%s: %s max |diff| vs CPU %.2g", d.Name(), c.name, worst)
			}
			if e := maxDiff(t, "logits vs torch", r.Logits, ref.LogitsShape, ref.Logits); e > 1e-4 {
				t.Errorf("%s: logits differ from torch by %g", d.Name(), e)
			}
			ids, err := m.GenerateIDs([]int{1}, len(ref.GenerateIDs)-1)
			if err != nil || !reflect.DeepEqual(ids, ref.GenerateIDs) {
				t.Errorf("%s: greedy generation %q, %v", d.Name(), m.Decode(ids), err)
			}
		}
	}
}

func mustLoadOn(t *testing.T, d tensor.Device) *Model {
	m, err := Load(modelPath, Device(d))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// BenchmarkForward128Device is BenchmarkForward128 on each available
// accelerator (skipped when there is none).
func BenchmarkForward128Device(b *testing.B) {
	devs := accelerators(b)
	if len(devs) == 0 {
		b.Skip("no accelerator available")
	}
	cpu := testModel(b)
	ids := cpu.Tokenize(strings.Repeat("Once upon a time, there was a little girl named Lily. ", 10))[:128]
	for _, d := range devs {
		m := cpu.To(d)
		b.Run(d.Name(), func(b *testing.B) {
			m.RunIDs(ids) // warm up (driver, kernels)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := m.RunIDs(ids)
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
				r.Attention.Data() // wait for the device
			}
		})
	}
}
