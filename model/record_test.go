package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

// TestRecordSubset: a run that records some layers and heads holds exactly
// the numbers of those layers and heads in a full run, in the order asked,
// and says which it holds; the others are refused with the option to use.
func TestRecordSubset(t *testing.T) {
	m := testModel(t)
	c := m.Config()
	const prompt = "Once upon a time, there was a little girl named Lily."
	full := m.Run(prompt)
	if err := full.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(full.Layers) != fmt.Sprint(seq(c.Layers)) || fmt.Sprint(full.Heads) != fmt.Sprint(seq(c.Heads)) {
		t.Errorf("full record: layers %v heads %v", full.Layers, full.Heads)
	}
	for _, sub := range []struct{ layers, heads []int }{
		{[]int{3, 1}, []int{5, 0, 7}}, // some heads, out of order
		{[]int{4}, nil},               // one layer, every head
		{nil, []int{2}},               // one head of every layer
		{[]int{0}, seq(c.Heads)[1:]},  // all heads but one
		{nil, reverse(seq(c.Heads))},  // every head, in reverse
	} {
		var opts []RunOption
		if sub.layers != nil {
			opts = append(opts, RecordLayers(sub.layers...))
		}
		if sub.heads != nil {
			opts = append(opts, RecordHeads(sub.heads...))
		}
		r := m.Run(prompt, opts...)
		if err := r.Err(); err != nil {
			t.Fatalf("%v: %v", sub, err)
		}
		L, H := sub.layers, sub.heads
		if L == nil {
			L = seq(c.Layers)
		}
		if H == nil {
			H = seq(c.Heads)
		}
		T := len(r.IDs)
		if got, want := fmt.Sprint(r.Attention.Shape()), fmt.Sprint([]int{len(L), len(H), T, T}); got != want {
			t.Fatalf("%v: shape %s, want %s", sub, got, want)
		}
		if fmt.Sprint(r.Layers) != fmt.Sprint(L) || fmt.Sprint(r.Heads) != fmt.Sprint(H) {
			t.Errorf("%v: record says layers %v heads %v", sub, r.Layers, r.Heads)
		}
		for i, l := range L {
			for j, h := range H {
				a, b := r.Attention.Index(i, j).Data(), full.Head(l, h).Data()
				if d := sliceDiff(a, b); d > 1e-6 {
					t.Errorf("%v: layer %d head %d differs from the full run by %g", sub, l, h, d)
				}
				if d := sliceDiff(r.Head(l, h).Data(), b); d > 1e-6 {
					t.Errorf("%v: Head(%d, %d) differs by %g", sub, l, h, d)
				}
			}
			q, _, _ := r.QKV(l, H[0])
			fq, _, _ := full.QKV(l, H[0])
			if d := sliceDiff(q.Data(), fq.Data()); d > 0 {
				t.Errorf("%v: QKV(%d) differs by %g", sub, l, d)
			}
		}
		if d := sliceDiff(r.Logits.Data(), full.Logits.Data()); d > 0 {
			t.Errorf("%v: logits differ by %g", sub, d)
		}
		if s := r.PrevTokenScore(); s.Err() != nil || fmt.Sprint(s.Shape()) != fmt.Sprint([]int{len(L), len(H)}) {
			t.Errorf("%v: PrevTokenScore %v %v", sub, s.Shape(), s.Err())
		}
	}

	r := m.Run(prompt, RecordLayers(3, 1), RecordHeads(5, 0))
	for _, c := range []struct {
		err  error
		want string
	}{
		{r.Head(0, 0).Err(), "Record.Head: layer 0 was not recorded (the record holds layers [3 1]); run with model.RecordLayers(0) to record it"},
		{r.Head(3, 2).Err(), "Record.Head: head 2 was not recorded (the record holds heads [5 0]); run with model.RecordHeads(2) to record it"},
		{r.Layer(2).Err(), "Record.Layer: layer 2 was not recorded (the record holds layers [3 1]); run with model.RecordLayers(2) to record it"},
		{func() error { q, _, _ := r.QKV(4, 0); return q.Err() }(), "Record.QKV: layer 4 was not recorded (the record holds layers [3 1]); run with model.RecordLayers(4) to record it"},
		{r.Q[0].Err(), "model: layer 0 was not recorded (the record holds layers [3 1]); run with model.RecordLayers(0) to record it"},
	} {
		if c.err == nil || c.err.Error() != c.want || !errors.Is(c.err, tensor.ErrValue) {
			t.Errorf("got %v\nwant %s", c.err, c.want)
		}
	}

	// The saved record says which layers and heads it holds.
	p := filepath.Join(t.TempDir(), "r.safetensors")
	if err := r.SaveSafetensors(p); err != nil {
		t.Fatal(err)
	}
	st := tensor.OpenSafetensors(p)
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	md := st.Metadata()
	if md["layers"] != "[3,1]" || md["heads"] != "[5,0]" || !strings.Contains(md["layout"], "recorded layer") {
		t.Errorf("metadata %v", md)
	}
}

