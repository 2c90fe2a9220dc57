package model

import (
	"bufio"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attnviz/attnviz/tensor"
)

// GPT-2 small's shape (12 layers, 768 wide, 12 heads, FFN 3072, vocabulary
// 50257, context 1024, tied head) with random weights, for `make bench`:
// BenchmarkGPT2Small times a forward pass with attention capture at 256
// tokens; scripts/bench_gpt2.py drives TestGPT2BenchServer alternately with
// its PyTorch peer. (The peak RSS of loading a Q8_0 file of this shape is
// measured by TestLoadPeakRSS, make bench-model-load.)

var gpt2Server = flag.Bool("gpt2-bench-server", false, "serve timed GPT-2-small forward passes on stdin/stdout (scripts/bench_gpt2.py)")

const gpt2Tokens = 256

func gpt2SmallConfig() Config {
	return Config{Arch: "gpt2", Name: "gpt2-small random", Layers: 12, Dim: 768, Heads: 12, KVHeads: 12, HeadDim: 64,
		FFN: 3072, Vocab: 50257, Context: 1024, NormEps: 1e-5, Causal: true, Act: "gelu_tanh"}
}

// gpt2Spec lists the tensors of a GPT-2 model and their shapes.
func gpt2Spec(c Config) (names []string, shapes map[string][]int) {
	shapes = map[string][]int{}
	add := func(n string, s ...int) { names = append(names, n); shapes[n] = s }
	add("token_embd.weight", c.Vocab, c.Dim)
	add("position_embd.weight", c.Context, c.Dim)
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		add(p+"attn_norm.weight", c.Dim)
		add(p+"attn_norm.bias", c.Dim)
		add(p+"attn_qkv.weight", 3*c.Dim, c.Dim)
		add(p+"attn_qkv.bias", 3*c.Dim)
		add(p+"attn_output.weight", c.Dim, c.Dim)
		add(p+"attn_output.bias", c.Dim)
		add(p+"ffn_norm.weight", c.Dim)
		add(p+"ffn_norm.bias", c.Dim)
		add(p+"ffn_up.weight", c.FFN, c.Dim)
		add(p+"ffn_up.bias", c.FFN)
		add(p+"ffn_down.weight", c.Dim, c.FFN)
		add(p+"ffn_down.bias", c.Dim)
	}
	add("output_norm.weight", c.Dim)
	add("output_norm.bias", c.Dim)
	return names, shapes
}

// gpt2Values are a tensor's random values: norms near 1, the rest N(0,
// 0.02²) as GPT-2 was initialised; seeded by the name.
func gpt2Values(name string, n int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(name))
	r := rand.New(rand.NewSource(int64(h.Sum64())))
	out := make([]float32, n)
	norm := strings.Contains(name, "norm.weight")
	for i := range out {
		v := 0.02 * r.NormFloat64()
		if norm {
			v += 1
		}
		out[i] = float32(v)
	}
	return out
}

// randomSource serves gpt2Spec's tensors without a file.
type randomSource struct{ shapes map[string][]int }

func (s randomSource) Has(name string) bool { _, ok := s.shapes[name]; return ok }
func (s randomSource) Tensor(name string) *tensor.Tensor {
	shape := s.shapes[name]
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor.Wrap(gpt2Values(name, n), shape...)
}

var (
	gpt2Once  sync.Once
	gpt2Model *Model
	gpt2Err   error
)

func gpt2Small(tb testing.TB) *Model {
	gpt2Once.Do(func() {
		c := gpt2SmallConfig()
		_, shapes := gpt2Spec(c)
		n, err := buildNet(&c, randomSource{shapes}, tensor.CPU)
		if err != nil {
			gpt2Err = err
			return
		}
		gpt2Model = &Model{cfg: c, dev: tensor.CPU, net: n}
	})
	if gpt2Err != nil {
		tb.Fatal(gpt2Err)
	}
	return gpt2Model
}

func gpt2IDs() []int {
	r := rand.New(rand.NewSource(1))
	ids := make([]int, gpt2Tokens)
	for i := range ids {
		ids[i] = r.Intn(50257)
	}
	return ids
}

// BenchmarkGPT2Small: forward pass and attention capture ([12, 12, 256,
// 256] kept, plus Q, K, V and the logits) of GPT-2 small at 256 tokens.
func BenchmarkGPT2Small(b *testing.B) {
	m := gpt2Small(b)
	ids := gpt2IDs()
	if r := m.RunIDs(ids); r.Err() != nil { // warm-up
		b.Fatal(r.Err())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := m.RunIDs(ids); r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}

// TestGPT2BenchServer runs one timed forward pass per "run" line on stdin
// and prints its seconds, so a driver can alternate it with PyTorch's.
func TestGPT2BenchServer(t *testing.T) {
	if !*gpt2Server {
		t.Skip("only with -gpt2-bench-server (scripts/bench_gpt2.py)")
	}
	m := gpt2Small(t)
	ids := gpt2IDs()
	fmt.Printf("ready threads=%d\n", runtime.GOMAXPROCS(0))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() != "run" {
			break
		}
		t0 := time.Now()
		r := m.RunIDs(ids)
		el := time.Since(t0)
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		fmt.Printf("seconds %.6f\n", el.Seconds())
	}
}
