// Command bindgen turns the bindings that `gomacro -g DIR` writes for one of
// attnviz's packages into a file of the kernel's package main.
//
// `gomacro -g DIR` writes DIR/x_package.go "from inside" the package: it is
// declared `package tensor`, it names the package's functions and types
// without a qualifier (New, *Tensor), and it fills a Packages map of its own.
// kernel/build.sh runs gomacro on a scratch copy of the module (never on the
// working tree), and bindgen rewrites the result so that it compiles into the
// kernel binary next to gophernotes, against the real package:
//
//   - the package clause becomes `package main`;
//   - every exported name of the package (each identifier the file uses but
//     does not declare) is qualified with an import of the package;
//   - the local Package/Packages declarations are dropped and
//     `Packages[path] = Package{...}` becomes
//     `imports.Packages.MergePackage(path, imports.PackageUnderlying{...})`,
//     which registers the package with gomacro, so a notebook's
//     `import "github.com/attnviz/attnviz/tensor"` is instant (no plugin).
//
// Usage:
//
//	go run ./kernel/bindgen -import github.com/attnviz/attnviz/tensor -in x_package.go -out x_attnviz_tensor.go
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// gomacroImports is the package whose Packages map the kernel's interpreter reads.
const gomacroImports = "github.com/cosmos72/gomacro/imports"

func main() {
	in := flag.String("in", "", "x_package.go written by `gomacro -g DIR`")
	out := flag.String("out", "", "file to write (a file of the kernel's package main)")
	importPath := flag.String("import", "", "import path of the package the bindings describe")
	flag.Parse()
	if *in == "" || *out == "" || *importPath == "" {
		fmt.Fprintln(os.Stderr, "bindgen: want -in FILE -out FILE -import PATH")
		flag.Usage()
		os.Exit(2)
	}
	src, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bindgen:", err)
		os.Exit(1)
	}
	res, err := Rewrite(src, *importPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bindgen: %s: %v\n", *in, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, res, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bindgen:", err)
		os.Exit(1)
	}
}

// Rewrite turns gomacro's in-package bindings src for the package importPath
// into a file of package main (see the package comment).
func Rewrite(src []byte, importPath string) ([]byte, error) {
	fset := token.NewFileSet()
	// Object resolution stays on: the identifiers the parser cannot resolve
	// inside the file are exactly the names that belong to the package.
	f, err := parser.ParseFile(fset, "x_package.go", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse gomacro's output: %w", err)
	}

	alias := "attnviz_" + sanitize(f.Name.Name)
	used := map[string]bool{}
	for _, imp := range f.Imports {
		if imp.Name != nil {
			used[imp.Name.Name] = true
		} else if p, err := strconv.Unquote(imp.Path.Value); err == nil {
			used[p[strings.LastIndex(p, "/")+1:]] = true
		}
	}
	for used[alias] {
		alias += "_"
	}
	importsName := "gomacro_imports"
	for used[importsName] {
		importsName += "_"
	}

	registered := 0
	var decls []ast.Decl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			if isLocalPackageDecl(d) {
				continue // type Package = struct{...} / var Packages = ...: replaced by gomacro's own
			}
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == "init" && d.Body != nil {
				for i, st := range d.Body.List {
					call, path, ok := registration(st, importsName)
					if !ok {
						continue
					}
					if path != importPath {
						return nil, fmt.Errorf("gomacro's bindings are for %q, want %q", path, importPath)
					}
					d.Body.List[i] = call
					registered++
				}
			}
		}
		decls = append(decls, d)
	}
	if registered != 1 {
		return nil, fmt.Errorf("want one `Packages[%q] = Package{...}` in an init function, found %d "+
			"(has gomacro's output format changed?)", importPath, registered)
	}
	f.Decls = decls

	// Qualify the package's own names. In the proxies of the package's
	// interfaces gomacro writes some of them qualified already, with the
	// package's name (model.SpecialTokens), which the file does not import.
	for _, id := range f.Unresolved {
		if r, _ := utf8.DecodeRuneInString(id.Name); unicode.IsUpper(r) {
			id.Name = alias + "." + id.Name
		} else if id.Name == f.Name.Name && !used[id.Name] {
			id.Name = alias
		}
	}
	// gomacro names proxy types after the directory it read (P__tmp_..._tensor_Device):
	// name them after the package instead, so the output does not depend on the build dir.
	if prefix := proxyPrefix(f); prefix != "" {
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && strings.HasPrefix(id.Name, prefix) {
				id.Name = "P_" + alias + "_" + id.Name[len(prefix):]
			}
			return true
		})
	}
	f.Name.Name = "main"
	addImport(f, alias, importPath)
	addImport(f, importsName, gomacroImports)

	var buf bytes.Buffer
	buf.WriteString("// Code generated by kernel/bindgen from `gomacro -g` output. DO NOT EDIT.\n\n")
	f.Comments = nil // gomacro's comments would land in odd places once declarations moved
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, fmt.Errorf("print the rewritten bindings: %w", err)
	}
	return format.Source(buf.Bytes())
}

