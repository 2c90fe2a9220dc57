// Package explain rewrites the Go interpreter's error messages into ones a
// student can act on. The attnviz kernel (gophernotes with our patches,
// kernel/patches/0005-explain-errors.patch) calls Rewrite when a cell fails:
//
//	not a package: "Q" in Q.Matmul <*ast.SelectorExpr>
//	  → Q has no method Matmul; did you mean MatMul?
//	reflect: slice index out of range
//	  → index 10 is out of range: tokens has 3 elements, indices 0 to 2
//	undefined identifier: tokenz
//	  → undefined: tokenz; did you mean tokens?
//
// The interpreter (gomacro) is reached only through the Env interface, so
// the rules are plain Go, tested here without a kernel; notebooks/ runs every
// mistake of docs/kernel-messages.md in the real kernel and checks the table.
//
// A compile error the rules do not recognise is only tidied (package paths
// shortened, gomacro's <...> and <*ast.SelectorExpr> decorations dropped,
// "repl.go:2:5:" turned into "line 2:"); it is never hidden. A run-time
// error or panic no rule recognises is left exactly as it was.
package explain

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Env answers what the rules need to know about the notebook's state.
// Implementations must not panic and must not run code with side effects:
// Int is only asked for expressions made of names, literals, field
// selections, index expressions, arithmetic and len/cap (see pure).
type Env interface {
	// Type compiles expr (without running it) and describes its static type.
	Type(expr string) (Type, bool)
	// Int evaluates a side-effect-free integer expression.
	Int(expr string) (int, bool)
	// Names lists the names visible at the top level of the notebook:
	// variables, constants, functions, types, imported packages, builtins.
	Names() []string
	// Package lists the exported names of the package imported as name:
	// its functions, variables and constants, and its types.
	Package(name string) (values, types []string, ok bool)
	// Importable lists the import paths the kernel has compiled in.
	Importable() []string
}

// Type describes a static type.
type Type struct {
	Name    string   // as Go prints it, e.g. "*github.com/attnviz/attnviz/tensor.Tensor"
	Under   string   // kind after one pointer: "slice", "array", "string", "map", "struct", "int", ...
	Methods []string // methods of the type and of its pointer
	Fields  []string // fields, for a struct or a pointer to one
}

// Rewrite returns a clearer message for err, the error the interpreter gave
// for the cell src (parsed into nodes; nil when src does not parse).
func Rewrite(src string, nodes []ast.Node, err string, env Env) string {
	c := &cell{src: src, nodes: nodes, env: env, multiline: strings.Contains(strings.TrimSpace(src), "\n")}
	c.raw = err
	c.line, c.msg = splitPosition(err)
	for _, rule := range rules {
		if out, ok := rule(c); ok {
			return c.where() + tidy(out)
		}
	}
	if c.line == 0 {
		return err // a run-time error or a panic: the program's own words, untouched
	}
	return c.where() + tidy(c.msg)
}

// MethodValue returns a message when a cell ends in x.M, a method that was
// not called (its value prints as an address): "Q.Shape is a method: call
// it, Q.Shape()". ok is false when expr is not such a selector.
func MethodValue(expr ast.Node, env Env) (string, bool) {
	sel, ok := expr.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	x := types.ExprString(sel.X)
	t, ok := env.Type(x)
	if !ok || !contains(t.Methods, sel.Sel.Name) {
		return "", false
	}
	s := x + "." + sel.Sel.Name
	return fmt.Sprintf("%s is a method, and a cell shows what a call returns: call it, %s()", s, s), true
}

type cell struct {
	src       string
	nodes     []ast.Node
	env       Env
	raw, msg  string
	line      int // 0 when the message has no position
	multiline bool
}

// where is "line N: " for a cell of several lines.
func (c *cell) where() string {
	if c.line > 0 && c.multiline {
		return "line " + strconv.Itoa(c.line) + ": "
	}
	return ""
}

var posRE = regexp.MustCompile(`^repl\.go:(\d+):\d+: `)

func splitPosition(err string) (int, string) {
	if m := posRE.FindStringSubmatch(err); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, err[len(m[0]):]
	}
	return 0, err
}

type rule func(c *cell) (string, bool)

var rules = []rule{
	unknownImport,
	pythonSyntax,
	missingMember,
	missingPackageSymbol,
	undefinedName,
	indexOutOfRange,
	argumentCount,
	operatorOnValues,
	indexingNonSlice,
	lenOfNonSlice,
	typeMismatch,
	callNonFunction,
}

// ---- x.M where x has no M --------------------------------------------------------------------

var (
	notAPackageRE  = regexp.MustCompile(`^not a package: "(\w+)" in (.+)\.(\w+) <\*ast\.SelectorExpr>$`)
	qualifiedRE    = regexp.MustCompile(`^invalid qualified type, expecting packagename\.identifier, found: (.+)\.(\w+) <\*ast\.SelectorExpr>$`)
	noFieldRE      = regexp.MustCompile(`^type .+ has no field or method "(\w+)": (.+)\.\w+$`)
	typeNoMethodRE = regexp.MustCompile(`^type <.+> has no method "(\w+)": (.+)\.\w+$`)
)

