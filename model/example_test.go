package model_test

import (
	"fmt"

	"github.com/attnviz/attnviz/model"
	"github.com/attnviz/attnviz/tensor"
)

// Load the lesson model, run a prompt and look at one head.
func Example() {
	m, err := model.Load(model.DefaultPath()) // $ATTNVIZ_MODEL, the cache folder, models/; `make model` gets it
	if err != nil {
		fmt.Println(err)
		return
	}
	r := m.Run("Once upon a time, there was a little girl named Lily.")
	if r.Err() != nil {
		fmt.Println(r.Err())
		return
	}
	fmt.Println(r.Attention.Shape()) // [layers heads T T]
	fmt.Println(r.Tokens[:4])        // [<s>  Once  upon  a]
	w := r.Head(1, 3)                // layer 1, head 3: [T, T], rows are queries
	fmt.Printf("%.2f\n", w.At(5, 4)) // how much token 5 looks at token 4
	text, _ := m.Generate("Once upon a time", 20)
	fmt.Println(text)
}

// Reproduce one head's weights from its queries and keys.
func ExampleRecord_QKV() {
	m := model.MustLoad(model.DefaultPath())
	r := m.Run("Lily saw a big dog.")
	q, k, v := r.QKV(2, 5) // Q and K after RoPE; head 5 shares KV head 2
	a := tensor.ScaledDotProductAttention(q, k, v, tensor.CausalMask(len(r.Tokens)))
	fmt.Println(a.Weights.Shape(), r.Head(2, 5).Shape())
}

// Run on the GPU when there is one (ops the device lacks fall back to the CPU).
func ExampleDevice() {
	dev := tensor.Device(tensor.CPU)
	if d, err := tensor.Lookup("cuda"); err == nil && d.Available() == nil {
		dev = d
	}
	m, err := model.Load(model.DefaultPath(), model.Device(dev), model.Progress(func(stage string, done, total int) {
		fmt.Printf("\r%s %d/%d", stage, done, total)
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Run("Tim and Sue").Attention.Device().Name())
}

// At long contexts record only the layers and heads you will look at: the
// run estimates its memory first and refuses, naming these options, when
// it would not fit in the budget (half the machine's memory by default).
func ExampleRecordLayers() {
	m := model.MustLoad(model.DefaultPath())
	r := m.Run("Lily saw a big dog. Lily saw a big dog.", model.RecordLayers(1, 3), model.RecordHeads(5), model.MemoryBudget(2e9))
	if r.Err() != nil {
		fmt.Println(r.Err())
		return
	}
	fmt.Println(r.Attention.Shape(), r.Layers, r.Heads) // [2 1 T T] [1 3] [5]
	fmt.Println(r.Head(3, 5).Shape())                   // the model's numbers
}

func ExampleParseBytes() {
	for _, s := range []string{"8GB", "512MiB", "off"} {
		b, _ := model.ParseBytes(s)
		fmt.Println(s, b)
	}
	// Output:
	// 8GB 8000000000
	// 512MiB 536870912
	// off 0
}
