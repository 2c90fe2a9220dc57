package model

import "github.com/attnviz/attnviz/tensor"

// readHF reads a Hugging Face folder (config.json, model.safetensors or its
// sharded index, tokenizer.json).
func readHF(dir string) (*Weights, error) {
	return nil, tensor.Errorf(tensor.ErrFormat, "model: %s is a folder; reading Hugging Face folders is not written yet — give a GGUF file", dir)
}