// isLocalPackageDecl reports whether d declares the file's own Package type or Packages map.
func isLocalPackageDecl(d *ast.GenDecl) bool {
	if len(d.Specs) != 1 {
		return false
	}
	switch s := d.Specs[0].(type) {
	case *ast.TypeSpec:
		return d.Tok == token.TYPE && s.Name.Name == "Package"
	case *ast.ValueSpec:
		return d.Tok == token.VAR && len(s.Names) == 1 && s.Names[0].Name == "Packages"
	}
	return false
}

// registration recognises `Packages["path"] = Package{...}` and returns the
// statement that registers the same literal with gomacro's imports.Packages.
func registration(st ast.Stmt, importsName string) (ast.Stmt, string, bool) {
	as, ok := st.(*ast.AssignStmt)
	if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 || as.Tok != token.ASSIGN {
		return nil, "", false
	}
	ix, ok := as.Lhs[0].(*ast.IndexExpr)
	if !ok || !isIdent(ix.X, "Packages") {
		return nil, "", false
	}
	lit, ok := ix.Index.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return nil, "", false
	}
	path, err := strconv.Unquote(lit.Value)
	if err != nil {
		return nil, "", false
	}
	cl, ok := as.Rhs[0].(*ast.CompositeLit)
	if !ok || !isIdent(cl.Type, "Package") {
		return nil, "", false
	}
	cl.Type = &ast.SelectorExpr{X: ast.NewIdent(importsName), Sel: ast.NewIdent("PackageUnderlying")}
	call := &ast.CallExpr{
		Fun: &ast.SelectorExpr{
			X:   &ast.SelectorExpr{X: ast.NewIdent(importsName), Sel: ast.NewIdent("Packages")},
			Sel: ast.NewIdent("MergePackage"),
		},
		Args: []ast.Expr{lit, cl},
	}
	return &ast.ExprStmt{X: call}, path, true
}

// proxyPrefix finds the prefix gomacro gave the proxy types, from an entry
// "Name": r.TypeOf((*PREFIXName)(nil)).Elem() of the Proxies map.
func proxyPrefix(f *ast.File) string {
	prefix := ""
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok || prefix != "" || !isIdent(kv.Key, "Proxies") {
			return prefix == ""
		}
		m, ok := kv.Value.(*ast.CompositeLit)
		if !ok {
			return false
		}
		for _, e := range m.Elts {
			entry, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key, ok := entry.Key.(*ast.BasicLit)
			if !ok {
				continue
			}
			name, err := strconv.Unquote(key.Value)
			if err != nil {
				continue
			}
			ast.Inspect(entry.Value, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && strings.HasPrefix(id.Name, "P_") && strings.HasSuffix(id.Name, "_"+name) {
					prefix = strings.TrimSuffix(id.Name, name)
				}
				return prefix == ""
			})
			if prefix != "" {
				break
			}
		}
		return false
	})
	return prefix
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// addImport adds `name "path"` to the file's first import declaration.
func addImport(f *ast.File, name, path string) {
	spec := &ast.ImportSpec{
		Name: ast.NewIdent(name),
		Path: &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(path)},
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			g.Specs = append(g.Specs, spec)
			if !g.Lparen.IsValid() {
				g.Lparen = g.Pos()
			}
			f.Imports = append(f.Imports, spec)
			return
		}
	}
	g := &ast.GenDecl{Tok: token.IMPORT, Specs: []ast.Spec{spec}}
	f.Decls = append([]ast.Decl{g}, f.Decls...)
	f.Imports = append(f.Imports, spec)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return '_'
	}, s)
}
