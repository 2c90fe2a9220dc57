package notebooks

import (
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
)

var updateMessages = flag.Bool("update", false, "rewrite docs/kernel-messages.md from what the kernel says")

// A Go mistake a student or a PyTorch user makes in a cell, and what the
// rewritten message must say.
type mistake struct {
	what, cell, want string
}

// The cells run, in this order, in one notebook after kernelMessagesSetup.
var kernelMessagesSetup = []string{
	"import (\n\t\"fmt\"\n\t\"github.com/attnviz/attnviz/tensor\"\n)",
	"Q := tensor.RandN(1, 4, 8)\nK := tensor.RandN(2, 4, 8)\ntokens := []string{\"the\", \"cat\", \"sat\"}",
}

var mistakes = []mistake{
	{"a method with the wrong case", "Q.Matmul(K.T())", "Q has no method Matmul; did you mean MatMul?"},
	{"a method in lower case, as in PyTorch", "Q.shape()", "did you mean Shape?"},
	{"a method of a result", "Q.MatMul(K.T()).softmax(-1)", "did you mean Softmax?"},
	{"a method that does not exist", "type Dog struct{ Name string }\nfunc (d Dog) Bark() string { return \"woof\" }\nDog{}.Fly()", "its methods are Bark; its fields are Name"},
	{"a method not called", "Q.Shape", "call it, Q.Shape()"},
	{"a length asked of a slice as a method", "tokens.len()", "len(tokens)"},
	{"a misspelt function of a package", "tensor.Randn(1, 4, 8)", "did you mean tensor.RandN?"},
	{"a misspelt fmt function", "fmt.Printn(\"hello\")", "did you mean fmt.Println?"},
	{"a method called as a function of the package", "tensor.Softmax(Q, -1)", "Q.Softmax(...)"},
	{"a misspelt variable", "tokenz", "did you mean tokens?"},
	{"a PyTorch function", "softmax(Q)", "Q.Softmax(...)"},
	{"a name no cell defined (or a cell not run)", "fmt.Println(weights)", "run that cell first"},
	{"= for a new variable", "y = 3", "write y := 3"},
	{"a package not imported", "viz.Heatmap(Q)", `import "github.com/attnviz/attnviz/viz"`},
	{"a package imported by its short name", `import "viz"`, `did you mean "github.com/attnviz/attnviz/viz"?`},
	{"an index past the end", "tokens[10]", "index 10 is out of range: tokens has 3 elements"},
	{"a negative index, as in Python", "tokens[-1]", "tokens[len(tokens)-1]"},
	{"an index in a variable", "i := 7\ntokens[i]", "index i = 7 is out of range: tokens has 3 elements"},
	{"a loop past the end", "for i := 0; i < 10; i++ {\n\tfmt.Println(tokens[i])\n}", "check the loop's bound (i < len(tokens))"},
	{"a slice past the end", "tokens[1:5]", "tokens has 3 elements"},
	{"an index past the end of a string", "s := \"abc\"\ns[5]", "s has 3 bytes"},
	{"too many arguments", "Q.MatMul(K.T(), 3)", "Q.MatMul takes 1 argument"},
	{"too few arguments", "Q.MatMul(K.T()).Softmax()", "takes 1 argument (int), the call gives none"},
	{"a string for a number", "tensor.RandN(\"a\", 4)", "in argument to tensor.RandN"},
	{"a float64 for a float32", "var d float64 = 0.5\nQ.Scale(d)", "float32(x)"},
	{"a []float64 for a []float32", "tensor.New([]float64{1, 2}, 2)", "[]float32{...}"},
	{"+ between tensors, as in PyTorch", "Q + K", "Q.Add(K)"},
	{"* between a tensor and a number", "Q * 2", "Q.Scale(2)"},
	{"@ for the matrix product, as in PyTorch", "S := Q @ K.T()", "a.MatMul(b)"},
	{"[ ] on a tensor, as in PyTorch", "Q[0]", "Q.Index(0)"},
	{"len of a tensor", "len(Q)", "Q.Shape()"},
	{"a number assigned to a tensor", "Q = 3", "Q is a *tensor.Tensor"},
	{"calling a number", "n := 3\nn()", "n is an int, not a function"},
	{"a Python for loop", "for t in tokens:\n\tprint(t)", "for i, x := range xs"},
	{"a Python list", "x := [1, 2, 3]", "[]float32{1, 2, 3}"},
	{"an unclosed parenthesis", "Q.MatMul(K.T()", "add the missing )"},
	{"an unused variable (Go would refuse it)", "unused := 5", ""},
	{"an unused import (Go would refuse it)", "import \"os\"", ""},
	{"shapes that do not fit (the library's own message)", "Q.MatMul(K)", "did you mean k.T()?"},
}

