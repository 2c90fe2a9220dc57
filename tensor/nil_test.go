package tensor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// panicsOnError lists the methods documented to panic when the tensor
// carries an error (as Must does by design, and as indexing does). On a
// nil or zero tensor they panic with that error, never with a nil
// dereference.
var panicsOnError = map[string]bool{"Must": true, "At": true, "Item": true}

// TestMethodsOnNilAndZero calls every exported method of *Tensor — found by
// reflection, so a new method cannot be forgotten — on a nil tensor, the
// zero Tensor and a failed one. None may panic (except as panicsOnError
// says); a method that returns a tensor or an error returns one that
// carries the problem.
func TestMethodsOnNilAndZero(t *testing.T) {
	dir := t.TempDir()
	// Valid string arguments, so that the receiver is the only problem.
	strs := map[string][]string{"ToName": {"cpu"}, "SaveNPYAs": {filepath.Join(dir, "a.npy"), "<f4"}}
	arg := func(m reflect.Method, i int, typ reflect.Type) reflect.Value {
		switch {
		case typ.Kind() == reflect.String && len(strs[m.Name]) >= i:
			return reflect.ValueOf(strs[m.Name][i-1]).Convert(typ)
		case typ == reflect.TypeFor[*Tensor]():
			return reflect.ValueOf(Ones(2, 2))
		case typ == reflect.TypeFor[Device]():
			return reflect.ValueOf(&CPU).Elem()
		case typ.Kind() == reflect.String: // a path (SaveNPY)
			return reflect.ValueOf(filepath.Join(dir, fmt.Sprintf("%s-%d.npy", m.Name, i))).Convert(typ)
		}
		return reflect.Zero(typ) // 0, 0.0, false, empty variadic
	}
	receivers := []struct {
		name string
		t    *Tensor
		msg  string // what the error says
	}{
		{"nil", nil, "nil tensor"},
		{"zero", &Tensor{}, "zero Tensor value"},
		{"failed", Failed(Errorf(ErrValue, "made to fail")), "made to fail"},
	}
	typ := reflect.TypeFor[*Tensor]()
	if typ.NumMethod() < 50 {
		t.Fatalf("only %d methods found", typ.NumMethod())
	}
	for _, r := range receivers {
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			t.Run(r.name+"/"+m.Name, func(t *testing.T) {
				in := []reflect.Value{reflect.ValueOf(r.t)}
				mt := m.Type
				for j := 1; j < mt.NumIn(); j++ {
					pt := mt.In(j)
					if mt.IsVariadic() && j == mt.NumIn()-1 {
						break // no variadic arguments
					}
					in = append(in, arg(m, j, pt))
				}
				var out []reflect.Value
				panicked, val := func() (p bool, v any) {
					defer func() {
						if v = recover(); v != nil {
							p = true
						}
					}()
					out = m.Func.Call(in)
					return
				}()
				if panicked {
					err, isErr := val.(error)
					if !panicsOnError[m.Name] || !isErr || !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), r.msg) {
						t.Fatalf("panicked: %v", val)
					}
					return
				}
				if panicsOnError[m.Name] {
					t.Fatalf("returned %v, want a panic with the tensor's error", out)
				}
				for _, o := range out {
					switch v := o.Interface().(type) {
					case *Tensor:
						if err := v.Err(); err == nil || !strings.Contains(err.Error(), r.msg) {
							t.Errorf("result carries %v, want the receiver's error (%q)", err, r.msg)
						}
					case error:
						if !strings.Contains(v.Error(), r.msg) {
							t.Errorf("error %v, want the receiver's (%q)", v, r.msg)
						}
					}
				}
				if m.Name == "String" && !strings.Contains(out[0].String(), r.msg) {
					t.Errorf("String() = %q, want the error", out[0].String())
				}
			})
		}
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("a method wrote %s for a tensor with an error", files[0].Name())
	}
}
