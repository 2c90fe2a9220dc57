// Package notebooks holds the lessons; its tests run every lesson headless on the real
// attnviz Go kernel (Jupyter nbconvert) and check what the cells show.
//
// The tests need Jupyter (jupyter-notebook, jupyter-nbconvert, python3-ipykernel on Debian)
// and the Go toolchain to build the kernel; without Jupyter they skip and say so.
// `make test` (and CI, .ci/run) installs Jupyter and builds the kernel first.
package notebooks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/attnviz/attnviz/model"
)

const kernelName = "attnviz-go"

var python = "/usr/bin/python3"

// repoRoot is the module root (the tests run in notebooks/).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// needKernel skips the test when Jupyter is missing, and builds the kernel (a no-op when
// it is up to date) so the lessons run against the library as it is now.
func needKernel(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running notebooks on the Jupyter kernel")
	}
	if _, err := exec.LookPath("jupyter"); err != nil {
		t.Skip("jupyter is not installed (Debian: apt-get install -y jupyter-notebook jupyter-nbconvert python3-ipykernel, or scripts/setup-deps.sh); notebook tests skipped")
	}
	if out, err := exec.Command(python, "-c", "import nbconvert, nbclient, jupyter_client").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import nbconvert/nbclient (%v: %s); notebook tests skipped", python, err, out)
	}
	buildOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(repoRoot(t), "kernel", "build.sh"))
		cmd.Dir = repoRoot(t)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("kernel/build.sh failed: %v\n%s", buildErr, buildOut)
	}
}

var (
	buildOnce sync.Once
	buildOut  []byte
	buildErr  error
)

// Notebook JSON, the parts the tests read.
type notebook struct {
	Cells []cell `json:"cells"`
}

type cell struct {
	ID       string `json:"id"`
	Type     string `json:"cell_type"`
	Source   any    `json:"source"`
	Metadata struct {
		Tags    []string `json:"tags"`
		Attnviz struct {
			Expect []string `json:"expect"`
		} `json:"attnviz"`
	} `json:"metadata"`
	Outputs []output `json:"outputs"`
}

type output struct {
	Type   string         `json:"output_type"`
	Name   string         `json:"name"`
	Text   any            `json:"text"`
	Data   map[string]any `json:"data"`
	Ename  string         `json:"ename"`
	Evalue string         `json:"evalue"`
}

// joined reads nbformat's "string or list of strings".
func joined(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, s := range v {
			b.WriteString(fmt.Sprint(s))
		}
		return b.String()
	}
	return ""
}

func (c cell) hasTag(tag string) bool {
	for _, t := range c.Metadata.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// text is everything the cell printed or showed as text.
func (c cell) text() string {
	var b strings.Builder
	for _, o := range c.Outputs {
		b.WriteString(joined(o.Text))
		if o.Data != nil {
			b.WriteString(joined(o.Data["text/plain"]))
		}
	}
	return b.String()
}

func readNotebook(t testing.TB, path string) notebook {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("%s: not a notebook: %v", path, err)
	}
	return nb
}

func lessons(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "notebooks", "[0-9]*.ipynb"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no lessons in notebooks/ (%v)", err)
	}
	sort.Strings(files)
	return files
}

// teacherOf is the teacher's notebook of a lesson (teacher/NN-name.ipynb): the same source,
// answers included.
func teacherOf(t testing.TB, lesson string) string {
	return filepath.Join(repoRoot(t), "teacher", filepath.Base(lesson))
}