// msgPattern is an interpreter message and which of its groups hold the
// two names a rewrite needs.
type msgPattern struct {
	re   *regexp.Regexp
	a, b int
}

// matchPair gives the two names of the first pattern msg matches.
func matchPair(msg string, ps ...msgPattern) (a, b string, ok bool) {
	for _, p := range ps {
		if m := p.re.FindStringSubmatch(msg); m != nil {
			return m[p.a], m[p.b], true
		}
	}
	return "", "", false
}

func missingMember(c *cell) (string, bool) {
	x, sel, ok := matchPair(c.msg, msgPattern{notAPackageRE, 2, 3}, msgPattern{qualifiedRE, 1, 2},
		msgPattern{noFieldRE, 2, 1}, msgPattern{typeNoMethodRE, 2, 1})
	if !ok {
		return "", false
	}
	t, ok := c.env.Type(x)
	if !ok {
		if isIdent(x) {
			return undefined(c, x)
		}
		return "", false
	}
	if contains(t.Methods, sel) || contains(t.Fields, sel) {
		return "", false // something else is wrong; keep the interpreter's words
	}
	called := c.isCalled(x, sel)
	what := "field or method"
	if called {
		what = "method"
	}
	head := fmt.Sprintf("%s has no %s %s", x, what, sel)
	// Python and PyTorch habits on slices, strings and maps: tokens.len(), xs.append(v).
	switch t.Under {
	case "slice", "array", "string", "map":
		switch strings.ToLower(sel) {
		case "len", "length", "size", "count", "shape":
			return fmt.Sprintf("%s: %s is %s, which has no methods; its length is len(%s)", head, x, article(shortType(t.Name)), x), true
		case "append", "push", "add":
			if t.Under == "slice" {
				return fmt.Sprintf("%s: %s is %s, which has no methods; append with %s = append(%s, value)", head, x, article(shortType(t.Name)), x, x), true
			}
		}
	}
	members := append(append([]string(nil), t.Methods...), t.Fields...)
	if s, ok := closest(sel, members); ok {
		if contains(t.Methods, s) && !called {
			return fmt.Sprintf("%s; did you mean %s()? (%s is a method)", head, s, s), true
		}
		return fmt.Sprintf("%s; did you mean %s?", head, s), true
	}
	if len(members) == 0 {
		return fmt.Sprintf("%s: %s is %s, which has no methods or fields", head, x, article(shortType(t.Name))), true
	}
	return fmt.Sprintf("%s (%s is %s; %s)", head, x, article(shortType(t.Name)), memberList(t)), true
}

// isCalled reports whether x.sel( appears in the cell.
func (c *cell) isCalled(x, sel string) bool {
	called := false
	c.inspect(func(n ast.Node) {
		if call, ok := n.(*ast.CallExpr); ok {
			if s, ok := call.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == sel && types.ExprString(s.X) == x {
				called = true
			}
		}
	})
	if c.nodes == nil {
		called = regexp.MustCompile(regexp.QuoteMeta(x+"."+sel) + `\s*\(`).MatchString(c.src)
	}
	return called
}

func memberList(t Type) string {
	var parts []string
	if len(t.Methods) > 0 {
		parts = append(parts, "its methods are "+listNames(t.Methods, 16))
	}
	if len(t.Fields) > 0 {
		parts = append(parts, "its fields are "+listNames(t.Fields, 16))
	}
	return strings.Join(parts, "; ")
}

func listNames(names []string, max int) string {
	s := append([]string(nil), names...)
	sort.Strings(s)
	if len(s) > max {
		return strings.Join(s[:max], ", ") + fmt.Sprintf(", … (%d in all)", len(s))
	}
	return strings.Join(s, ", ")
}

// ---- pkg.Name where pkg has no Name ----------------------------------------------------------

var (
	noSymbolRE = regexp.MustCompile(`^package (\w+) "[^"]*" has no symbol (\w+)$`)
	notATypeRE = regexp.MustCompile(`^not a type: (\w+)\.(\w+) <\*ast\.SelectorExpr>$`)
)

func missingPackageSymbol(c *cell) (string, bool) {
	pkg, sym, ok := matchPair(c.msg, msgPattern{noSymbolRE, 1, 2}, msgPattern{notATypeRE, 1, 2})
	if !ok {
		return "", false
	}
	values, typeNames, ok := c.env.Package(pkg)
	if !ok {
		return "", false
	}
	head := fmt.Sprintf("%s has no %s", pkg, sym)
	if s, ok := closest(sym, append(append([]string(nil), values...), typeNames...)); ok {
		return fmt.Sprintf("%s; did you mean %s.%s?", head, pkg, s), true
	}
	// tensor.Softmax(x): a method of one of the package's types.
	for _, tn := range typeNames {
		t, ok := c.env.Type("(*" + pkg + "." + tn + ")(nil)")
		if !ok {
			continue
		}
		if m, ok := closest(sym, t.Methods); ok {
			recv := "x"
			if arg := c.firstArgOf(pkg, sym); arg != "" {
				recv = arg
			}
			return fmt.Sprintf("%s: %s is a method of *%s.%s, called on a value: %s.%s(...)", head, m, pkg, tn, recv, m), true
		}
	}
	return head, true
}

