package demo

import (
	"errors"
	"math"
	"testing"

	"github.com/attnviz/attnviz/tensor"
)

func TestShapesAndRows(t *testing.T) {
	for _, a := range []*tensor.Tensor{Attention(7), Stack(2, 3, 7)} {
		if err := a.Err(); err != nil {
			t.Fatal(err)
		}
		d := a.Data()
		for r := 0; r*7 < len(d); r++ {
			s := 0.0
			for j, v := range d[r*7 : (r+1)*7] {
				if v < 0 || (j > r%7 && v != 0) {
					t.Fatalf("row %d: weight %v at key %d breaks the causal pattern", r, v, j)
				}
				s += float64(v)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("row %d sums to %v", r, s)
			}
		}
	}
	if got := Tokens(3); len(got) != 3 || got[0] != "The" || got[2] != "sat" {
		t.Errorf("Tokens(3) = %q", got)
	}
	if Tokens(-1) != nil {
		t.Errorf("Tokens(-1) should be nil")
	}
}

func TestBadSizes(t *testing.T) {
	for _, c := range []struct {
		a   *tensor.Tensor
		msg string
	}{
		{Attention(-1), "demo.Attention: want 0 ≤ T ≤ 4096 tokens and at most 2²⁸ weights in all, got L=1 H=1 T=-1"},
		{Stack(2, 2, 100000), "demo.Stack: want 0 ≤ T ≤ 4096 tokens and at most 2²⁸ weights in all, got L=2 H=2 T=100000"},
	} {
		err := c.a.Err()
		if err == nil || err.Error() != c.msg || !errors.Is(err, tensor.ErrValue) {
			t.Errorf("got %v, want %q", err, c.msg)
		}
	}
}
