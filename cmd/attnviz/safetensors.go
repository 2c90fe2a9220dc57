package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// loadSafetensors reads one array of a .safetensors file and the tokens in
// its "tokens" metadata entry (a JSON list), if any.
func loadSafetensors(path, name string) (*tensor.Tensor, []string, error) {
	f := tensor.LoadSafetensors(path)
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	names := f.Names() // sorted
	if name == "" {
		switch len(names) {
		case 0:
			return nil, nil, fmt.Errorf("%s holds no arrays", path)
		case 1:
			name = names[0]
		default:
			if slices.Contains(names, "attention") { // what attnviz_export.py and model -o write
				name = "attention"
				break
			}
			return nil, nil, fmt.Errorf("%s holds %d arrays (%s); pick one with -name", path, len(names), strings.Join(names, ", "))
		}
	} else if !slices.Contains(names, name) {
		return nil, nil, fmt.Errorf("%s has no array %q; it holds: %s", path, name, strings.Join(names, ", "))
	}
	t := f.Tensor(name)
	if err := t.Err(); err != nil {
		return nil, nil, err
	}
	var toks []string
	if s, ok := f.Metadata()["tokens"]; ok {
		var err error
		if toks, err = tokensFromMetadata(s); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	return t, toks, nil
}
