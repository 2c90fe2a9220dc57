package tensor

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadersCarryTheirError checks the package's rule for loaders (doc.go, "Errors"):
// every exported Load… and Read… function returns one value, of a type with an
// Err() error method — what a notebook cell shows — never (value, error).
func TestLoadersCarryTheirError(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	errTypes := map[string]bool{} // types with an Err() error method
	var loaders []*ast.FuncDecl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if fn.Recv != nil {
				if fn.Name.Name == "Err" && fn.Type.Results != nil && len(fn.Type.Results.List) == 1 && exprName(fn.Type.Results.List[0].Type) == "error" {
					errTypes[exprName(fn.Recv.List[0].Type)] = true
				}
				continue
			}
			n := fn.Name.Name
			if (strings.HasPrefix(n, "Load") || strings.HasPrefix(n, "Read")) && ast.IsExported(n) && n != "ReadNPYHeader" {
				loaders = append(loaders, fn)
			}
		}
	}
	if len(loaders) < 6 {
		t.Fatalf("found only %d loaders", len(loaders))
	}
	for _, fn := range loaders {
		res := fn.Type.Results
		if res == nil || len(res.List) != 1 || len(res.List[0].Names) > 1 {
			t.Errorf("%s returns %d values; a loader returns one value that carries its error", fn.Name.Name, res.NumFields())
			continue
		}
		if typ := exprName(res.List[0].Type); !errTypes[typ] {
			t.Errorf("%s returns %s, which has no Err() error method", fn.Name.Name, typ)
		}
	}
}

func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return "*" + exprName(e.X)
	case *ast.SelectorExpr:
		return exprName(e.X) + "." + e.Sel.Name
	}
	return "?"
}

// TestLoadersOnAMissingFile: every loader answers a missing file with a value whose Err
// says so (ErrNotFound and the OS error), and the value's other methods do not panic.
func TestLoadersOnAMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope")
	z, f := LoadNPZ(p), LoadSafetensors(p)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"LoadNPY", LoadNPY(p).Err()},
		{"LoadNPZ", z.Err()},
		{"LoadNPZTensor", LoadNPZTensor(p, "a").Err()},
		{"LoadSafetensors", f.Err()},
		{"LoadSafetensorsTensor", LoadSafetensorsTensor(p, "a").Err()},
	} {
		if !errors.Is(c.err, ErrNotFound) || !errors.Is(c.err, fs.ErrNotExist) || !strings.Contains(c.err.Error(), p) {
			t.Errorf("%s of a missing file: %v", c.name, c.err)
		}
	}
	if z.Names() != nil || z.Tokens() != nil || !errors.Is(z.Tensor("a").Err(), ErrNotFound) {
		t.Errorf("a failed *NPZ gave values")
	}
	if f.Names() != nil || len(f.Metadata()) != 0 || f.Tensors() != nil || f.Dtype("a") != "" || !errors.Is(f.Tensor("a").Err(), ErrNotFound) || !strings.HasPrefix(f.String(), "safetensors error: ") {
		t.Errorf("a failed *SafetensorsFile gave values: %v", f)
	}
	var nilFile *SafetensorsFile
	if nilFile.Err() == nil || nilFile.Names() != nil || nilFile.Tensor("a").Err() == nil {
		t.Errorf("a nil *SafetensorsFile: want an error")
	}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"ReadNPY", ReadNPY(bytes.NewReader(nil)).Err()},
		{"ReadNPZ", ReadNPZ(bytes.NewReader(nil), 0).Err()},
		{"ReadSafetensors", ReadSafetensors(bytes.NewReader(nil)).Err()},
	} {
		if !errors.Is(c.err, ErrFormat) {
			t.Errorf("%s of nothing: want an ErrFormat error, got %v", c.name, c.err)
		}
	}
}
