package attnstat

import (
	"math"
	"testing"
)

func TestStatistics(t *testing.T) {
	uniform := func(T int) []float32 { // causal, uniform over the keys each query may see
		p := make([]float32, T*T)
		for i := range T {
			for j := 0; j <= i; j++ {
				p[i*T+j] = 1 / float32(i+1)
			}
		}
		return p
	}
	for _, c := range []struct {
		name          string
		p             []float32
		tq, tk        int
		sink, prevTok float64
	}{
		// query 0 (weight 1 on key 0 by force) is left out: 1/2, 1/3, 1/4
		{"uniform causal", uniform(4), 4, 4, (1./2 + 1./3 + 1./4) / 3, (1./2 + 1./3 + 1./4) / 3},
		{"sink head", []float32{1, 0, 0, 1, 0, 0, 1, 0, 0}, 3, 3, 1, 0.5},
		{"previous-token head", []float32{1, 0, 0, 1, 0, 0, 0, 1, 0}, 3, 3, 0.5, 1},
		{"one token", []float32{1}, 1, 1, 0, 0},
		// two new queries at positions 2 and 3 of a cached prompt
		{"kv cache", []float32{0.5, 0.5, 0, 0, 0.25, 0, 0.75, 0}, 2, 4, (0.5 + 0.25) / 2, (0.5 + 0.75) / 2},
	} {
		if got := Sink(c.p, c.tq, c.tk); math.Abs(got-c.sink) > 1e-7 {
			t.Errorf("%s: Sink = %v, want %v", c.name, got, c.sink)
		}
		if got := PrevToken(c.p, c.tq, c.tk); math.Abs(got-c.prevTok) > 1e-7 {
			t.Errorf("%s: PrevToken = %v, want %v", c.name, got, c.prevTok)
		}
	}
}

func TestInduction(t *testing.T) {
	targets := InductionTargets([]int{7, 1, 2, 3, 1, 2, 3, 3})
	want := []int{-1, -1, -1, -1, 2, 3, 4, 7}
	for i := range want {
		if targets[i] != want[i] {
			t.Fatalf("InductionTargets = %v, want %v", targets, want)
		}
	}
	// [5, 5]: queries 3 and 4 have targets 2 and 3
	tg := InductionTargets([]int{9, 1, 2, 1, 2})
	p := make([]float32, 25)
	p[3*5+2], p[3*5+0] = 0.5, 0.5
	p[4*5+3] = 1
	if s, n := Induction(p, 5, tg); math.Abs(s-0.75) > 1e-12 || n != 2 {
		t.Errorf("Induction = %g over %d queries, want 0.75 over 2", s, n)
	}
	if s, n := Induction(p, 5, InductionTargets([]int{1, 2, 3, 4, 5})); s != 0 || n != 0 {
		t.Errorf("no repeats: %g, %d", s, n)
	}
}
