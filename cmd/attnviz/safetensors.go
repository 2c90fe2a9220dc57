package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// loadSafetensors reads one array of a .safetensors file and the tokens in
// its "tokens" metadata entry (a JSON list), if any. Only the array's bytes
// are read, or with one only those of the [T,T] matrix that layer and head
// pick (see load); float32 is memory-mapped in place.
func loadSafetensors(path, name string, one bool, batch, layer, head int) (*tensor.Tensor, []string, *axes, error) {
	f := tensor.OpenSafetensors(path)
	if err := f.Err(); err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	names := f.Names() // sorted
	if name == "" {
		switch len(names) {
		case 0:
			return nil, nil, nil, fmt.Errorf("%s holds no arrays", path)
		case 1:
			name = names[0]
		default:
			if slices.Contains(names, "attention") { // what attnviz_export.py and model -o write
				name = "attention"
				break
			}
			return nil, nil, nil, fmt.Errorf("%s holds %d arrays (%s); pick one with -name", path, len(names), strings.Join(names, ", "))
		}
	} else if !slices.Contains(names, name) {
		return nil, nil, nil, fmt.Errorf("%s has no array %q; it holds: %s", path, name, strings.Join(names, ", "))
	}
	var idx []int
	var ax axes
	if one {
		var err error
		if idx, ax, err = headIndex(f.Shape(name), batch, layer, head); err != nil {
			return nil, nil, nil, err
		}
	}
	t := mapSafetensors(path, f, name, idx)
	if t == nil {
		t = f.TensorAt(name, idx...)
	}
	if err := t.Err(); err != nil {
		return nil, nil, nil, err
	}
	var toks []string
	if s, ok := f.Metadata()["tokens"]; ok {
		var err error
		if toks, err = tokensFromMetadata(s); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	return t, toks, pickedAxes(idx, ax), nil
}

// mapSafetensors maps the slice idx of an F32 tensor in place (see
// mapFloats), or returns nil (then it is read).
func mapSafetensors(path string, f *tensor.SafetensorsFile, name string, idx []int) *tensor.Tensor {
	start, _, ok := f.DataRange(name)
	if !ok || f.Dtype(name) != "F32" {
		return nil
	}
	shape := f.Shape(name)
	if len(idx) > len(shape) {
		return nil
	}
	for d, i := range idx {
		if i < 0 || i >= shape[d] {
			return nil
		}
	}
	osf, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer osf.Close() // the mapping outlives the descriptor
	return mapSlice(osf, start, shape, idx)
}
