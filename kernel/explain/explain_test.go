package explain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// fakeEnv is a notebook after
//
//	import ("fmt"; "github.com/attnviz/attnviz/tensor")
//	Q, K := tensor.RandN(1, 4, 8), tensor.RandN(2, 4, 8)
//	tokens := []string{"the", "cat", "sat"}
//	i := 7
//	m := map[string]int{}
type fakeEnv struct{}

var tensorType = Type{
	Name:    "*github.com/attnviz/attnviz/tensor.Tensor",
	Under:   "struct",
	Methods: []string{"Add", "AddScalar", "At", "Div", "Index", "Len", "MatMul", "Mul", "Rows", "Scale", "Shape", "Softmax", "Sub", "T"},
}

func (fakeEnv) Type(expr string) (Type, bool) {
	switch expr {
	case "Q", "K", "K.T()", "Q.MatMul(K.T())", "(*tensor.Tensor)(nil)":
		return tensorType, true
	case "tokens":
		return Type{Name: "[]string", Under: "slice"}, true
	case "m":
		return Type{Name: "map[string]int", Under: "map"}, true
	case "i", "2":
		return Type{Name: "int", Under: "int"}, true
	case "s":
		return Type{Name: "string", Under: "string"}, true
	}
	return Type{}, false
}

func (fakeEnv) Int(expr string) (int, bool) {
	switch expr {
	case "len(tokens)":
		return 3, true
	case "cap(tokens)":
		return 3, true
	case "len(s)":
		return 3, true
	case "i":
		return 7, true
	}
	n, err := strconv.Atoi(expr)
	return n, err == nil
}

func (fakeEnv) Names() []string {
	return []string{"K", "Q", "append", "fmt", "i", "len", "m", "tensor", "tokens"}
}

func (fakeEnv) Package(name string) ([]string, []string, bool) {
	switch name {
	case "tensor":
		return []string{"CausalMask", "FromRows", "New", "RandN", "Zeros"}, []string{"Tensor"}, true
	case "fmt":
		return []string{"Print", "Printf", "Println", "Sprint"}, []string{"Stringer"}, true
	}
	return nil, nil, false
}

func (fakeEnv) Importable() []string {
	return []string{"fmt", "github.com/attnviz/attnviz/model", "github.com/attnviz/attnviz/tensor", "github.com/attnviz/attnviz/viz", "math", "strings"}
}

// parse parses a cell of statements the way gomacro gives them (an expression statement as its expression).
func parse(t *testing.T, src string) []ast.Node {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {\n"+src+"\n}", 0)
	if err != nil {
		return nil
	}
	var nodes []ast.Node
	for _, s := range f.Decls[0].(*ast.FuncDecl).Body.List {
		if e, ok := s.(*ast.ExprStmt); ok {
			nodes = append(nodes, e.X)
		} else {
			nodes = append(nodes, s)
		}
	}
	return nodes
}

