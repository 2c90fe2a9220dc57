// Package testutil holds what the tests of several packages share: reading
// reference data and comparing numbers with it. Only _test files import it.
package testutil

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// ReadJSON reads the JSON file at path into v. A file that cannot be read
// fails the test with how to regenerate it (regenerate, when not empty:
// the command that writes it).
func ReadJSON(t testing.TB, path string, v any, regenerate string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if regenerate != "" {
			t.Fatalf("%v (regenerate with %s)", err, regenerate)
		}
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// MaxAbsDiff is the largest |a[i] − b[i]|: NaN if any difference is NaN,
// +Inf if the lengths differ.
func MaxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > worst || d != d {
			worst = d
		}
	}
	return worst
}

// Golden compares got with the generated file at path, or with update
// writes it there instead. A missing or different file fails the test
// with regenerate, the command that writes it.
func Golden(t testing.TB, path, got string, update bool, regenerate string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; generate it with %s", err, regenerate)
	}
	if string(old) != got {
		t.Errorf("%s is out of date; regenerate it with\n  %s\nand review the diff. It would now read:\n%s", path, regenerate, got)
	}
}