// firstArgOf returns the first argument's source in a call pkg.sym(arg, ...).
func (c *cell) firstArgOf(pkg, sym string) string {
	arg := ""
	c.inspect(func(n ast.Node) {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 || arg != "" {
			return
		}
		if s, ok := call.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == sym && types.ExprString(s.X) == pkg {
			arg = types.ExprString(call.Args[0])
		}
	})
	return arg
}

// ---- undefined names -------------------------------------------------------------------------

var (
	undefinedRE    = regexp.MustCompile(`^undefined identifier: (\w+)$`)
	undefinedSelRE = regexp.MustCompile(`^undefined "(\w+)" in .+ <\*ast\.SelectorExpr>$`)
)

func undefinedName(c *cell) (string, bool) {
	if m := undefinedRE.FindStringSubmatch(c.msg); m != nil {
		return undefined(c, m[1])
	}
	if m := undefinedSelRE.FindStringSubmatch(c.msg); m != nil {
		return undefined(c, m[1])
	}
	return "", false
}

func undefined(c *cell, name string) (string, bool) {
	// A package that is not imported: viz.Heatmap(...) without import "…/viz".
	if paths := c.importPaths(name); len(paths) > 0 && c.usedAsPackage(name) {
		imp := make([]string, len(paths))
		for i, p := range paths {
			imp[i] = strconv.Quote(p)
		}
		return fmt.Sprintf("%s is not imported: run import %s (or add it to the import cell at the top)", name, strings.Join(imp, " or import ")), true
	}
	// y = 3 where y was never declared.
	if stmt := c.assignTo(name); stmt != "" {
		return fmt.Sprintf("%s is not declared yet: write %s (:= declares a new variable, = assigns to one that exists)", name, stmt), true
	}
	head := "undefined: " + name
	var cands []string
	cands = append(cands, c.env.Names()...)
	if s, ok := closest(name, cands); ok {
		return fmt.Sprintf("%s; did you mean %s?", head, s), true
	}
	// softmax(Q): a method of the argument's type, or a function of an imported package.
	if recv := c.firstArgOfCall(name); recv != "" {
		if t, ok := c.env.Type(recv); ok {
			if m, ok := closest(name, t.Methods); ok {
				return fmt.Sprintf("%s: %s is a method of %s's type (%s): %s.%s(...)", head, m, recv, shortType(t.Name), recv, m), true
			}
		}
	}
	var qualified []string
	for _, n := range c.env.Names() {
		if values, typeNames, ok := c.env.Package(n); ok {
			for _, v := range append(values, typeNames...) {
				qualified = append(qualified, n+"."+v)
			}
		}
	}
	if s, ok := closestQualified(name, qualified); ok {
		return fmt.Sprintf("%s; did you mean %s?", head, s), true
	}
	return head + ": nothing of that name is defined; if a cell above defines it, run that cell first (after a kernel restart, run the cells from the top)", true
}

// importPaths returns the compiled-in packages whose last path element is name.
func (c *cell) importPaths(name string) []string {
	var out []string
	for _, p := range c.env.Importable() {
		if p == name || strings.HasSuffix(p, "/"+name) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { // attnviz's own packages first, then the shortest path
		ai, aj := strings.Contains(out[i], "attnviz"), strings.Contains(out[j], "attnviz")
		if ai != aj {
			return ai
		}
		if len(out[i]) != len(out[j]) {
			return len(out[i]) < len(out[j])
		}
		return out[i] < out[j]
	})
	if len(out) > 2 {
		out = out[:2]
	}
	return out
}