// The interpreter's messages below are what gomacro (the version kernel/build.sh pins) said
// for each cell in the real kernel.
var cases = []struct{ src, err, want string }{
	{"Q.Matmul(K.T())", `repl.go:1:1: not a package: "Q" in Q.Matmul <*ast.SelectorExpr>`,
		"Q has no method Matmul; did you mean MatMul?"},
	{"Q.shape()", `repl.go:1:1: not a package: "Q" in Q.shape <*ast.SelectorExpr>`,
		"Q has no method shape; did you mean Shape?"},
	{"Q.MatMul(K.T()).softmax(-1)", `repl.go:1:1: invalid qualified type, expecting packagename.identifier, found: Q.MatMul(K.T()).softmax <*ast.SelectorExpr>`,
		"Q.MatMul(K.T()) has no method softmax; did you mean Softmax?"},
	{"Q.shape", `repl.go:1:1: type *github.com/attnviz/attnviz/tensor.Tensor has no field or method "shape": Q.shape`,
		"Q has no field or method shape; did you mean Shape()? (Shape is a method)"},
	{"Q.Frobnicate()", `repl.go:1:1: not a package: "Q" in Q.Frobnicate <*ast.SelectorExpr>`,
		"Q has no method Frobnicate (Q is a *tensor.Tensor; its methods are Add, AddScalar, At, Div, Index, Len, MatMul, Mul, Rows, Scale, Shape, Softmax, Sub, T)"},
	{"tokens.len()", `repl.go:1:1: not a package: "tokens" in tokens.len <*ast.SelectorExpr>`,
		"tokens has no method len: tokens is a []string, which has no methods; its length is len(tokens)"},
	{"m.Foo", `repl.go:1:1: type map[string]int has no field or method "Foo": m.Foo`,
		"m has no field or method Foo: m is a map[string]int, which has no methods or fields"},
	{"tensor.Randn(1, 4, 8)", `repl.go:1:1: package tensor "github.com/attnviz/attnviz/tensor" has no symbol Randn`,
		"tensor has no Randn; did you mean tensor.RandN?"},
	{"fmt.Printn(1)", `repl.go:1:1: not a type: fmt.Printn <*ast.SelectorExpr>`,
		"fmt has no Printn; did you mean fmt.Println?"},
	{"tensor.Softmax(Q, -1)", `repl.go:1:1: package tensor "github.com/attnviz/attnviz/tensor" has no symbol Softmax`,
		"tensor has no Softmax: Softmax is a method of *tensor.Tensor, called on a value: Q.Softmax(...)"},
	{"tokenz", `repl.go:1:1: undefined identifier: tokenz`, "undefined: tokenz; did you mean tokens?"},
	{"softmax(Q)", `repl.go:1:1: undefined identifier: softmax`,
		"undefined: softmax: Softmax is a method of Q's type (*tensor.Tensor): Q.Softmax(...)"},
	{"y = 3", `repl.go:1:1: undefined identifier: y`,
		"y is not declared yet: write y := 3 (:= declares a new variable, = assigns to one that exists)"},
	{"viz.Heatmap(Q)", `repl.go:1:1: undefined "viz" in viz.Heatmap <*ast.SelectorExpr>`,
		`viz is not imported: run import "github.com/attnviz/attnviz/viz" (or add it to the import cell at the top)`},
	{"zzz", `repl.go:1:1: undefined identifier: zzz`,
		"undefined: zzz: nothing of that name is defined; if a cell above defines it, run that cell first (after a kernel restart, run the cells from the top)"},
	{"tokens[10]", "reflect: slice index out of range",
		"index 10 is out of range: tokens has 3 elements, so its indices run from 0 to 2"},
	{"tokens[-1]", "reflect: slice index out of range",
		"index -1 is out of range: tokens has 3 elements, so its indices run from 0 to 2; Go has no negative indices: the last one is tokens[len(tokens)-1]"},
	{"tokens[i]", "reflect: slice index out of range",
		"index i = 7 is out of range: tokens has 3 elements, so its indices run from 0 to 2"},
	{"for j := 0; j < 10; j++ {\n\tfmt.Println(tokens[j])\n}", "reflect: slice index out of range",
		"an index is out of range in tokens[j]: tokens has 3 elements, so its indices run from 0 to 2; check the loop's bound (j < len(tokens))"},
	{"s[5]", "runtime error: index out of range [5] with length 3",
		"index 5 is out of range: s has 3 bytes, so its indices run from 0 to 2"},
	{"tokens[1:5]", "reflect.Value.Slice: slice index out of bounds",
		"slice bounds out of range: tokens[1:5] asks for up to 5, but tokens has 3 elements (capacity 3)"},
	{"Q.MatMul(K.T(), 3)", "repl.go:1:17: too many arguments in call to Q.MatMul:\n\thave (*github.com/attnviz/attnviz/tensor.Tensor, untyped.Lit)\n\twant (*github.com/attnviz/attnviz/tensor.Tensor)",
		"too many arguments: Q.MatMul takes 1 argument (*tensor.Tensor), the call gives 2 (*tensor.Tensor, untyped constant)"},
	{"Q.MatMul(K.T()).Softmax()", "repl.go:1:10: not enough arguments in call to Q.MatMul(K.T()).Softmax:\n\thave ()\n\twant (int)",
		"not enough arguments: Q.MatMul(K.T()).Softmax takes 1 argument (int), the call gives none"},
	{"Q + K", "repl.go:1:5: invalid binary operation + between <*github.com/attnviz/attnviz/tensor.Tensor> and <*github.com/attnviz/attnviz/tensor.Tensor>: Q + K",
		"Go has no + operator for *tensor.Tensor: write Q.Add(K)"},
	{"Q * 2", "cannot convert untyped constant {int 2} to <*github.com/attnviz/attnviz/tensor.Tensor>",
		"Go has no * operator for *tensor.Tensor: write Q.Scale(2)"},
	{"Q = 3", "repl.go:1:1: error compiling assignment: Q = 3\n\tcannot convert untyped constant {int 3} to <*github.com/attnviz/attnviz/tensor.Tensor>",
		"cannot assign 3 to Q: Q is a *tensor.Tensor"},
	{"Q[0]", "repl.go:1:3: invalid operation: Q[0] (type *github.com/attnviz/attnviz/tensor.Tensor does not support indexing)",
		"Q is a *tensor.Tensor, which Go cannot index with [ ]: Q.Index(0) is the sub-tensor at 0 (a view), Q.At(i, j) one number, Q.Rows() the values as [][]float32"},
	{"len(Q)", "repl.go:1:5: cannot use Q <*github.com/attnviz/attnviz/tensor.Tensor> as array, channel, map, slice, string, pointer to array in builtin len()",
		"len(Q): a *tensor.Tensor is not a slice, string, map or channel: Q.Shape() gives its size along each dimension, Q.Len() its number of elements"},
	{"tensor.New([]float64{1, 2}, 2)", "repl.go:1:28: cannot use <[]float64> as <[]float32> in argument to tensor.New",
		"cannot use a []float64 as a []float32 in argument to tensor.New: the tensors hold float32; write []float32{...}"},
	{"Q.Scale(d)", "repl.go:1:9: cannot use <float64> as <float32> in argument to Q.Scale",
		"cannot use a float64 as a float32 in argument to Q.Scale: convert it, float32(x)"},
	{"tensor.RandN(\"a\", 4)", `cannot convert untyped constant {string "a"} to <int64>`,
		`cannot use "a" (a string constant) as an int64 in argument to tensor.RandN`},
	{"var f float32 = 1.5\nvar d float64 = f", "repl.go:2:5: incompatible types in assignment: float64 = float32",
		"line 2: cannot assign a float32 to a variable of type float64: convert it, float64(x)"},
	{"i()", "repl.go:1:1: call of non-function: i <int>", "i is an int, not a function: it cannot be called with ( )"},
	{`import "viz"`, `repl.go:1:8: error importing packages map[viz:]: error loading packages [viz] metadata: error executing "/usr/local/go/bin/go get viz" in directory "/root/go/src/gomacro.imports/gomacro_pid_1/import_1": exit status 1`,
		`the kernel cannot import "viz": it is not compiled in, and it could not be downloaded and built; did you mean "github.com/attnviz/attnviz/viz"?`},
	{"for i in range(3):\n\tprint(i)", "repl.go:1:7: expected '{', found 'IDENT' in (and 1 more errors)",
		"line 1: for … in … is Python; Go loops are for i := 0; i < n; i++ { … } or for i, x := range xs { … }"},
	{"x := [1, 2, 3]", "repl.go:1:8: expected ']', found ','",
		"Go writes a slice with its type: []float32{1, 2, 3} (or []int{…}, []string{…})"},
	{"Q.MatMul(K.T()", "repl.go:1:15: missing ',' before newline in argument list",
		"a ( is not closed: add the missing )"},
	{"a := Q @ K", "repl.go:1:8: illegal character U+0040 '@'", "a @ b is PyTorch's matrix product; here write a.MatMul(b)"},
	// Not recognised: only tidied.
	{"1/0", "runtime error: integer divide by zero", "runtime error: integer divide by zero"},
	{`panic("a <b> github.com/x/y.Z")`, "a <b> github.com/x/y.Z", "a <b> github.com/x/y.Z"}, // a panic's own words stay
	{"x := 1\nx.y.z", "repl.go:2:3: something new <*ast.SelectorExpr> about <*github.com/attnviz/attnviz/tensor.Tensor>",
		"line 2: something new about *tensor.Tensor"},
}

