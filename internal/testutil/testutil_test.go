package testutil

import (
	"math"
	"os"
	"testing"
)

func TestMaxAbsDiff(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		a, b []float32
		want float64
	}{
		{nil, nil, 0},
		{[]float32{1, 2, 3}, []float32{1, 2.5, 2}, 1},
		{[]float32{1, 2}, []float32{1}, math.Inf(1)},
		{[]float32{nan, 5}, []float32{0, 0}, math.NaN()},
		{[]float32{0, 5}, []float32{0, nan}, math.NaN()},
	} {
		got := MaxAbsDiff(c.a, c.b)
		if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("MaxAbsDiff(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestReadJSON(t *testing.T) {
	p := t.TempDir() + "/r.json"
	if err := os.WriteFile(p, []byte(`{"a": [1, 2]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var v struct{ A []int }
	ReadJSON(t, p, &v, "make ref")
	if len(v.A) != 2 || v.A[1] != 2 {
		t.Errorf("read %+v", v)
	}
}

func TestGolden(t *testing.T) {
	p := t.TempDir() + "/sub/doc.md"
	Golden(t, p, "table\n", true, "go test -update")
	Golden(t, p, "table\n", false, "go test -update")
	if b, err := os.ReadFile(p); err != nil || string(b) != "table\n" {
		t.Errorf("wrote %q, %v", b, err)
	}
}