func TestRecordOptionErrors(t *testing.T) {
	m := testModel(t)
	for _, c := range []struct {
		opts []RunOption
		want string
	}{
		{[]RunOption{RecordLayers(9)}, "model: RecordLayers(9): the model has layers 0 … 4"},
		{[]RunOption{RecordHeads(-1)}, "model: RecordHeads(-1): the model has heads 0 … 7"},
		{[]RunOption{RecordLayers()}, "model: RecordLayers() records no layer; give at least one (0 … 4)"},
		{[]RunOption{RecordHeads(1, 2, 1)}, "model: RecordHeads: head 1 is given twice"},
	} {
		r := m.Run("hi", c.opts...)
		if r.Err() == nil || r.Err().Error() != c.want || r.Attention.Err() == nil {
			t.Errorf("got %v\nwant %s", r.Err(), c.want)
		}
	}
	// a nil option is ignored
	if r := m.Run("hi", nil); r.Err() != nil {
		t.Errorf("nil option: %v", r.Err())
	}
}

// TestRunMemoryBudget: a run over its budget is refused before it
// allocates, with a message naming the options; the estimate covers what
// a run really allocates.
func TestRunMemoryBudget(t *testing.T) {
	m := testModel(t)
	prompt := strings.Repeat("the cat sat on the mat. ", 10) // ~100 tokens
	T := len(m.Tokenize(prompt))
	est := estimateRun(m.Config(), T, 5, 8, true)

	// what a full run allocates, against the estimate
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := m.Run(prompt, MemoryBudget(0))
	runtime.ReadMemStats(&after)
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	alloc := int64(after.TotalAlloc - before.TotalAlloc)
	// TotalAlloc counts every allocation, freed or not: the estimate of
	// the peak must be at least what the record and outputs keep, and
	// not far from everything allocated.
	kept := est.record + est.qkv + est.outputs
	if est.total() < kept || est.total() > 4*alloc || alloc > 4*est.total() {
		t.Errorf("T=%d: estimate %d bytes (record %d, qkv %d, outputs %d, pass %d), allocated %d", T, est.total(), est.record, est.qkv, est.outputs, est.pass, alloc)
	}
	t.Logf("T=%d: estimate %.2f MB, allocated in all %.2f MB", T, float64(est.total())/1e6, float64(alloc)/1e6)

	// over the budget: refused before allocating the record
	runtime.GC()
	runtime.ReadMemStats(&before)
	r = m.Run(prompt, MemoryBudget(est.total()-1))
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("model: recording every layer and head (5 × 8) at %d tokens needs about %s", T, fmtBytes(est.total()))
	if err := r.Err(); err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, tensor.ErrValue) {
		t.Fatalf("got %v\nwant %s…", err, want)
	}
	for _, opt := range []string{"model.RecordLayers", "model.RecordHeads", "model.MemoryBudget", BudgetEnv, "-layers", "-heads", "-memory"} {
		if !strings.Contains(r.Err().Error(), opt) {
			t.Errorf("the refusal does not name %s: %v", opt, r.Err())
		}
	}
	if d := int64(after.TotalAlloc - before.TotalAlloc); d > est.record/4 {
		t.Errorf("a refused run allocated %d bytes", d)
	}
	// a smaller record fits the same budget
	if r := m.Run(prompt, MemoryBudget(est.total()-1), RecordLayers(2), RecordHeads(0)); r.Err() != nil {
		t.Errorf("one head under the budget: %v", r.Err())
	}
	// the environment variable sets the default budget
	t.Setenv(BudgetEnv, "1kB")
	if r := m.Run(prompt); r.Err() == nil || !strings.Contains(r.Err().Error(), "memory budget of 1 kB ("+BudgetEnv+"=1kB)") {
		t.Errorf("%s=1kB: %v", BudgetEnv, r.Err())
	}
	t.Setenv(BudgetEnv, "off")
	if r := m.Run(prompt); r.Err() != nil {
		t.Errorf("%s=off: %v", BudgetEnv, r.Err())
	}
}

// TestEstimateLongContext: the example, 16 layers × 32 heads at
// 4096 tokens, is 34 GB of weights; one head of one layer is 67 MB.
func TestEstimateLongContext(t *testing.T) {
	c := Config{Layers: 16, Dim: 2048, Heads: 32, KVHeads: 8, HeadDim: 64, FFN: 8192, Vocab: 128256}
	if got := estimateRun(c, 4096, 16, 32, true).record; got != 16*32*4096*4096*4 {
		t.Errorf("record: %d bytes", got)
	}
	if got := fmtBytes(estimateRun(c, 4096, 16, 32, true).record); got != "34.4 GB" {
		t.Errorf("record: %s", got)
	}
	one := estimateRun(c, 4096, 1, 1, true)
	if one.record != 4096*4096*4 {
		t.Errorf("one head: %d", one.record)
	}
	// the pass holds a layer's weights of every head, twice (two workspaces)
	if one.pass < 2*32*4096*4096*4 {
		t.Errorf("pass: %d", one.pass)
	}
}

func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"8GB": 8e9, "512MiB": 512 << 20, "2000000000": 2e9, "off": 0, "1.5 GB": 1.5e9, "64k": 64e3} {
		if got, err := ParseBytes(s); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "lots", "-1GB", "1e30GB"} {
		if _, err := ParseBytes(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
	if b, from := DefaultMemoryBudget(); os.Getenv(BudgetEnv) == "" && b > 0 && !strings.HasPrefix(from, "half of") {
		t.Errorf("default budget %d from %q", b, from)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func reverse(s []int) []int {
	out := make([]int, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func sliceDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return 1e9
	}
	var m float64
	for i := range a {
		d := float64(a[i] - b[i])
		if d < 0 {
			d = -d
		}
		m = max(m, d)
	}
	return m
}
