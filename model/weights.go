package model

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// Config holds the dimensions and conventions of a model, read from a GGUF
// file's metadata ({arch}.* keys) or a Hugging Face config.json, checked
// against the tensor shapes.
type Config struct {
	Arch     string  // "llama", "qwen2", "gpt2" or "bert" (general.architecture; HF model_type)
	Name     string  // general.name (the folder name for Hugging Face)
	Layers   int     // transformer blocks ({arch}.block_count)
	Dim      int     // model width ({arch}.embedding_length)
	Heads    int     // query heads ({arch}.attention.head_count)
	KVHeads  int     // key/value heads ({arch}.attention.head_count_kv); < Heads means grouped-query attention
	HeadDim  int     // size of one head (Dim / Heads unless the file says otherwise)
	FFN      int     // feed-forward hidden size ({arch}.feed_forward_length)
	Vocab    int     // vocabulary size (rows of token_embd.weight)
	Context  int     // longest sequence ({arch}.context_length; rows of position_embd for gpt2/bert)
	RopeBase float32 // RoPE θ base ({arch}.rope.freq_base, 10000 if absent); llama and qwen2
	NormEps  float32 // RMSNorm (llama, qwen2) or LayerNorm (gpt2, bert) epsilon
	// RopeHalf is true when RoPE pairs dimension i with i+HeadDim/2
	// (GPT-NeoX / Hugging Face rotate_half, tensor.RoPEHalf): qwen2. False
	// for llama, whose GGUF query/key rows llama.cpp's converter permutes
	// for the interleaved pairing (2i, 2i+1), tensor.RoPEInterleaved; a
	// Hugging Face llama folder gets the same permutation when read, so
	// both formats give the same weights.
	RopeHalf bool
	// RopeScale multiplies every RoPE angle: 1/factor of linear RoPE
	// scaling ({arch}.rope.scaling.type = "linear"), else 1. Llama 3's
	// per-frequency factors come as the tensor rope_freqs.weight.
	RopeScale float32
	// Causal is false for bert (every token sees every other).
	Causal bool
	// TokenTypes is the number of token types (segment embeddings) of
	// bert (tokenizer.ggml.token_type_count, HF type_vocab_size).
	TokenTypes int
	// Act names the feed-forward activation of the architecture: "silu"
	// (SwiGLU: llama, qwen2), "gelu_tanh" (gpt2's gelu_new) or "gelu"
	// (bert's exact erf GELU). GGUF files do not store it; it follows the
	// architecture, or the Hugging Face config's hidden_act.
	Act string
	// TiedEmbeddings is true when the file has no output.weight and the
	// token embedding matrix doubles as the output projection.
	TiedEmbeddings bool
}

func (c Config) String() string {
	return fmt.Sprintf("%s %q: %d layers, dim %d, %d heads × %d (%d KV heads), FFN %d, vocab %d, context %d",
		c.Arch, c.Name, c.Layers, c.Dim, c.Heads, c.HeadDim, c.KVHeads, c.FFN, c.Vocab, c.Context)
}

// Architectures lists the values of Config.Arch that ReadWeights accepts.
var Architectures = []string{"bert", "gpt2", "llama", "qwen2"}

// Weights is what a model file or folder holds, whatever its format: the
// configuration, the tokenizer and the named tensors. Names, shapes and
// layouts are llama.cpp's GGUF conventions in both formats, so a forward
// pass reads one representation (Hugging Face names are mapped when the
// folder is read; see the table in hf.go):
//
//   - names: token_embd.weight, blk.N.attn_q.weight, output_norm.weight, ...
//   - a linear layer's weight is [out, in] (row-major, like torch's
//     nn.Linear.weight), its bias [out]; GPT-2's Conv1D weights ([in, out]
//     in Hugging Face files) are transposed when read;
//   - llama query/key rows are permuted for the interleaved RoPE pairing
//     (see Config.RopeHalf);
//   - gpt2 keeps its fused blk.N.attn_qkv.weight [3·Dim, Dim] (q, k, v
//     stacked in that order).
//
// Tensors are decoded to float32 when asked for (Tensor, TensorT): F32,
// F16, BF16 and the ggml block-quantized types Q4_0 … Q6_K. A GGUF file is
// memory-mapped, so only what has been decoded occupies memory.
type Weights struct {
	Config    Config
	Tokenizer Tokenizer
	Format    string // "gguf" or "hf"
	Path      string // the file or folder read

	src     tensorSource
	sinceGC int64 // bytes decoded since the last collection (see get)
}

