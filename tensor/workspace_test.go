package tensor

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// wsChain is a forward-pass-like chain of ops on x: every op that makes a
// result, with views and copies of views in between.
func wsChain(x, w, wq *Tensor, lin *Linear) []*Tensor {
	h := x.RMSNorm(w, 1e-5)
	q := SplitHeads(h.MatMul(wq), 2) // Contiguous of a permuted view
	q = RoPEInterleaved(q, 10000, 0)
	k := q.Scale(0.5).AddScalar(1)
	a := AttentionWeights(q, k, k, true)
	g := GroupedQueryAttention(q, k, k, CausalMask(x.Dim(0)))
	o := MergeHeads(a.Output).Add(x).Mul(x).Sub(x).Div(x.AddScalar(10))
	f := lin.ForwardAct(o.LayerNorm(nil, nil, 1e-5), ActSiLU).SiLU().GELU().GELUTanh().Exp()
	s := f.Softmax(-1).MaskedFill(Ones(f.Shape()...), 0.5).Sum(0)
	return []*Tensor{h, q, a.Weights, a.Output, g.Weights, g.Output, o, f, s, f.Softmax(0), f.Max(-1), f.T().Contiguous()}
}

// TestWorkspace checks that results made in a workspace equal the ones
// made on the heap, that a second pass reuses the memory of the first, and
// that results are refused after Release while the inputs stay valid.
func TestWorkspace(t *testing.T) {
	x, w, wq := RandN(1, 12, 16), RandN(2, 16), RandN(3, 16, 16)
	lin := NewLinear(RandN(4, 24, 16), RandN(5, 24))
	want := wsChain(x, w, wq, lin)
	ws := NewWorkspace()
	xs := ws.Use(x)
	var firstData []uintptr
	for pass := 0; pass < 3; pass++ {
		got := wsChain(xs, w, wq, lin)
		var data []uintptr
		for i := range got {
			if err := got[i].Err(); err != nil {
				t.Fatalf("pass %d result %d: %v", pass, i, err)
			}
			if got[i].ws.owner != ws {
				t.Errorf("pass %d: result %d (%v) was not made in the workspace", pass, i, got[i].Shape())
			}
			g, wd := got[i].Data(), want[i].Data()
			if !slices.Equal(got[i].Shape(), want[i].Shape()) {
				t.Fatalf("result %d: shape %v, want %v", i, got[i].Shape(), want[i].Shape())
			}
			for j := range g {
				if g[j] != wd[j] && !(g[j] != g[j] && wd[j] != wd[j]) {
					t.Fatalf("pass %d result %d element %d = %v, want %v", pass, i, j, g[j], wd[j])
				}
			}
			data = append(data, uintptr(unsafe.Pointer(&got[i].data[got[i].offset])))
		}
		if pass == 1 {
			firstData = data
		}
		if pass == 2 {
			for i := range data {
				if data[i] != firstData[i] {
					t.Errorf("result %d moved between passes 2 and 3: the workspace allocated anew", i)
				}
			}
		}
		held := ws.Bytes()
		ws.Release()
		if err := got[0].Err(); err == nil || !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), "Workspace that has been released") {
			t.Fatalf("a result after Release: err = %v", err)
		}
		if r := got[3].Index(0).Add(x); r.Err() == nil {
			t.Fatalf("an op on a released result's view succeeded")
		}
		if xs.Err() != nil || xs.Add(x).Err() != nil {
			t.Fatalf("the input given to Use must stay valid: %v", xs.Err())
		}
		if pass > 0 && ws.Bytes() != held {
			t.Errorf("pass %d: the workspace grew from %d to %d bytes", pass, held, ws.Bytes())
		}
	}
	// A result cloned before Release survives it, and ops on the clone
	// go to the heap.
	c := wsChain(xs, w, wq, lin)[1].Clone()
	ws.Release()
	if c.Err() != nil || c.ws.out != nil || c.Scale(2).ws.owner != nil {
		t.Errorf("a clone must leave the workspace: err %v", c.Err())
	}
	if got, wd := c.Data(), want[1].Data(); got[5] != wd[5] {
		t.Errorf("clone: %v, want %v", got[5], wd[5])
	}
}

// TestWorkspaceAllocs: a pass in a warm workspace allocates only the small
// tensor headers, not the results' elements.
func TestWorkspaceAllocs(t *testing.T) {
	x, w, wq := RandN(1, 64, 64), RandN(2, 64), RandN(3, 64, 64)
	ws := NewWorkspace()
	xs := ws.Use(x)
	run := func() {
		h := xs.RMSNorm(w, 1e-5).MatMul(wq)
		q := SplitHeads(h, 8)
		AttentionWeights(q, q, q, true)
		ws.Release()
	}
	run()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	const passes = 20
	for i := 0; i < passes; i++ {
		run()
	}
	runtime.ReadMemStats(&m1)
	// Without the workspace this pass makes ≈ 230 KB of results.
	if per := (m1.TotalAlloc - m0.TotalAlloc) / passes; per > 16<<10 {
		t.Errorf("a pass in a warm workspace allocates %d bytes, want only tensor headers (< 16 KiB)", per)
	}
}