// TestStudentNotebooksHaveNoAnswers (issue 13, item 15): the notebooks students open (notebooks/,
// what the lab, the image and the hub give them) hold no answer, so "Run All" neither shows nor
// runs one; the teacher's notebooks (teacher/) hold every answer. Both come from the same source:
// the students' notebook is the teacher's without the cells tagged answer or teacher, plus the
// cells tagged student, in the same order, with the same ids. And a student's Run All runs what the
// teacher's run (TestLessons) ran before its first answer, so it passes where that one passes:
// after the first answer, the students' notebook has only empty exercise cells and prose.
func TestStudentNotebooksHaveNoAnswers(t *testing.T) {
	for _, f := range lessons(t) {
		stem := strings.TrimSuffix(filepath.Base(f), ".ipynb")
		t.Run(stem, func(t *testing.T) {
			student, teacher := readNotebook(t, f), readNotebook(t, teacherOf(t, f))
			answers := 0
			for _, c := range teacher.Cells {
				if c.hasTag("answer") {
					answers++
				}
				if c.hasTag("student") {
					t.Errorf("teacher's cell %s is tagged student", c.ID)
				}
			}
			if answers == 0 {
				t.Errorf("the teacher's notebook has no answer cells")
			}
			for _, c := range student.Cells {
				if c.hasTag("answer") || c.hasTag("teacher") {
					t.Errorf("students' cell %s is tagged %v:\n%s", c.ID, c.Metadata.Tags, joined(c.Source))
				}
				if strings.Contains(joined(c.Source), "**Answer") {
					t.Errorf("students' cell %s shows an answer:\n%s", c.ID, joined(c.Source))
				}
			}
			// The same lesson: merge both by id, in order.
			var want []string
			for _, c := range teacher.Cells {
				if !c.hasTag("answer") && !c.hasTag("teacher") {
					want = append(want, c.ID)
				}
			}
			var got []string
			for _, c := range student.Cells {
				if !c.hasTag("student") {
					got = append(got, c.ID)
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("students' cells %v, want the teacher's less the answers %v", got, want)
			}
			byID := map[string]cell{}
			for _, c := range teacher.Cells {
				byID[c.ID] = c
			}
			firstAnswer := len(teacher.Cells)
			for i, c := range teacher.Cells {
				if c.hasTag("answer") {
					firstAnswer = i
					break
				}
			}
			pos := map[string]int{}
			for i, c := range teacher.Cells {
				pos[c.ID] = i
			}
			for _, c := range student.Cells {
				tc, ok := byID[c.ID]
				if !ok {
					continue
				}
				if joined(tc.Source) != joined(c.Source) {
					t.Errorf("cell %s differs between the notebooks", c.ID)
				}
				if c.Type == "code" && pos[c.ID] > firstAnswer {
					code := strings.TrimSpace(joined(c.Source))
					if code != "" && code != "// your code here" {
						t.Errorf("students' code cell %s comes after an answer, which their Run All does not run:\n%s", c.ID, code)
					}
				}
			}
		})
	}
}

// TestNotebooksMatchSources checks that the committed .ipynb files are what
// scripts/make_notebooks.py makes from notebooks/src/*.md.
func TestNotebooksMatchSources(t *testing.T) {
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not found: cannot run scripts/make_notebooks.py", python)
	}
	cmd := exec.Command(python, "scripts/make_notebooks.py", "--check")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("notebooks differ from notebooks/src (run make notebooks): %v\n%s", err, out)
	}
	for _, f := range lessons(t) {
		src := filepath.Join(repoRoot(t), "notebooks", "src", strings.TrimSuffix(filepath.Base(f), ".ipynb")+".md")
		if _, err := os.Stat(src); err != nil {
			t.Errorf("%s has no source %s", filepath.Base(f), src)
		}
	}
}