// usedAsPackage reports whether the cell uses name as name.X.
func (c *cell) usedAsPackage(name string) bool {
	if c.nodes == nil {
		return regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\.\w`).MatchString(c.src)
	}
	used := false
	c.inspect(func(n ast.Node) {
		if s, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := s.X.(*ast.Ident); ok && id.Name == name {
				used = true
			}
		}
	})
	return used
}

// assignTo returns "y := 3" when the cell holds the statement y = 3.
func (c *cell) assignTo(name string) string {
	out := ""
	c.inspect(func(n ast.Node) {
		a, ok := n.(*ast.AssignStmt)
		if !ok || a.Tok != token.ASSIGN || out != "" {
			return
		}
		for _, l := range a.Lhs {
			if id, ok := l.(*ast.Ident); ok && id.Name == name {
				lhs := make([]string, len(a.Lhs))
				for i, e := range a.Lhs {
					lhs[i] = types.ExprString(e)
				}
				rhs := make([]string, len(a.Rhs))
				for i, e := range a.Rhs {
					rhs[i] = types.ExprString(e)
				}
				out = strings.Join(lhs, ", ") + " := " + strings.Join(rhs, ", ")
			}
		}
	})
	return out
}

// firstArgOfCall returns the first argument's source in a call name(arg, ...).
func (c *cell) firstArgOfCall(name string) string {
	arg := ""
	c.inspect(func(n ast.Node) {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 || arg != "" {
			return
		}
		if id, ok := call.Fun.(*ast.Ident); ok && id.Name == name {
			arg = types.ExprString(call.Args[0])
		}
	})
	return arg
}

// ---- index out of range ----------------------------------------------------------------------

var (
	reflectIndexRE = regexp.MustCompile(`^reflect: (slice|array|string) index out of range$`)
	runtimeIndexRE = regexp.MustCompile(`^runtime error: index out of range \[(-?\d+)\] with length (\d+)$`)
	sliceBoundsRE  = regexp.MustCompile(`^(reflect\.Value\.Slice: slice index out of bounds|runtime error: slice bounds out of range.*)$`)
)

func indexOutOfRange(c *cell) (string, bool) {
	wantIdx, wantLen := -1<<62, -1
	switch {
	case reflectIndexRE.MatchString(c.msg):
	case runtimeIndexRE.MatchString(c.msg):
		m := runtimeIndexRE.FindStringSubmatch(c.msg)
		wantIdx, _ = strconv.Atoi(m[1])
		wantLen, _ = strconv.Atoi(m[2])
	case sliceBoundsRE.MatchString(c.msg):
		return sliceOutOfRange(c)
	default:
		return "", false
	}
	type cand struct {
		x, idx, unit   string
		n, i           int
		okN, okI, loop bool
	}
	var cands []cand
	c.inspectLoop(func(n ast.Node, inLoop bool) {
		ix, ok := n.(*ast.IndexExpr)
		if !ok {
			return
		}
		x := types.ExprString(ix.X)
		t, ok := c.env.Type(x)
		if ok && t.Under != "slice" && t.Under != "array" && t.Under != "string" {
			return // a map or a tensor method's result: not this error
		}
		cd := cand{x: x, idx: types.ExprString(ix.Index), loop: inLoop, unit: "element"}
		if t.Under == "string" {
			cd.unit = "byte"
		}
		if pure(ix.X) {
			cd.n, cd.okN = c.env.Int("len(" + x + ")")
		}
		if pure(ix.Index) {
			cd.i, cd.okI = c.env.Int(cd.idx)
		}
		cands = append(cands, cd)
	})
	// An index known to be out of range.
	for _, cd := range cands {
		if cd.okN && cd.okI && (cd.i < 0 || cd.i >= cd.n) && !cd.loop {
			return indexMessage(cd.x, cd.idx, cd.unit, cd.i, cd.n), true
		}
	}
	// The runtime said which: find the expression with that length.
	if wantLen >= 0 {
		for _, cd := range cands {
			if cd.okN && cd.n == wantLen {
				return indexMessage(cd.x, cd.idx, cd.unit, wantIdx, wantLen), true
			}
		}
		return fmt.Sprintf("index %d is out of range: the value has length %d, %s", wantIdx, wantLen, indices(wantLen)), true
	}
	// An index computed in a loop, or in an expression we do not evaluate.
	for _, cd := range cands {
		if cd.okN {
			msg := fmt.Sprintf("an index is out of range in %s[%s]: %s has %s, %s", cd.x, cd.idx, cd.x, elements(cd.n, cd.unit), indices(cd.n))
			if cd.loop {
				msg += fmt.Sprintf("; check the loop's bound (%s < len(%s))", cd.idx, cd.x)
			}
			return msg, true
		}
	}
	if len(cands) == 1 {
		return fmt.Sprintf("an index is out of range in %s[%s]: a slice of n elements has indices 0 to n-1", cands[0].x, cands[0].idx), true
	}
	return "an index is out of range: it is negative, or not less than the length (a slice of n elements has indices 0 to n-1)", true
}

func indexMessage(x, idxSrc, unit string, i, n int) string {
	idx := strconv.Itoa(i)
	if idxSrc != idx && idxSrc != "" {
		idx = fmt.Sprintf("%s = %d", idxSrc, i)
	}
	msg := fmt.Sprintf("index %s is out of range: %s has %s, %s", idx, x, elements(n, unit), indices(n))
	if i < 0 {
		msg += fmt.Sprintf("; Go has no negative indices: the last one is %s[len(%s)-1]", x, x)
	}
	return msg
}

func elements(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func indices(n int) string {
	switch n {
	case 0:
		return "so no index is valid"
	case 1:
		return "so the only index is 0"
	}
	return fmt.Sprintf("so its indices run from 0 to %d", n-1)
}

func sliceOutOfRange(c *cell) (string, bool) {
	out := ""
	c.inspect(func(n ast.Node) {
		s, ok := n.(*ast.SliceExpr)
		if !ok || out != "" || !pure(s.X) {
			return
		}
		x := types.ExprString(s.X)
		ln, ok1 := c.env.Int("len(" + x + ")")
		cp, ok2 := c.env.Int("cap(" + x + ")")
		if !ok1 || !ok2 {
			return
		}
		for _, b := range []ast.Expr{s.Low, s.High, s.Max} {
			if b == nil || !pure(b) {
				continue
			}
			v, ok := c.env.Int(types.ExprString(b))
			if ok && (v < 0 || v > cp) {
				out = fmt.Sprintf("slice bounds out of range: %s asks for up to %d, but %s has %s (capacity %d)", types.ExprString(s), v, x, elements(ln, "element"), cp)
				return
			}
		}
	})
	if out == "" {
		return "slice bounds out of range: the bounds of x[lo:hi] must satisfy 0 ≤ lo ≤ hi ≤ cap(x)", true
	}
	return out, true
}

// pure reports whether e can be evaluated again without side effects:
// names, literals, field selections, index expressions, arithmetic, len and cap.
func pure(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident, *ast.BasicLit:
		return true
	case *ast.ParenExpr:
		return pure(e.X)
	case *ast.SelectorExpr:
		return pure(e.X)
	case *ast.IndexExpr:
		return pure(e.X) && pure(e.Index)
	case *ast.UnaryExpr:
		return e.Op != token.ARROW && e.Op != token.AND && pure(e.X)
	case *ast.BinaryExpr:
		return pure(e.X) && pure(e.Y)
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") && len(e.Args) == 1 {
			return pure(e.Args[0])
		}
	}
	return false
}

// ---- calls with the wrong number of arguments ------------------------------------------------

var argCountRE = regexp.MustCompile(`(?s)^(too many|not enough) arguments in call to (.+?):\s*have \((.*?)\)\s*want \((.*?)\)\s*$`)

func argumentCount(c *cell) (string, bool) {
	m := argCountRE.FindStringSubmatch(c.msg)
	if m == nil {
		return "", false
	}
	fn, have, want := m[2], splitTop(m[3]), splitTop(m[4])
	takes := fmt.Sprintf("%d (%s)", len(want), strings.Join(want, ", "))
	switch {
	case len(want) == 0:
		takes = "no arguments"
	case len(want) == 1:
		takes = fmt.Sprintf("1 argument (%s)", want[0])
	default:
		takes = fmt.Sprintf("%d arguments (%s)", len(want), strings.Join(want, ", "))
	}
	if len(want) > 0 && strings.HasPrefix(want[len(want)-1], "...") {
		takes = fmt.Sprintf("at least %d arguments (%s)", len(want)-1, strings.Join(want, ", "))
	}
	gives := "none"
	if len(have) > 0 {
		gives = fmt.Sprintf("%d (%s)", len(have), strings.Join(have, ", "))
	}
	return fmt.Sprintf("%s arguments: %s takes %s, the call gives %s", m[1], fn, takes, gives), true
}

// splitTop splits a parameter list at the commas outside brackets.
func splitTop(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// ---- operators between values that have none -------------------------------------------------

var (
	binaryOpRE   = regexp.MustCompile(`^invalid binary operation (\S+) between <(.+)> and <(.+)>: (.+)$`)
	untypedToRE  = regexp.MustCompile(`(?s)cannot convert untyped constant \{\w+ (.+?)\} to <(.+?)>`)
	opMethods    = map[token.Token]string{token.ADD: "Add", token.SUB: "Sub", token.MUL: "Mul", token.QUO: "Div"}
	opWithNumber = map[token.Token]string{token.ADD: "AddScalar(%s)", token.SUB: "AddScalar(-%s)", token.MUL: "Scale(%s)", token.QUO: "Scale(1.0 / %s)"}
)

func operatorOnValues(c *cell) (string, bool) {
	if !binaryOpRE.MatchString(c.msg) && !untypedToRE.MatchString(c.msg) {
		return "", false
	}
	out := ""
	c.inspect(func(n ast.Node) {
		b, ok := n.(*ast.BinaryExpr)
		if !ok || out != "" || opMethods[b.Op] == "" {
			return
		}
		x, y := types.ExprString(b.X), types.ExprString(b.Y)
		tx, okx := c.env.Type(x)
		ty, oky := c.env.Type(y)
		switch {
		case okx && oky && contains(tx.Methods, opMethods[b.Op]) && tx.Name == ty.Name:
			out = fmt.Sprintf("Go has no %s operator for %s: write %s.%s(%s)", b.Op, shortType(tx.Name), x, opMethods[b.Op], y)
		case okx && isNumber(b.Y, ty, oky) && hasMethodFor(tx, b.Op):
			out = fmt.Sprintf("Go has no %s operator for %s: write %s.%s", b.Op, shortType(tx.Name), x, fmt.Sprintf(opWithNumber[b.Op], y))
		case oky && isNumber(b.X, tx, okx) && hasMethodFor(ty, b.Op) && (b.Op == token.ADD || b.Op == token.MUL):
			out = fmt.Sprintf("Go has no %s operator for %s: write %s.%s", b.Op, shortType(ty.Name), y, fmt.Sprintf(opWithNumber[b.Op], x))
		}
	})
	if out != "" {
		return out, true
	}
	if m := untypedToRE.FindStringSubmatch(c.msg); m != nil {
		if a := c.assignmentOf(m[1]); a != "" {
			return fmt.Sprintf("cannot assign %s to %s: %s is %s", m[1], a, a, article(shortType(m[2]))), true
		}
	}
	return "", false
}

func hasMethodFor(t Type, op token.Token) bool {
	name := opWithNumber[op]
	return contains(t.Methods, name[:strings.Index(name, "(")])
}

func isNumber(e ast.Expr, t Type, ok bool) bool {
	if lit, isLit := e.(*ast.BasicLit); isLit {
		return lit.Kind == token.INT || lit.Kind == token.FLOAT
	}
	if !ok {
		return false
	}
	switch strings.TrimPrefix(t.Name, "untyped ") {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "float":
		return true
	}
	return false
}

// assignmentOf returns the name assigned the literal lit in "name = lit".
func (c *cell) assignmentOf(lit string) string {
	out := ""
	c.inspect(func(n ast.Node) {
		a, ok := n.(*ast.AssignStmt)
		if !ok || out != "" || len(a.Lhs) != len(a.Rhs) {
			return
		}
		for i, r := range a.Rhs {
			if types.ExprString(r) == lit {
				out = types.ExprString(a.Lhs[i])
			}
		}
	})
	return out
}

// ---- x[i] on a value that has no [] ----------------------------------------------------------

var noIndexRE = regexp.MustCompile(`^invalid operation: (.+?)\[(.+)\] \(type (.+) does not support indexing\)$`)

func indexingNonSlice(c *cell) (string, bool) {
	m := noIndexRE.FindStringSubmatch(c.msg)
	if m == nil {
		return "", false
	}
	x, idx, tn := m[1], m[2], m[3]
	t, ok := c.env.Type(x)
	if !ok {
		return "", false
	}
	var alt []string
	if contains(t.Methods, "Index") {
		alt = append(alt, fmt.Sprintf("%s.Index(%s) is the sub-tensor at %s (a view)", x, idx, idx))
	}
	if contains(t.Methods, "At") {
		alt = append(alt, fmt.Sprintf("%s.At(i, j) one number", x))
	}
	if contains(t.Methods, "Rows") {
		alt = append(alt, fmt.Sprintf("%s.Rows() the values as [][]float32", x))
	}
	if len(alt) == 0 {
		return fmt.Sprintf("%s is %s, which cannot be indexed with [ ]", x, article(shortType(tn))), true
	}
	return fmt.Sprintf("%s is %s, which Go cannot index with [ ]: %s", x, article(shortType(tn)), strings.Join(alt, ", ")), true
}

// ---- len(x) of a value that has no length ----------------------------------------------------

var lenRE = regexp.MustCompile(`^cannot use (.+) <(.+)> as .* in builtin (len|cap)\(\)$`)

func lenOfNonSlice(c *cell) (string, bool) {
	m := lenRE.FindStringSubmatch(c.msg)
	if m == nil {
		return "", false
	}
	x, tn := m[1], m[2]
	t, _ := c.env.Type(x)
	var alt []string
	if contains(t.Methods, "Shape") {
		alt = append(alt, fmt.Sprintf("%s.Shape() gives its size along each dimension", x))
	}
	if contains(t.Methods, "Len") {
		alt = append(alt, fmt.Sprintf("%s.Len() its number of elements", x))
	}
	msg := fmt.Sprintf("%s(%s): %s is not a slice, string, map or channel", m[3], x, article(shortType(tn)))
	if len(alt) > 0 {
		msg += ": " + strings.Join(alt, ", ")
	}
	return msg, true
}

// ---- values of the wrong type ----------------------------------------------------------------

var (
	cannotUseRE     = regexp.MustCompile(`^cannot use <(.+)> as <(.+)> in (argument to .+|assignment)$`)
	untypedConstRE  = regexp.MustCompile(`^cannot convert untyped constant \{(\w+) (.+)\} to <(.+)>$`)
	incompatibleRE  = regexp.MustCompile(`^incompatible types in assignment: (.+) = (.+)$`)
	numericTypeName = regexp.MustCompile(`^(u?int(8|16|32|64)?|float(32|64))$`)
)

func typeMismatch(c *cell) (string, bool) {
	if m := cannotUseRE.FindStringSubmatch(c.msg); m != nil {
		have, want := shortType(m[1]), shortType(m[2])
		msg := fmt.Sprintf("cannot use %s as %s in %s", article(have), article(want), m[3])
		switch {
		case numericTypeName.MatchString(have) && numericTypeName.MatchString(want):
			msg += fmt.Sprintf(": convert it, %s(x)", want)
		case strings.HasPrefix(have, "[]") && want == "[]float32":
			msg += ": the tensors hold float32; write []float32{...}"
		}
		return msg, true
	}
	if m := untypedConstRE.FindStringSubmatch(c.msg); m != nil {
		msg := fmt.Sprintf("cannot use %s (%s constant) as %s", m[2], article(untypedKind(m[1])), article(shortType(m[3])))
		if fn := c.callWithArg(m[2]); fn != "" {
			msg += " in argument to " + fn
		}
		return msg, true
	}
	if m := incompatibleRE.FindStringSubmatch(c.msg); m != nil {
		want, have := shortType(m[1]), shortType(m[2])
		msg := fmt.Sprintf("cannot assign %s to a variable of type %s", article(have), want)
		if numericTypeName.MatchString(have) && numericTypeName.MatchString(want) {
			msg += fmt.Sprintf(": convert it, %s(x)", want)
		}
		return msg, true
	}
	return "", false
}

// callWithArg returns the function called with the literal lit as an argument.
func (c *cell) callWithArg(lit string) string {
	fn := ""
	c.inspect(func(n ast.Node) {
		call, ok := n.(*ast.CallExpr)
		if !ok || fn != "" {
			return
		}
		for _, a := range call.Args {
			if types.ExprString(a) == lit {
				fn = types.ExprString(call.Fun)
			}
		}
	})
	return fn
}

// article puts "a" or "an" before a type or kind name.
func article(s string) string {
	if s != "" && strings.ContainsRune("aeioAEIO", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// ---- calling a value that is not a function --------------------------------------------------

var nonFuncRE = regexp.MustCompile(`^call of non-function: (.+) <(.+)>$`)

func callNonFunction(c *cell) (string, bool) {
	m := nonFuncRE.FindStringSubmatch(c.msg)
	if m == nil {
		return "", false
	}
	return fmt.Sprintf("%s is %s, not a function: it cannot be called with ( )", m[1], article(shortType(m[2]))), true
}

func untypedKind(k string) string {
	switch k {
	case "int", "float64", "complex128":
		return "number"
	case "int32":
		return "rune"
	}
	return k
}

// ---- imports ---------------------------------------------------------------------------------

var importRE = regexp.MustCompile(`(?s)^error importing packages map\[([^:\]]+):[^\]]*\]:`)

func unknownImport(c *cell) (string, bool) {
	m := importRE.FindStringSubmatch(c.msg)
	if m == nil {
		return "", false
	}
	path := m[1]
	head := fmt.Sprintf("the kernel cannot import %q: it is not compiled in, and it could not be downloaded and built", path)
	all := c.env.Importable()
	last := path[strings.LastIndex(path, "/")+1:]
	var best []string
	for _, p := range all {
		if strings.HasSuffix(p, "/"+last) || p == last {
			best = append(best, p)
		}
	}
	if len(best) == 0 {
		var lasts []string
		byLast := map[string][]string{}
		for _, p := range all {
			l := p[strings.LastIndex(p, "/")+1:]
			lasts = append(lasts, l)
			byLast[l] = append(byLast[l], p)
		}
		if l, ok := closest(last, lasts); ok {
			best = byLast[l]
		}
	}
	sort.Slice(best, func(i, j int) bool {
		ai, aj := strings.Contains(best[i], "attnviz"), strings.Contains(best[j], "attnviz")
		if ai != aj {
			return ai
		}
		return best[i] < best[j]
	})
	if len(best) > 0 {
		return fmt.Sprintf("%s; did you mean %q?", head, best[0]), true
	}
	return head + "; it can import the Go standard library and github.com/attnviz/attnviz/tensor, …/viz and …/model", true
}

// ---- Python written in a Go cell -------------------------------------------------------------

var (
	pyForRE   = regexp.MustCompile(`(?m)^\s*for\s+\w+(\s*,\s*\w+)?\s+in\s+`)
	pyDefRE   = regexp.MustCompile(`(?m)^\s*def\s+\w+\s*\(`)
	pyListRE  = regexp.MustCompile(`(:=|=)\s*\[\s*[-\d"'.]`)
	pyImport  = regexp.MustCompile(`(?m)^\s*(import\s+\w+(\s+as\s+\w+)?\s*$|from\s+\w+\s+import\s)`)
	illegalAt = regexp.MustCompile(`illegal character U\+0040 '@'`)
)

func pythonSyntax(c *cell) (string, bool) {
	if c.nodes != nil {
		return "", false // it parsed: not a syntax error
	}
	switch {
	case pyForRE.MatchString(c.src):
		return "for … in … is Python; Go loops are for i := 0; i < n; i++ { … } or for i, x := range xs { … }", true
	case pyDefRE.MatchString(c.src):
		return "def is Python; a Go function is func name(x int) int { return x }", true
	case illegalAt.MatchString(c.msg):
		return "a @ b is PyTorch's matrix product; here write a.MatMul(b)", true
	case pyImport.MatchString(c.src) && !strings.Contains(c.src, `"`):
		return `Go imports a path in quotes: import "fmt", or import "github.com/attnviz/attnviz/tensor"`, true
	case strings.Contains(c.msg, "expected ']', found ','") && pyListRE.MatchString(c.src):
		return "Go writes a slice with its type: []float32{1, 2, 3} (or []int{…}, []string{…})", true
	}
	if strings.Contains(c.msg, "missing ','") && strings.Count(c.src, "(") > strings.Count(c.src, ")") {
		return "a ( is not closed: add the missing )", true
	}
	return "", false
}

// ---- helpers ---------------------------------------------------------------------------------

// inspect walks every node of the cell.
func (c *cell) inspect(f func(ast.Node)) {
	c.inspectLoop(func(n ast.Node, _ bool) { f(n) })
}

// inspectLoop walks every node, saying whether it is inside a for or range loop.
func (c *cell) inspectLoop(f func(n ast.Node, inLoop bool)) {
	var walk func(n ast.Node, inLoop bool)
	walk = func(n ast.Node, inLoop bool) {
		switch n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			inLoop = true
		}
		ast.Inspect(n, func(m ast.Node) bool {
			if m == nil {
				return false
			}
			if m != n {
				switch m.(type) {
				case *ast.ForStmt, *ast.RangeStmt:
					walk(m, true)
					return false
				}
			}
			f(m, inLoop)
			return true
		})
	}
	for _, n := range c.nodes {
		if n != nil {
			walk(n, false)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func isIdent(s string) bool { return token.IsIdentifier(s) }

// closest returns the candidate nearest to name: the same but for case
// first, then the smallest edit distance (at most 1 for names of up to 4
// letters, 2 up to 8, 3 beyond), ties broken by the same first letter and
// then alphabetically.
func closest(name string, cands []string) (string, bool) {
	best, bestD := "", 1<<30
	lname := strings.ToLower(name)
	limit := 1
	switch {
	case len(name) > 8:
		limit = 3
	case len(name) > 4:
		limit = 2
	}
	for _, cnd := range cands {
		if cnd == "" || cnd == "_" {
			continue
		}
		d := 2 * levenshtein(lname, strings.ToLower(cnd)) // case differences cost nothing...
		if d == 0 {
			d = 1 // ...but an exact match ranks first
		}
		if d > 2*limit {
			continue
		}
		if !strings.EqualFold(cnd[:1], name[:1]) {
			d++
		}
		if d < bestD || (d == bestD && better(name, cnd, best)) {
			best, bestD = cnd, d
		}
	}
	return best, best != ""
}

// closestQualified matches name against the part after the dot of pkg.Name candidates.
func closestQualified(name string, cands []string) (string, bool) {
	after := make([]string, len(cands))
	for i, q := range cands {
		after[i] = q[strings.Index(q, ".")+1:]
	}
	s, ok := closest(name, after)
	if !ok {
		return "", false
	}
	for i, a := range after {
		if a == s {
			return cands[i], true
		}
	}
	return "", false
}

// better breaks a tie between two candidates: the one sharing more of
// name's beginning and end (Printn: Println rather than Print), then the
// first alphabetically.
func better(name, a, b string) bool {
	sa, sb := shared(name, a), shared(name, b)
	if sa != sb {
		return sa > sb
	}
	return a < b
}

func shared(x, y string) int {
	x, y = strings.ToLower(x), strings.ToLower(y)
	n := 0
	for n < len(x) && n < len(y) && x[n] == y[n] {
		n++
	}
	m := 0
	for m < len(x)-n && m < len(y)-n && x[len(x)-1-m] == y[len(y)-1-m] {
		m++
	}
	return n + m
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var (
	pkgPathRE  = regexp.MustCompile(`\b(?:[\w.-]+/)+(\w+\.)`)
	angleRE    = regexp.MustCompile(`<([^<>]+)>`)
	astNodeRE  = regexp.MustCompile(` <\*ast\.\w+>`)
	moreErrsRE = regexp.MustCompile(` (in )?\(and \d+ more errors?\)`)
	untypedLit = regexp.MustCompile(`\buntyped\.Lit\b`)
	mainPkgRE  = regexp.MustCompile(`\bmain\.`)
)

// shortType writes a type the way a notebook user reads it: *tensor.Tensor.
func shortType(s string) string {
	s = pkgPathRE.ReplaceAllString(s, "$1")
	s = mainPkgRE.ReplaceAllString(s, "")
	return untypedLit.ReplaceAllString(s, "untyped constant")
}

// tidy shortens package paths and drops gomacro's decorations.
func tidy(s string) string {
	s = astNodeRE.ReplaceAllString(s, "")
	s = moreErrsRE.ReplaceAllString(s, "")
	s = angleRE.ReplaceAllString(s, "$1")
	return shortType(s)
}