func TestRewrite(t *testing.T) {
	for _, c := range cases {
		got := Rewrite(c.src, parse(t, c.src), c.err, fakeEnv{})
		if got != c.want {
			t.Errorf("cell %q, error %q:\n got %s\nwant %s", c.src, c.err, got, c.want)
		}
	}
}

func TestMethodValue(t *testing.T) {
	got, ok := MethodValue(parse(t, "Q.Shape")[0], fakeEnv{})
	if want := "Q.Shape is a method, and a cell shows what a call returns: call it, Q.Shape()"; !ok || got != want {
		t.Errorf("Q.Shape: got %q, %v; want %q", got, ok, want)
	}
	if _, ok := MethodValue(parse(t, "tokens")[0], fakeEnv{}); ok {
		t.Errorf("tokens is not a method value")
	}
}

func TestClosest(t *testing.T) {
	for _, c := range []struct {
		name  string
		cands []string
		want  string
	}{
		{"Matmul", []string{"MatMul", "Mul", "Max"}, "MatMul"},
		{"Printn", []string{"Print", "Println", "Printf"}, "Println"},
		{"tokenz", []string{"tokens", "toks"}, "tokens"},
		{"softmax", []string{"Softmax", "SoftmaxTemp"}, "Softmax"},
		{"xyz", []string{"Shape", "MatMul"}, ""},
		{"T", []string{"t", "To"}, "t"},
	} {
		got, _ := closest(c.name, c.cands)
		if got != c.want {
			t.Errorf("closest(%q, %v) = %q, want %q", c.name, c.cands, got, c.want)
		}
	}
}

// A rule must never panic, whatever the interpreter says and whatever the cell holds.
func TestRewriteNoPanic(t *testing.T) {
	srcs := []string{"", "Q.", "tokens[", "for {", "x := [", "Q.Matmul(", "ü"}
	for _, c := range cases {
		for _, src := range append(srcs, c.src) {
			_ = Rewrite(src, parse(t, src), c.err, fakeEnv{})
			_ = Rewrite(src, nil, c.err, fakeEnv{})
			_ = Rewrite(src, nil, strings.ToUpper(c.err), fakeEnv{})
		}
	}
}