// TestLessons executes every lesson with the real kernel (scripts/handouts.py: nbconvert's
// ExecutePreprocessor, the same run `make handouts` does) and checks, cell by cell:
// no error outputs; every cell tagged "figure" shows image/png and text/html; every number a
// cell's metadata attnviz.expect lists appears in what the cell printed. It also checks
// the handouts: the student version drops the answers, nothing is loaded from the network.
func TestLessons(t *testing.T) {
	needKernel(t)
	root := repoRoot(t)
	out := t.TempDir()
	var files, skipped []string
	for _, f := range lessons(t) {
		// lessons 4 and 7 run stories260K
		if (strings.Contains(f, "a-real-model") || strings.Contains(f, "induction-heads")) && !modelAvailable(root) {
			skipped = append(skipped, f)
			continue
		}
		files = append(files, f)
	}
	for _, f := range skipped {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".ipynb"), func(t *testing.T) {
			_, err := model.FindLessonModel()
			t.Skip(err)
		})
	}
	cmd := exec.Command(python, append([]string{"scripts/handouts.py", "--no-pdf", "--out", out}, files...)...)
	cmd.Dir = root
	log, runErr := cmd.CombinedOutput()
	t.Logf("scripts/handouts.py:\n%s", log)

	for _, f := range files {
		stem := strings.TrimSuffix(filepath.Base(f), ".ipynb")
		t.Run(stem, func(t *testing.T) {
			src := readNotebook(t, teacherOf(t, f))
			for _, nb := range []notebook{readNotebook(t, f), src} {
				for i, c := range nb.Cells {
					if len(c.Outputs) > 0 {
						t.Errorf("cell %d: committed with outputs; the lessons are committed unexecuted (make notebooks)", i)
					}
				}
			}
			executed := filepath.Join(out, stem+".teacher.ipynb")
			if _, err := os.Stat(executed); err != nil {
				t.Fatalf("not executed: %v", err)
			}
			// Every interactive figure carries its library: the lesson saved
			// with its outputs stays within 8 MB (issue 12).
			if st, err := os.Stat(executed); err == nil {
				t.Logf("%s with outputs: %d bytes", stem, st.Size())
				if st.Size() > 8_000_000 {
					t.Errorf("%s saved with its outputs is %d bytes, over the 8 MB budget", stem, st.Size())
				}
			}
			nb := readNotebook(t, executed)
			if len(nb.Cells) != len(src.Cells) {
				t.Fatalf("executed notebook has %d cells, the teacher's notebook %d", len(nb.Cells), len(src.Cells))
			}
			figures := 0
			for i, c := range nb.Cells {
				if c.Type != "code" {
					continue
				}
				for _, o := range c.Outputs {
					if o.Type == "error" {
						t.Errorf("cell %d: error output %s: %s\ncode:\n%s", i, o.Ename, o.Evalue, joined(c.Source))
					}
					// The interpreter's own warnings (e.g. gomacro skipping a
					// package's generic functions when it walks a type) are
					// noise a student cannot act on: no lesson may show one.
					if o.Type == "stream" && strings.Contains(joined(o.Text), "// warning:") {
						t.Errorf("cell %d: the interpreter printed a warning:\n%s", i, joined(o.Text))
					}
				}
				if c.hasTag("figure") {
					figures++
					checkFigure(t, i, c)
				}
				text := c.text()
				for _, want := range c.Metadata.Attnviz.Expect {
					if !strings.Contains(text, want) {
						t.Errorf("cell %d: want %q in its output, got:\n%s", i, want, text)
					}
				}
			}
			if figures == 0 {
				t.Errorf("no cell tagged figure: a lesson shows its steps as figures")
			}
			for _, kind := range lessonViews[stem] {
				if !showsView(nb, kind) {
					t.Errorf("no figure cell shows the interactive %s (data-kind=%q): the lesson teaches with it", kind, kind)
				}
			}
			checkHandouts(t, out, stem, src, readNotebook(t, f))
		})
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("scripts/handouts.py: %v (see its log above)", runErr)
	}
}

// lessonViews: the interactive views a lesson must show (issue 13, item 16: the head view
// where lesson 2 teaches heads, the head view and the explorer on lesson 4's real model).
var lessonViews = map[string][]string{
	"02-masks-and-multi-head": {"headview"},
	"04-a-real-model":         {"headview", "explorer"},
}

// showsView reports whether an executed figure cell of nb displays the interactive view kind
// (the figure's HTML, with its PNG beside it).
func showsView(nb notebook, kind string) bool {
	for _, c := range nb.Cells {
		if !c.hasTag("figure") {
			continue
		}
		for _, o := range c.Outputs {
			if strings.Contains(joined(o.Data["text/html"]), `data-kind="`+kind+`"`) && joined(o.Data["image/png"]) != "" {
				return true
			}
		}
	}
	return false
}

// modelAvailable reports whether lesson 4's model is where model.DefaultPath looks from notebooks/.
func modelAvailable(root string) bool {
	_, err := model.FindLessonModel()
	return err == nil
}

