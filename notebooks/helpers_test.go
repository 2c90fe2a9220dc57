package notebooks

import (
	"path"
	"regexp"
	"strings"
	"testing"
)

// helperFunc finds the helpers a lesson defines (func name(...) in a code cell).
var helperFunc = regexp.MustCompile(`(?m)^func ([A-Za-z_][A-Za-z0-9_]*)\(`)

// helperCalls says, for each helper the lessons define, how to call it with tensors that went
// wrong, and what it must print. A helper added to a lesson without a row here fails the test.
var helperCalls = map[string][]struct{ call, want string }{
	"show": {
		// The mistake lesson 1 teaches: forgetting K.T().
		{`show(tensor.Ones(4, 2).MatMul(tensor.Ones(4, 2)), []string{"The", "cat", "sat", "down"})`,
			"error: MatMul: inner dimensions differ: [4 2] × [4 2]; did you mean k.T()?"},
		{`show(tensor.Ones(2, 3, 3), []string{"a", "b"})`, "show prints a table (2-D), but this tensor has shape [2 3 3]"},
		{`show(tensor.Ones(3, 2), []string{"a"})`, "?        1.0000   1.0000"},
	},
	// Lesson 6 times with it (item 17): one warm-up run, then the median of the others.
	"medianMs": {
		{`calls := 0
medianMs(5, func() { calls++ })
fmt.Println("calls:", calls)`, "calls: 6"},
		// runs of 10 (the warm-up), 20, 30 and 40 ms: the median of the last three is 30 ms
		// or a little more; counting the warm-up would give 20.
		{`i := 0
fmt.Println("median ≥ 30 ms:", medianMs(3, func() { i++; time.Sleep(time.Duration(10*i) * time.Millisecond) }) >= 30)`, "median ≥ 30 ms: true"},
	},
	"row": {
		{`fmt.Println(row(tensor.Ones(4, 2).MatMul(tensor.Ones(4, 2)), 0))`,
			"error: MatMul: inner dimensions differ: [4 2] × [4 2]; did you mean k.T()?"},
		{`fmt.Println(row(tensor.Ones(2, 2), 5))`, "no row 5 in a tensor of shape [2 2]"},
	},
}

// TestLessonHelpersPrintErrors (issue 13, item 13): every helper a lesson defines shows the
// error a tensor carries (and other wrong input) instead of printing nothing or panicking;
// lesson 6's timing helper warms up and takes a median (item 17).
// Each lesson's cells that define helpers run in the real kernel, then the calls above.
func TestLessonHelpersPrintErrors(t *testing.T) {
	found := map[string]bool{}
	type lessonHelpers struct {
		stem  string
		cells []string
		names []string
	}
	var todo []lessonHelpers
	for _, f := range lessons(t) {
		nb := readNotebook(t, teacherOf(t, f))
		var lh lessonHelpers
		lh.stem = strings.TrimSuffix(path.Base(f), ".ipynb")
		for _, c := range nb.Cells {
			if c.Type != "code" {
				continue
			}
			src := joined(c.Source)
			ms := helperFunc.FindAllStringSubmatch(src, -1)
			if len(ms) == 0 {
				continue
			}
			lh.cells = append(lh.cells, src)
			for _, m := range ms {
				lh.names = append(lh.names, m[1])
				found[m[1]] = true
			}
		}
		if len(lh.names) > 0 {
			todo = append(todo, lh)
		}
	}
	for name := range found {
		if len(helperCalls[name]) == 0 {
			t.Errorf("a lesson defines the helper %s, which this test does not call: add how it must show a tensor's error to helperCalls", name)
		}
	}
	if len(todo) == 0 {
		t.Fatal("no lesson defines a helper: the test looks for func NAME( in code cells")
	}
	needKernel(t)
	for _, lh := range todo {
		t.Run(lh.stem, func(t *testing.T) {
			cells := append([]string(nil), lh.cells...)
			var wants []string
			for _, name := range lh.names {
				for _, c := range helperCalls[name] {
					cells = append(cells, c.call)
					wants = append(wants, c.want)
				}
			}
			nb := runCells(t, cells...)
			if len(nb.Cells) != len(cells) {
				t.Fatalf("ran %d cells, want %d", len(nb.Cells), len(cells))
			}
			for i, want := range wants {
				c := nb.Cells[len(lh.cells)+i]
				for _, o := range c.Outputs {
					if o.Type == "error" {
						t.Errorf("%s: error output %s: %s", cells[len(lh.cells)+i], o.Ename, o.Evalue)
					}
				}
				if got := c.text(); !strings.Contains(got, want) {
					t.Errorf("%s\n printed %q\n want it to contain %q", cells[len(lh.cells)+i], got, want)
				}
			}
		})
	}
}
