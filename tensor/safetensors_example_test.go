package tensor_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/attnviz/attnviz/tensor"
)

// A PyTorch user saves attentions with
//
//	att = torch.stack(out.attentions)[:, 0]          # [layers, heads, T, T]
//	save_file({"attention": att.contiguous()}, "att.safetensors",
//	          metadata={"tokens": json.dumps(tokens)})
//
// and the Go side reads the tensor and the tokens back.
func ExampleLoadSafetensors() {
	dir, _ := os.MkdirTemp("", "attnviz")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "att.safetensors")

	// Stand-in for the file PyTorch wrote: 2 layers, 1 head, 2 tokens.
	att := tensor.New([]float32{1, 0, .25, .75, 1, 0, .5, .5}, 2, 1, 2, 2)
	toks, _ := json.Marshal([]string{"Hello", "world"})
	if err := tensor.SaveSafetensorsAs(path, map[string]*tensor.Tensor{"attention": att},
		map[string]string{"tokens": string(toks)}, "F16"); err != nil {
		fmt.Println(err)
		return
	}

	f := tensor.LoadSafetensors(path)
	if err := f.Err(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	var tokens []string
	json.Unmarshal([]byte(f.Metadata()["tokens"]), &tokens)
	fmt.Println(tokens)
	fmt.Println(f.Tensor("attention").Index(1, 0))
	// Output:
	// safetensors: 1 tensors
	//   attention F16 [2 1 2 2]
	//   metadata: tokens
	// [Hello world]
	// tensor([[1, 0],
	//         [0.5, 0.5]], shape=[2 2])
}

// A missing name is an error that lists the names there are.
func ExampleLoadSafetensorsTensor() {
	dir, _ := os.MkdirTemp("", "attnviz")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "att.safetensors")
	tensor.SaveSafetensors(path, map[string]*tensor.Tensor{"attention": tensor.Ones(2, 2)}, nil)

	w := tensor.LoadSafetensorsTensor(path, "attentions")
	fmt.Println(errors.Is(w.Err(), tensor.ErrNotFound))
	// Output:
	// true
}

func ExampleLoadNPY() {
	dir, _ := os.MkdirTemp("", "attnviz")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "w.npy") // numpy.load(path) reads it

	w := tensor.MustFromRows([][]float32{{.9, .1}, {.3, .7}})
	if err := w.SaveNPY(path); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tensor.LoadNPY(path))
	fmt.Println(tensor.LoadNPY(filepath.Join(dir, "missing.npy")).Err() != nil)
	// Output:
	// tensor([[0.9, 0.1],
	//         [0.3, 0.7]], shape=[2 2])
	// true
}

func ExampleLoadNPZTensor() {
	dir, _ := os.MkdirTemp("", "attnviz")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "run.npz") // numpy.load(path)["scores"]

	tensor.SaveNPZ(path, map[string]*tensor.Tensor{
		"scores":  tensor.MustFromRows([][]float32{{1, 2}, {3, 4}}),
		"weights": tensor.MustFromRows([][]float32{{.5, .5}, {.1, .9}}),
	})
	names, _ := tensor.NPZNames(path)
	fmt.Println(names)
	fmt.Println(tensor.LoadNPZTensor(path, "weights"))
	err := tensor.LoadNPZTensor(path, "weight").Err() // says: no array named "weight"; the file has "scores", "weights"
	fmt.Println(errors.Is(err, tensor.ErrNotFound))
	// Output:
	// [scores weights]
	// tensor([[0.5, 0.5],
	//         [0.1, 0.9]], shape=[2 2])
	// true
}

func ExampleFloat32ToFloat16() {
	h := tensor.Float32ToFloat16(1.0 / 3)
	fmt.Printf("%#04x %v\n", h, tensor.Float16ToFloat32(h))
	b := tensor.Float32ToBFloat16(1.0 / 3)
	fmt.Printf("%#04x %v\n", b, tensor.BFloat16ToFloat32(b))
	// Output:
	// 0x3555 0.33325195
	// 0x3eab 0.33398438
}