func checkFigure(t *testing.T, i int, c cell) {
	t.Helper()
	for _, o := range c.Outputs {
		if o.Type != "execute_result" && o.Type != "display_data" {
			continue
		}
		png := joined(o.Data["image/png"])
		html := joined(o.Data["text/html"])
		if png == "" || html == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(png, "\n", ""))
		if err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
			t.Errorf("cell %d: image/png is not a PNG (%v)", i, err)
		}
		return
	}
	kinds := []string{}
	for _, o := range c.Outputs {
		for k := range o.Data {
			kinds = append(kinds, o.Type+":"+k)
		}
	}
	t.Errorf("cell %d (tagged figure): want an output with image/png and text/html, got %v\ncode:\n%s", i, kinds, joined(c.Source))
}

func checkHandouts(t *testing.T, dir, stem string, src, student notebook) {
	t.Helper()
	answers := 0
	for _, c := range src.Cells {
		if c.hasTag("answer") {
			answers++
		}
	}
	// Text only one of the two sees: a line of each audience's own cells.
	only := map[string]string{}
	for who, nb := range map[string]notebook{"teacher": src, "student": student} {
		for _, c := range nb.Cells {
			if c.hasTag(who) {
				only[who] = joined(c.Source)[:40] // (plain words: markdown leaves them as they are)
			}
		}
	}
	for _, who := range []string{"teacher", "student"} {
		b, err := os.ReadFile(filepath.Join(dir, stem+"."+who+".html"))
		if err != nil {
			t.Errorf("handout: %v", err)
			continue
		}
		html := string(b)
		for _, bad := range []string{`src="http://`, `src="https://`, `src="file://`, `href="https://cdn`, `<link rel="stylesheet" href="http`} {
			if strings.Contains(html, bad) {
				t.Errorf("%s handout loads %s...: handouts must be self-contained and work offline", who, bad)
			}
		}
		if !strings.Contains(html, "data:image/png;base64,") {
			t.Errorf("%s handout has no embedded PNG", who)
		}
		got := strings.Count(html, "celltag_answer")
		if who == "student" && got != 0 {
			t.Errorf("student handout still has %d answer cells", got)
		}
		if who == "teacher" && answers > 0 && got == 0 {
			t.Errorf("teacher handout has none of the %d answer cells", answers)
		}
		for whose, line := range only {
			esc := strings.ReplaceAll(line, "'", "&#39;")
			has := strings.Contains(html, line) || strings.Contains(html, esc)
			if has != (whose == who) {
				t.Errorf("%s handout: has the %s's line %q = %v, want %v", who, whose, line, has, whose == who)
			}
		}
	}
}

// runCells executes cells (Go code) in a fresh kernel with nbconvert, errors allowed,
// and returns the executed notebook.
func runCells(t *testing.T, cells ...string) notebook {
	t.Helper()
	return runCellsEnv(t, nil, cells...)
}

// runCellsEnv is runCells with extra environment variables (NAME=value) for the kernel.
// Both skip the test where the kernel cannot run (see needKernel).
func runCellsEnv(t *testing.T, env []string, cells ...string) notebook {
	t.Helper()
	needKernel(t)
	dir := t.TempDir()
	var nbCells []map[string]any
	for _, c := range cells {
		nbCells = append(nbCells, map[string]any{
			"cell_type": "code", "execution_count": nil, "metadata": map[string]any{},
			"outputs": []any{}, "source": c,
		})
	}
	nb := map[string]any{
		"cells":          nbCells,
		"metadata":       map[string]any{"kernelspec": map[string]any{"name": kernelName, "display_name": "Go (attnviz)", "language": "go"}},
		"nbformat":       4,
		"nbformat_minor": 4,
	}
	b, _ := json.Marshal(nb)
	in := filepath.Join(dir, "t.ipynb")
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
		"--ExecutePreprocessor.kernel_name="+kernelName, "--ExecutePreprocessor.timeout=120",
		"--output", "out.ipynb", in)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert failed (did the kernel die?): %v\n%s", err, out)
	}
	return readNotebook(t, filepath.Join(dir, "out.ipynb"))
}