// TestKernelMessages runs every mistake in the real kernel twice — with gomacro's own
// messages (ATTNVIZ_RAW_ERRORS=1) and with the kernel's rewritten ones — checks what
// each rewritten message must say, and compares the whole table with
// docs/kernel-messages.md (go test ./notebooks -run TestKernelMessages -update rewrites it).
func TestKernelMessages(t *testing.T) {
	needKernel(t)
	cells := append(append([]string(nil), kernelMessagesSetup...), mistakeCells()...)
	before := runCellsEnv(t, []string{"ATTNVIZ_RAW_ERRORS=1"}, cells...)
	after := runCellsEnv(t, []string{"ATTNVIZ_RAW_ERRORS="}, cells...)
	n := len(kernelMessagesSetup)
	for i := 0; i < n; i++ {
		if msg := cellMessage(after.Cells[i]); msg != "" {
			t.Fatalf("setup cell %d: %s", i, msg)
		}
	}
	rows := make([][2]string, len(mistakes))
	for i, m := range mistakes {
		b, a := cellMessage(before.Cells[n+i]), cellMessage(after.Cells[n+i])
		rows[i] = [2]string{b, a}
		if m.want == "" {
			if a != "" {
				t.Errorf("%s (%q): want no message, got %q", m.what, m.cell, a)
			}
			continue
		}
		if !strings.Contains(a, m.want) {
			t.Errorf("%s (%q):\n got %q\nwant it to contain %q", m.what, m.cell, a, m.want)
		}
		for _, bad := range []string{"repl.go", "<*ast.", "reflect:", "github.com/attnviz/attnviz/tensor.", "not a package"} {
			if strings.Contains(a, bad) {
				t.Errorf("%s (%q): the message still holds the interpreter's %q: %q", m.what, m.cell, bad, a)
			}
		}
	}
	testutil.Golden(t, filepath.Join(repoRoot(t), "docs", "kernel-messages.md"), kernelMessagesTable(rows), *updateMessages,
		"go test ./notebooks -run TestKernelMessages -update")
}

func mistakeCells() []string {
	out := make([]string, len(mistakes))
	for i, m := range mistakes {
		out[i] = m.cell
	}
	return out
}

// cellMessage is what a failing cell says (its error), or the text of its value, with
// what changes from run to run or machine to machine (addresses, process ids, paths) masked.
func cellMessage(c cell) string {
	for _, o := range c.Outputs {
		if o.Type == "error" {
			return mask(o.Evalue)
		}
	}
	for _, o := range c.Outputs {
		if o.Data != nil {
			return mask(joined(o.Data["text/plain"]))
		}
	}
	return ""
}

var (
	maskAddr  = regexp.MustCompile(`\b0x[0-9a-f]+\b`)
	maskGoGet = regexp.MustCompile(`executing "[^"]*go get (\S+)" in directory "[^"]*"`)
)

func mask(s string) string {
	s = maskAddr.ReplaceAllString(s, "0x…")
	s = maskGoGet.ReplaceAllString(s, `executing "go get $1" in directory "…"`)
	return strings.TrimSpace(s)
}

func kernelMessagesTable(rows [][2]string) string {
	var b strings.Builder
	b.WriteString(`# What the kernel says about common Go mistakes

Generated by ` + "`go test ./notebooks -run TestKernelMessages -update`" + ` (notebooks/kernel_messages_test.go),
which runs every cell below in the real attnviz kernel after

` + "```go\n" + strings.Join(kernelMessagesSetup, "\n") + "\n```" + `

and checks this page against what the kernel says. *Before* is the interpreter's own message
(gomacro; the kernel gives it with ` + "`ATTNVIZ_RAW_ERRORS=1`" + ` in its environment), *after* is the
attnviz kernel's (kernel/explain, applied by kernel/patches/0005-explain-errors.patch).
A message no rule recognises is shown with package paths shortened and the interpreter's
decorations dropped. An empty cell means the kernel says nothing.

| # | mistake | cell | before | after |
|---|---|---|---|---|
`)
	for i, m := range mistakes {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", i+1, m.what, mdCode(m.cell), mdCode(rows[i][0]), mdCode(rows[i][1]))
	}
	return b.String()
}

// mdCode writes s as inline code in a table cell: newlines as ⏎, pipes escaped.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\t", " ")
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	s = strings.ReplaceAll(s, "|", `\|`)
	fence := "`"
	if strings.Contains(s, "`") {
		fence = "``"
	}
	return fence + " " + s + " " + fence
}