// gcEvery is how many bytes of decoded tensors Weights hands out before it
// asks for a garbage collection: a loader that repacks each tensor (as
// tensor.NewLinear does) drops the decoded copy at once, and collecting
// every so often lets the next tensors reuse that memory instead of
// growing the heap — the difference between ≈ 1.1× and ≈ 1.7× the F32
// weight size at the peak of loading GPT-2 small.
const gcEvery = 48 << 20

// tensorServer is a tensorSource that can hand out some tensors as they
// are, without a copy (ok false: use decode).
type tensorServer interface {
	tensor(name string, transpose bool) (t *tensor.Tensor, ok bool)
}

// tensorSource is one format's store of tensors.
type tensorSource interface {
	names() []string
	// info gives the GGUF-convention shape and the stored type of a tensor.
	info(name string) (shape []int, typ string, ok bool)
	// decode returns the float32 values, row-major in shape, or with the
	// two dimensions of a 2-D tensor swapped when transpose is true.
	decode(name string, transpose bool) ([]float32, error)
	close() error
}

// ReadWeights reads a model: a GGUF file, or a Hugging Face folder
// (config.json, model.safetensors or its sharded index, tokenizer.json).
// The configuration and the shape of every tensor the architecture needs
// are checked here; tensors are decoded later, by Tensor.
func ReadWeights(path string) (*Weights, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, tensor.Errorf(tensor.ErrNotFound, "model: cannot read %s: %v; %s", path, notExistMsg(err), notFoundHint(path, "give a GGUF file or a Hugging Face folder"))
	}
	if st.IsDir() {
		return readHF(path)
	}
	g, err := ReadGGUF(path)
	if err != nil {
		return nil, err
	}
	w, err := WeightsFromGGUF(g)
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	w.Path = path
	return w, nil
}