// TestKernelSurvivesRenderPanic: a value whose display method panics shows the panic as an
// error under its cell, and the kernel (with its variables) goes on with the next cell.
// Stock gophernotes dies there and nbconvert fails with a dead kernel.
func TestKernelSurvivesRenderPanic(t *testing.T) {
	nb := runCells(t,
		"x := 40",
		"type Bad struct{}\nfunc (b *Bad) PNG() []byte { panic(\"boom while drawing\") }\n&Bad{}",
		"x + 2",
	)
	var evalue string
	for _, o := range nb.Cells[1].Outputs {
		if o.Type == "error" {
			evalue = o.Evalue
		}
	}
	for _, want := range []string{"panicked: boom while drawing", "kernel is still running"} {
		if !strings.Contains(evalue, want) {
			t.Errorf("panicking cell: want an error containing %q, got %q", want, evalue)
		}
	}
	if got := strings.TrimSpace(nb.Cells[2].text()); got != "42" {
		t.Errorf("cell after the panic: want 42 (kernel alive, variables kept), got %q", got)
	}
}

// TestKernelDisplay checks what the patched kernel shows: a figure as its SimpleRender
// bundle only (PNG + HTML + text, no megabyte SVG), an error-carrying figure as a message
// rather than a crash, and a cell ending in fmt.Println as its printed text only.
func TestKernelDisplay(t *testing.T) {
	nb := runCells(t,
		"import (\n\t\"fmt\"\n\t\"github.com/attnviz/attnviz/tensor\"\n\t\"github.com/attnviz/attnviz/viz\"\n)",
		"viz.Heatmap(tensor.MustFromRows([][]float32{{0.9, 0.1}, {0.3, 0.7}}))",
		"viz.Heatmap(tensor.Zeros(2, 3, 4))",
		"fmt.Println(\"hello\")",
	)
	var kinds []string
	for _, o := range nb.Cells[1].Outputs {
		for k := range o.Data {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	if got := strings.Join(kinds, " "); got != "image/png text/html text/plain" {
		t.Errorf("figure cell: want exactly image/png text/html text/plain, got %q", got)
	}
	for _, o := range nb.Cells[2].Outputs {
		if o.Type == "error" {
			t.Errorf("bad input to a figure: want a figure carrying a message, got an error %s", o.Evalue)
		}
	}
	if txt := nb.Cells[2].text(); !strings.Contains(txt, "shape") {
		t.Errorf("bad input to a figure: want its message (about the shape) as text, got %q", txt)
	}
	if got := nb.Cells[3].text(); got != "hello\n" {
		t.Errorf("cell ending in fmt.Println: want just %q, got %q", "hello\n", got)
	}
}

// BenchmarkKernelColdStart measures, per iteration, a fresh kernel from launch to its first
// figure (kernel/coldstart.py: start, import tensor and viz, show a heatmap, wait for the
// image/png), and reports the seconds as s/first-figure. `make coldstart` prints the same.
func BenchmarkKernelColdStart(b *testing.B) {
	needKernel(b)
	var total float64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(python, "kernel/coldstart.py", "--runs", "1")
		cmd.Dir = repoRoot(b)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("kernel/coldstart.py: %v\n%s", err, out)
		}
		var r struct {
			Seconds float64 `json:"start_to_first_figure_s"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			b.Fatalf("kernel/coldstart.py printed %q: %v", out, err)
		}
		total += r.Seconds
	}
	b.ReportMetric(total/float64(b.N), "s/first-figure")
}

// TestHandoutPDF runs `make handouts`' PDF path (headless Chromium's print to PDF) on lesson 1.
func TestHandoutPDF(t *testing.T) {
	needKernel(t)
	browser := ""
	for _, b := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(b); err == nil {
			browser = b
		}
	}
	if browser == "" {
		t.Skip("no chromium: PDF handouts are skipped (apt-get install -y chromium)")
	}
	out := t.TempDir()
	cmd := exec.Command(python, "scripts/handouts.py", "--out", out, filepath.Join("notebooks", "01-attention-from-scratch.ipynb"))
	cmd.Dir = repoRoot(t)
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/handouts.py: %v\n%s", err, log)
	}
	for _, who := range []string{"teacher", "student"} {
		b, err := os.ReadFile(filepath.Join(out, "01-attention-from-scratch."+who+".pdf"))
		if err != nil {
			t.Errorf("%s PDF: %v", who, err)
			continue
		}
		if len(b) < 10000 || string(b[:5]) != "%PDF-" {
			t.Errorf("%s PDF: %d bytes starting %q, want a PDF with the figures", who, len(b), b[:min(len(b), 8)])
		}
	}
}