// TestAttentionWeightsInto writes the weights of each "layer" into one
// record tensor and compares with AttentionWeights.
func TestAttentionWeightsInto(t *testing.T) {
	q, k, v := RandN(1, 4, 10, 8), RandN(2, 2, 10, 8), RandN(3, 2, 10, 8)
	rec := Full(7, 3, 4, 10, 10) // stale values must be overwritten
	for l := 0; l < 3; l++ {
		causal := l != 1
		a := AttentionWeightsInto(rec.Index(l), q, k, v, causal)
		if err := a.Err(); err != nil {
			t.Fatal(err)
		}
		want := AttentionWeights(q, k, v, causal)
		if g, w := rec.Index(l).Data(), want.Weights.Data(); !slices.Equal(g, w) {
			t.Fatalf("layer %d: weights differ", l)
		}
		if g, w := a.Output.Data(), want.Output.Data(); !slices.Equal(g, w) {
			t.Fatalf("layer %d: output differs", l)
		}
	}
	for _, c := range []struct {
		dst  *Tensor
		want string
	}{
		{Zeros(4, 10, 9), "AttentionWeightsInto: the destination must be a contiguous [heads, queries, keys] tensor: [4 10 9] × [4 10 10]; want a contiguous [4 10 10] tensor: Zeros(4, 10, 10), or rec.Index(l) of a [layers, 4, 10, 10] record"},
		{Zeros(4, 10, 10).Transpose(1, 2), "AttentionWeightsInto: the destination must be a contiguous [heads, queries, keys] tensor: [4 10 10] × [4 10 10]; want a contiguous [4 10 10] tensor: Zeros(4, 10, 10), or rec.Index(l) of a [layers, 4, 10, 10] record"},
		{Failed(Errorf(ErrValue, "boom")), "boom"},
	} {
		if err := AttentionWeightsInto(c.dst, q, k, v, true).Err(); err == nil || err.Error() != c.want {
			t.Errorf("AttentionWeightsInto(%v): err %v, want %q", c.dst.Shape(), err, c.want)
		}
	}
}

// TestWorkspaceCUDA runs a chain of ops in a workspace on the fake CUDA
// driver: the results equal the CPU's, Release gives every result's device
// memory back to the device's cache at once (no garbage collection), and
// the next pass is served from that cache without a single cuMemAlloc.
func TestWorkspaceCUDA(t *testing.T) {
	t.Run("fake", func(t *testing.T) {
		_, dev, _ := fakeCUDA(t)
		testWorkspaceCUDA(t, dev)
	})
	t.Run("gpu", func(t *testing.T) { testWorkspaceCUDA(t, realCUDA(t)) })
}

func testWorkspaceCUDA(t *testing.T, dev *cudaDevice) {
	d, err := dev.open()
	if err != nil {
		t.Fatal(err)
	}
	x, w, wq := RandN(1, 12, 16), RandN(2, 16), RandN(3, 16, 16)
	chain := func(x, w, wq, mask *Tensor) []*Tensor {
		h := x.RMSNorm(w, 1e-5)
		q := RoPEInterleaved(SplitHeads(h.MatMul(wq), 2), 10000, 0)
		a := AttentionWeights(q, q, q, true)
		s := ScaledDotProductAttention(q, q, q, mask)
		o := MergeHeads(a.Output).Add(x).Softmax(-1).Scale(3).SiLU()
		return []*Tensor{h, q, a.Weights, a.Output, s.Scores, s.Weights, s.Output, o, o.Sum(0)}
	}
	want := chain(x, w, wq, CausalMask(12))
	xd, wd, wqd, md := x.To(dev), w.To(dev), wq.To(dev), CausalMask(12).To(dev)
	ws := NewWorkspace()
	xs := ws.Use(xd)
	var allocs int64
	for pass := 0; pass < 3; pass++ {
		got := chain(xs, wd, wqd, md)
		for i := range got {
			if err := got[i].Err(); err != nil {
				t.Fatalf("pass %d result %d: %v", pass, i, err)
			}
			if got[i].Device() != dev {
				t.Fatalf("result %d is on %s", i, got[i].Device().Name())
			}
			if at, ok := closeEnough(got[i].Data(), want[i].Data(), 1e-4, 1e-5); !ok {
				t.Fatalf("pass %d result %d element %d: %v, want %v", pass, i, at, got[i].Data()[at], want[i].Data()[at])
			}
		}
		live, rel := d.Live(), d.Released()
		ws.Release()
		if d.Released()-rel < int64(len(got)) {
			t.Errorf("pass %d: Release gave back %d buffers, want at least %d", pass, d.Released()-rel, len(got))
		}
		if d.Live() >= live {
			t.Errorf("pass %d: live device memory %d → %d after Release, want less", pass, live, d.Live())
		}
		if got[5].Err() == nil {
			t.Errorf("a released device result still reads as valid")
		}
		if pass == 1 {
			allocs = d.MemAllocs()
		}
		if pass == 2 && d.MemAllocs() != allocs {
			t.Errorf("pass 3 called cuMemAlloc %d times; the cache should have served every buffer", d.MemAllocs()-allocs)
		}
	}
}