func notExistMsg(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// Names lists the tensors, sorted.
func (w *Weights) Names() []string {
	if w == nil || w.src == nil {
		return nil
	}
	n := w.src.names()
	sort.Strings(n)
	return n
}

// Has says whether the model has the named tensor.
func (w *Weights) Has(name string) bool {
	if w == nil || w.src == nil {
		return false
	}
	_, _, ok := w.src.info(name)
	return ok
}

// Shape is the shape of the named tensor (nil when there is none).
func (w *Weights) Shape(name string) []int {
	if w == nil || w.src == nil {
		return nil
	}
	s, _, _ := w.src.info(name)
	return s
}

// Type is the stored type of the named tensor: "F32", "F16", "BF16",
// "Q8_0", ... ("" when there is none).
func (w *Weights) Type(name string) string {
	if w == nil || w.src == nil {
		return ""
	}
	_, t, _ := w.src.info(name)
	return t
}

// Tensor decodes the named tensor to a float32 tensor on the CPU, in the
// GGUF convention (a linear weight is [out, in]). A missing name gives a
// tensor carrying an ErrNotFound error that lists what there is.
func (w *Weights) Tensor(name string) *tensor.Tensor { return w.get(name, false) }

// TensorT decodes a 2-D tensor straight into its transpose ([in, out] for
// a linear weight, so x·W works), without a second copy.
func (w *Weights) TensorT(name string) *tensor.Tensor { return w.get(name, true) }

func (w *Weights) get(name string, transpose bool) *tensor.Tensor {
	if w == nil || w.src == nil {
		return tensor.Failed(tensor.Errorf(tensor.ErrValue, "model: nil Weights; read them with model.ReadWeights"))
	}
	shape, _, ok := w.src.info(name)
	if !ok {
		names := w.Names()
		if len(names) > 12 {
			names = append(names[:12], "...")
		}
		return tensor.Failed(tensor.Errorf(tensor.ErrNotFound, "model: no tensor %q in %s; it has %s", name, w.Path, strings.Join(names, ", ")))
	}
	if transpose {
		if len(shape) != 2 {
			return tensor.Failed(tensor.Errorf(tensor.ErrShape, "model: TensorT(%q): the tensor is %d-D %v; only 2-D tensors transpose", name, len(shape), shape))
		}
		shape = []int{shape[1], shape[0]}
	}
	n := int64(4)
	for _, d := range shape {
		n *= int64(d)
	}
	if w.sinceGC += n; w.sinceGC > gcEvery && n > 1<<20 {
		runtime.GC()
		w.sinceGC = n
	}
	if ts, ok := w.src.(tensorServer); ok {
		if t, ok := ts.tensor(name, transpose); ok {
			return t
		}
	}
	data, err := w.src.decode(name, transpose)
	if err != nil {
		return tensor.Failed(err)
	}
	return tensor.Wrap(data, shape...)
}

// Close releases the file (the memory map of a GGUF file). Tensors already
// decoded stay valid.
func (w *Weights) Close() error {
	if w == nil || w.src == nil {
		return nil
	}
	return w.src.close()
}

// String summarises the weights.
func (w *Weights) String() string {
	if w == nil {
		return "<nil Weights>"
	}
	kind := ""
	if w.Tokenizer != nil {
		kind = ", tokenizer " + w.Tokenizer.Kind()
	}
	return fmt.Sprintf("%s (%s, %d tensors%s)", w.Config, w.Format, len(w.Names()), kind)
}

// tensorSpec is a tensor an architecture needs, with its expected shape.
type tensorSpec struct {
	name     string
	shape    []int
	optional bool
}

// archTensors lists every tensor the architecture's forward pass reads,
// in the GGUF convention; has tells which tensors the file holds, for the
// layouts an architecture may come in (bert: fused attn_qkv or separate
// q, k, v).
func archTensors(c Config, has func(string) bool) []tensorSpec {
	D, F, V := c.Dim, c.FFN, c.Vocab
	q, kv := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	var s []tensorSpec
	add := func(name string, opt bool, shape ...int) { s = append(s, tensorSpec{name, shape, opt}) }
	// gpt2 and bert: every linear layer and LayerNorm has a weight and a bias
	linear := func(name string, out, in int) {
		add(name+".weight", false, out, in)
		add(name+".bias", false, out)
	}
	norm := func(name string) {
		add(name+".weight", false, D)
		add(name+".bias", false, D)
	}
	add("token_embd.weight", false, V, D)
	switch c.Arch {
	case "llama", "qwen2":
		bias := c.Arch != "qwen2"
		for l := 0; l < c.Layers; l++ {
			p := fmt.Sprintf("blk.%d.", l)
			add(p+"attn_norm.weight", false, D)
			add(p+"attn_q.weight", false, q, D)
			add(p+"attn_k.weight", false, kv, D)
			add(p+"attn_v.weight", false, kv, D)
			add(p+"attn_q.bias", bias, q)
			add(p+"attn_k.bias", bias, kv)
			add(p+"attn_v.bias", bias, kv)
			add(p+"attn_output.weight", false, D, q)
			add(p+"ffn_norm.weight", false, D)
			add(p+"ffn_gate.weight", false, F, D)
			add(p+"ffn_up.weight", false, F, D)
			add(p+"ffn_down.weight", false, D, F)
		}
		add("output_norm.weight", false, D)
		add("output.weight", true, V, D)
		add("rope_freqs.weight", true, c.HeadDim/2)
	case "gpt2":
		add("position_embd.weight", false, c.Context, D)
		for l := 0; l < c.Layers; l++ {
			p := fmt.Sprintf("blk.%d.", l)
			norm(p + "attn_norm")
			linear(p+"attn_qkv", 3*D, D)
			linear(p+"attn_output", D, D)
			norm(p + "ffn_norm")
			linear(p+"ffn_up", F, D)
			linear(p+"ffn_down", D, F)
		}
		norm("output_norm")
		add("output.weight", true, V, D)
	case "bert":
		add("position_embd.weight", false, c.Context, D)
		add("token_types.weight", false, c.TokenTypes, D)
		norm("token_embd_norm")
		for l := 0; l < c.Layers; l++ {
			p := fmt.Sprintf("blk.%d.", l)
			if has(p + "attn_qkv.weight") {
				linear(p+"attn_qkv", 3*D, D)
			} else {
				for _, n := range []string{"attn_q", "attn_k", "attn_v"} {
					linear(p+n, D, D)
				}
			}
			linear(p+"attn_output", D, D)
			norm(p + "attn_output_norm")
			linear(p+"ffn_up", F, D)
			linear(p+"ffn_down", D, F)
			norm(p + "layer_output_norm")
		}
	}
	return s
}

// checkTensors checks that every tensor the architecture needs is there
// with the shape the configuration implies.
func checkTensors(c Config, src tensorSource, where string) error {
	has := func(name string) bool { _, _, ok := src.info(name); return ok }
	for _, s := range archTensors(c, has) {
		shape, _, ok := src.info(s.name)
		if !ok {
			if s.optional {
				continue
			}
			return tensor.Errorf(tensor.ErrFormat, "model: %s has no tensor %s, which a %s model needs; it is incomplete or not a %s model", where, s.name, c.Arch, c.Arch)
		}
		if !slices.Equal(shape, s.shape) {
			return tensor.Errorf(tensor.ErrFormat, "model: tensor %s is %v but the configuration (%s) implies %v; the configuration and the weights do not match", s.name, shape, c, s.shape)
		}
	}
	return nil
}

// checkConfig checks the dimensions a configuration must satisfy.
func checkConfig(c *Config) error {
	if c.Layers <= 0 || c.Dim <= 0 || c.Heads <= 0 || c.FFN <= 0 {
		return tensor.Errorf(tensor.ErrFormat, "model: layers %d, dim %d, heads %d, FFN %d: want all positive", c.Layers, c.Dim, c.Heads, c.FFN)
	}
	if c.KVHeads <= 0 {
		c.KVHeads = c.Heads
	}
	if c.HeadDim <= 0 {
		if c.Dim%c.Heads != 0 {
			return tensor.Errorf(tensor.ErrFormat, "model: dim %d is not divisible by %d heads", c.Dim, c.Heads)
		}
		c.HeadDim = c.Dim / c.Heads
	}
	if c.Heads%c.KVHeads != 0 {
		return tensor.Errorf(tensor.ErrFormat, "model: %d heads, %d KV heads: want the heads divisible by the KV heads", c.Heads, c.KVHeads)
	}
	if (c.Arch == "llama" || c.Arch == "qwen2") && c.HeadDim%2 != 0 {
		return tensor.Errorf(tensor.ErrFormat, "model: head size %d is odd; RoPE needs an even head size", c.HeadDim)
	}
	if (c.Arch == "gpt2" || c.Arch == "bert") && c.HeadDim*c.Heads != c.Dim {
		return tensor.Errorf(tensor.ErrFormat, "model: %d heads × %d ≠ dim %d; %s needs heads × head size = dim", c.Heads, c.HeadDim, c.Dim, c.Arch)
	}
	if c.Context <= 0 {
		return tensor.Errorf(tensor.ErrFormat, "model: context length %d: want a positive number", c.Context)
	}
	if c.Arch == "bert" && c.TokenTypes <= 0 {
		return tensor.Errorf(tensor.ErrFormat, "model: bert with %d token types: want at least 1", c.TokenTypes)
	}
	return nil
}

// WeightsFromGGUF reads the configuration and tokenizer of a parsed GGUF
// file and checks its tensors; the tensors themselves are decoded on
// demand from g.
func WeightsFromGGUF(g *GGUF) (*Weights, error) {
	arch, _ := g.Str("general.architecture")
	c := Config{Arch: arch, Causal: true}
	switch arch {
	case "llama":
		c.NormEps, c.Act = 1e-5, "silu"
	case "qwen2":
		c.NormEps, c.Act, c.RopeHalf = 1e-6, "silu", true
	case "gpt2":
		c.NormEps, c.Act = 1e-5, "gelu_tanh"
	case "bert":
		c.NormEps, c.Act, c.Causal, c.TokenTypes = 1e-12, "gelu", false, 2
	default:
		return nil, tensor.Errorf(tensor.ErrFormat, "model: general.architecture is %q; supported are %s", arch, quoted(Architectures))
	}
	c.Name, _ = g.Str("general.name")
	p := arch + "."
	for _, k := range []struct {
		key string
		dst *int
	}{{"block_count", &c.Layers}, {"embedding_length", &c.Dim}, {"attention.head_count", &c.Heads}, {"feed_forward_length", &c.FFN}} {
		v, ok := g.Int(p + k.key)
		if !ok || v <= 0 {
			return nil, tensor.Errorf(tensor.ErrFormat, "model: metadata %s is missing or not a positive integer; the file is not a complete %s GGUF", p+k.key, arch)
		}
		*k.dst = v
	}
	if v, ok := g.Int(p + "attention.head_count_kv"); ok && v > 0 {
		c.KVHeads = v
	}
	if v, ok := g.Int(p + "attention.key_length"); ok && v > 0 {
		c.HeadDim = v
	}
	c.Context = 2048
	if v, ok := g.Int(p + "context_length"); ok && v > 0 {
		c.Context = v
	}
	if arch == "llama" || arch == "qwen2" {
		c.RopeBase = 10000
		if v, ok := g.Float(p + "rope.freq_base"); ok && v > 1 {
			c.RopeBase = float32(v)
		}
		if v, ok := g.Float(p + "attention.layer_norm_rms_epsilon"); ok && v > 0 {
			c.NormEps = float32(v)
		}
		c.RopeScale = 1
		typ, _ := g.Str(p + "rope.scaling.type")
		factor, hasFactor := g.Float(p + "rope.scaling.factor")
		switch typ {
		case "", "none":
		case "linear":
			if !hasFactor || !(factor > 0) {
				return nil, tensor.Errorf(tensor.ErrFormat, "model: %srope.scaling.type is \"linear\" but %srope.scaling.factor is missing or not positive", p, p)
			}
			c.RopeScale = float32(1 / factor)
		default:
			return nil, tensor.Errorf(tensor.ErrFormat, "model: %srope.scaling.type %q is not supported (none and linear are; Llama 3's factors come as rope_freqs.weight and are)", p, typ)
		}
	} else if v, ok := g.Float(p + "attention.layer_norm_epsilon"); ok && v > 0 {
		c.NormEps = float32(v)
	}
	if kv, ok := g.Get(p + "attention.causal"); ok {
		if b, ok := kv.Value.(bool); ok {
			c.Causal = b
		}
	}
	if v, ok := g.Int("tokenizer.ggml.token_type_count"); ok && v > 0 {
		c.TokenTypes = v
	}
	if err := checkConfig(&c); err != nil {
		return nil, err
	}
	if v, ok := g.Int(p + "rope.dimension_count"); ok && v != c.HeadDim {
		return nil, tensor.Errorf(tensor.ErrFormat, "model: %srope.dimension_count is %d but the head size is %d; partial rotary embeddings are not supported", p, v, c.HeadDim)
	}
	ti, ok := g.TensorInfo("token_embd.weight")
	if !ok || len(ti.Dims) != 2 || int(ti.Dims[0]) != c.Dim {
		return nil, tensor.Errorf(tensor.ErrFormat, "model: the file needs a token_embd.weight of [vocab, %d]; the file is not a complete %s model", c.Dim, arch)
	}
	c.Vocab = int(ti.Dims[1])
	if arch == "gpt2" || arch == "bert" {
		// The position table's rows are the usable context.
		if pi, ok := g.TensorInfo("position_embd.weight"); ok && len(pi.Dims) == 2 && int(pi.Dims[1]) != c.Context {
			return nil, tensor.Errorf(tensor.ErrFormat, "model: %scontext_length is %d but position_embd.weight has %d rows; the configuration and the weights do not match", p, c.Context, pi.Dims[1])
		}
	}
	_, hasOut := g.TensorInfo("output.weight")
	c.TiedEmbeddings = !hasOut && arch != "bert"
	src := &ggufSource{g: g}
	if err := checkTensors(c, src, "the GGUF file"); err != nil {
		return nil, err
	}
	tok, err := NewTokenizer(g)
	if err != nil {
		return nil, err
	}
	if tok.Size() != c.Vocab {
		return nil, tensor.Errorf(tensor.ErrFormat, "model: the embedding has %d rows but the tokenizer %d tokens; want one row per token", c.Vocab, tok.Size())
	}
	return &Weights{Config: c, Tokenizer: tok, Format: "gguf", src: src}, nil
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// ggufSource serves a GGUF file's tensors.
type ggufSource struct{ g *GGUF }

func (s *ggufSource) names() []string {
	n := make([]string, len(s.g.Tensors))
	for i, t := range s.g.Tensors {
		n[i] = t.Name
	}
	return n
}

func (s *ggufSource) info(name string) ([]int, string, bool) {
	ti, ok := s.g.TensorInfo(name)
	if !ok {
		return nil, "", false
	}
	return ti.Shape(), ti.Type.String(), true
}

func (s *ggufSource) decode(name string, transpose bool) ([]float32, error) {
	return s.g.decode(name, transpose)
}

func (s *ggufSource) close() error { return s.g.Close() }
