package model

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/attnviz/attnviz/internal/attnstat"
	"github.com/attnviz/attnviz/tensor"
)

// ProgressFunc is called as a long run goes: stage names what is running
// ("layer", "generate"), done counts finished steps out of total.
type ProgressFunc func(stage string, done, total int)

// Option configures Load.
type Option func(*options)

type options struct {
	dev      tensor.Device
	progress ProgressFunc
}

// Device makes Load put the weights on dev (tensor.CPU, or a device from
// tensor.Lookup("cuda")); the forward pass then runs there, ops the device
// lacks falling back to the CPU. Without it the model uses tensor.Default().
func Device(dev tensor.Device) Option { return func(o *options) { o.dev = dev } }

// Progress sets a callback called after each layer of Run and each token of
// Generate.
func Progress(fn ProgressFunc) Option { return func(o *options) { o.progress = fn } }

// Model is a transformer language model (or, for bert, encoder) loaded from
// a GGUF file, with a forward pass that records every layer's attention.
type Model struct {
	cfg      Config
	tok      Tokenizer
	dev      tensor.Device
	progress ProgressFunc
	net      *net
	loadErr  error    // from To or Ablate: reported by Run
	ablated  [][2]int // (layer, head) pairs whose output is zeroed (Ablate)
}

// MustLoad is Load for notebooks and examples: it panics with Load's error.
func MustLoad(path string, opts ...Option) *Model {
	m, err := Load(path, opts...)
	if err != nil {
		panic(err)
	}
	return m
}

// Load reads a model — a GGUF file or a Hugging Face folder
// (ReadWeights) — and builds its forward pass (FromWeights).
func Load(path string, opts ...Option) (*Model, error) {
	w, err := ReadWeights(path)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	return FromWeights(w, opts...)
}

// FromGGUF builds a model from a parsed GGUF file.
func FromGGUF(g *GGUF, opts ...Option) (*Model, error) {
	w, err := WeightsFromGGUF(g)
	if err != nil {
		return nil, err
	}
	return FromWeights(w, opts...)
}

// FromWeights builds the forward pass for the architecture of w
// (Config.Arch). The tensors are decoded now; w can be closed afterwards.
func FromWeights(w *Weights, opts ...Option) (*Model, error) {
	o := options{}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	if o.dev == nil {
		o.dev = tensor.Default()
	}
	if err := o.dev.Available(); err != nil {
		return nil, tensor.Errorf(tensor.ErrDevice, "model: device %s is not available: %w; use model.Device(tensor.CPU)", o.dev.Name(), err)
	}
	c := w.Config
	n, err := buildNet(&c, w, o.dev)
	if err != nil {
		return nil, err
	}
	return &Model{cfg: c, tok: w.Tokenizer, dev: o.dev, progress: o.progress, net: n}, nil
}

// Config returns the model's dimensions.
func (m *Model) Config() Config {
	if m == nil {
		return Config{}
	}
	return m.cfg
}

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() Tokenizer {
	if m == nil {
		return nil
	}
	return m.tok
}

// Device returns the device the weights live on.
func (m *Model) Device() tensor.Device {
	if m == nil {
		return nil
	}
	return m.dev
}

// String describes the model.
func (m *Model) String() string {
	if m == nil {
		return "<nil model>"
	}
	return m.cfg.String() + " on " + m.dev.Name() + m.ablatedString()
}

// To returns a copy of the model whose weights live on dev (the tokenizer
// and the host embedding tables are shared). On error the copy keeps the
// original weights and the error is reported by the next Run.
func (m *Model) To(dev tensor.Device) *Model {
	if m == nil {
		return nil // Run on it reports the nil model
	}
	c := *m
	n, err := m.net.to(dev)
	if err == nil {
		c.dev, c.net = dev, n
	} else {
		c.loadErr = err
	}
	return &c
}

// WithProgress returns a copy of the model that reports progress to fn
// (nil turns reporting off).
func (m *Model) WithProgress(fn ProgressFunc) *Model {
	if m == nil {
		return nil
	}
	c := *m
	c.progress = fn
	return &c
}

// Tokenize encodes text as the model sees it: BOS first, then the prompt's
// tokens. A character the vocabulary cannot encode is left out; Encode
// (what Run and Generate use) refuses it instead.
func (m *Model) Tokenize(text string) []int {
	if m == nil {
		return nil
	}
	return m.tok.Encode(text, true)
}

// TokenStrings returns the readable piece of each id (spaces shown as
// spaces, "<s>" for BOS, "<0x0A>" for byte tokens).
func (m *Model) TokenStrings(ids []int) []string {
	if m == nil {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if m.tok == nil {
			out[i] = fmt.Sprintf("<id %d>", id)
			continue
		}
		out[i] = m.tok.Piece(id)
	}
	return out
}

// Decode turns ids into text.
func (m *Model) Decode(ids []int) string {
	if m == nil {
		return ""
	}
	return m.tok.Decode(ids)
}

// Record is what one forward pass saw. All tensors live on the model's
// device; read them with Data/At/Rows (any device) or pass them to viz.
type Record struct {
	Prompt string
	IDs    []int    // token ids, BOS first
	Tokens []string // readable token pieces, one per id
	// Attention holds the softmax weights of every layer and query head,
	// [Layers, Heads, T, T]: rows are queries, columns keys, each row
	// sums to 1. In a causal model (Config.Causal: llama, qwen2, gpt2)
	// row i is zero after column i; in bert every query sees every key,
	// the ones after it too. A run with RecordLayers or RecordHeads holds
	// only those: [len(Layers), len(Heads), T, T].
	Attention *tensor.Tensor
	// Layers and Heads are the model's layer and head of each row and
	// column of Attention (0 … Layers−1 and 0 … Heads−1 unless the run
	// recorded fewer). Layer, Head and QKV take the model's numbers.
	Layers, Heads []int
	// Q[l] is layer l's queries [Heads, T, HeadDim] and K[l], V[l] its keys
	// and values [KVHeads, T, HeadDim], Q and K after RoPE (exactly what
	// enters QKᵀ). Query head h reads KV head h / (Heads/KVHeads).
	Q, K, V []*tensor.Tensor
	// Logits are the next-token scores after each position, [T, Vocab];
	// nil for bert, which has no language-model head in GGUF files.
	Logits *tensor.Tensor
	// Hidden is the last layer's output, [T, Dim] (before the final norm
	// of the decoders; for bert, the contextual embeddings).
	Hidden *tensor.Tensor
	// Types are the token types (segments) a bert model was given: 0 for
	// the first sentence, 1 for the second (nil: all 0).
	Types  []int
	Config Config

	tok Tokenizer
	err error
}

// Err returns the error of the run, or nil.
func (r *Record) Err() error {
	if r == nil {
		return tensor.Errorf(tensor.ErrValue, "model: nil *Record")
	}
	return r.err
}

// String summarises the record.
func (r *Record) String() string {
	if r.Err() != nil {
		return "Record(error: " + r.Err().Error() + ")"
	}
	return fmt.Sprintf("Record(%d tokens %q, attention %v)", len(r.IDs), r.Tokens, r.Attention.Shape())
}

// Layer returns the attention weights of one layer, [Heads, T, T] (the
// recorded heads).
func (r *Record) Layer(l int) *tensor.Tensor {
	if r.Err() != nil {
		return tensor.Failed(r.Err())
	}
	if l < 0 || l >= r.Config.Layers {
		return tensor.Failed(tensor.Errorf(tensor.ErrValue, "Record.Layer: layer %d out of range: the model has layers 0 to %d", l, r.Config.Layers-1))
	}
	i := recordIndex(r.layers(), l)
	if i < 0 {
		return tensor.Failed(notRecorded("Layer", "layer", l, r.layers(), "RecordLayers"))
	}
	return r.Attention.Index(i)
}

// Head returns the attention weights of one head, [T, T] (queries × keys).
func (r *Record) Head(l, h int) *tensor.Tensor {
	if err := r.Err(); err != nil {
		return tensor.Failed(err)
	}
	if h < 0 || h >= r.Config.Heads {
		return tensor.Failed(tensor.Errorf(tensor.ErrValue, "Record.Head: head %d out of range: the model has heads 0 to %d", h, r.Config.Heads-1))
	}
	if l >= 0 && l < r.Config.Layers && recordIndex(r.layers(), l) < 0 {
		return tensor.Failed(notRecorded("Head", "layer", l, r.layers(), "RecordLayers"))
	}
	j := recordIndex(r.heads(), h)
	if j < 0 {
		return tensor.Failed(notRecorded("Head", "head", h, r.heads(), "RecordHeads"))
	}
	return r.Layer(l).Index(j)
}

// QKV returns the query, key and value of one layer and query head, each
// [T, HeadDim], ready for tensor.ScaledDotProductAttention with
// tensor.CausalMask(T) in a causal model, no mask in bert (which
// reproduces r.Head(l, h)), or viz.Steps.
func (r *Record) QKV(l, h int) (q, k, v *tensor.Tensor) {
	if err := r.Err(); err != nil {
		return tensor.Failed(err), tensor.Failed(err), tensor.Failed(err)
	}
	if l < 0 || l >= r.Config.Layers || h < 0 || h >= r.Config.Heads {
		err := tensor.Errorf(tensor.ErrValue, "Record.QKV: layer %d head %d out of range: the model has %d layers of %d heads", l, h, r.Config.Layers, r.Config.Heads)
		return tensor.Failed(err), tensor.Failed(err), tensor.Failed(err)
	}
	if recordIndex(r.layers(), l) < 0 {
		err := notRecorded("QKV", "layer", l, r.layers(), "RecordLayers")
		return tensor.Failed(err), tensor.Failed(err), tensor.Failed(err)
	}
	kv := h / (r.Config.Heads / r.Config.KVHeads)
	return r.Q[l].Index(h), r.K[l].Index(kv), r.V[l].Index(kv)
}

// Next returns the most likely next token after the prompt.
func (r *Record) Next() string {
	if r.Err() != nil || r.Logits == nil {
		return ""
	}
	T := len(r.IDs)
	id := int(r.Logits.Index(T - 1).Argmax(-1).Item())
	return r.tok.Piece(id)
}

func failedRecord(prompt string, err error) *Record {
	return &Record{Prompt: prompt, err: err, Attention: tensor.Failed(err), Logits: tensor.Failed(err)}
}

// Run tokenizes prompt (BOS first), runs the forward pass and records every
// layer's attention weights, queries, keys and values, and the logits. It
// never returns nil; check Err.
//
// Options choose what is recorded (RecordLayers, RecordHeads: at long
// context every layer and head is L·H·T² floats) and the memory budget
// (MemoryBudget): the run's memory is estimated before anything is
// allocated, and a run that would need more than the budget is refused
// with a message that names these options.
func (m *Model) Run(prompt string, opts ...RunOption) *Record {
	if m == nil {
		return failedRecord(prompt, tensor.Errorf(tensor.ErrValue, "model: Run on a nil *Model; load one with model.Load"))
	}
	ids, err := m.Encode(prompt)
	if err != nil {
		return failedRecord(prompt, err)
	}
	r := m.RunIDs(ids, opts...)
	r.Prompt = prompt
	return r
}

// Encode is Tokenize, or an error naming the characters of prompt that the
// vocabulary cannot encode, which Tokenize would leave out without a word
// (the induction model of lesson 7 reads only a-z 0-9).
func (m *Model) Encode(prompt string) ([]int, error) {
	if m == nil {
		return nil, tensor.Errorf(tensor.ErrValue, "model: Encode on a nil *Model; load one with model.Load")
	}
	if b, ok := m.tok.(*BPE); ok {
		if miss := b.missing(prompt); len(miss) > 0 {
			return nil, unencodable(b, miss)
		}
	}
	return m.Tokenize(prompt), nil
}

// unencodable is Encode's error for the characters miss.
func unencodable(b *BPE, miss []rune) error {
	names := make([]string, len(miss))
	for i, r := range miss {
		names[i] = fmt.Sprintf("%q", r)
		if r == ' ' {
			names[i] += " (space)"
		}
	}
	hint := "remove or replace them"
	if a := b.alphabet(); a != "" {
		hint = "this model reads only the characters " + a
	}
	return tensor.Errorf(tensor.ErrValue, "model: the vocabulary has no token for %s in the prompt; %s", strings.Join(names, ", "), hint)
}

// RunIDs is Run on token ids (BOS is not added).
func (m *Model) RunIDs(ids []int, opts ...RunOption) *Record { return m.RunTypes(ids, nil, opts...) }

// RunTypes is RunIDs with a token type per id, for bert's sentence pairs
// (0 for the first sentence and its [SEP], 1 for the second); nil means
// all 0. Other architectures have no token types and take nil.
func (m *Model) RunTypes(ids, types []int, opts ...RunOption) *Record {
	if m == nil {
		return failedRecord("", tensor.Errorf(tensor.ErrValue, "model: RunIDs on a nil *Model; load one with model.Load"))
	}
	r := &Record{IDs: append([]int(nil), ids...), Tokens: m.TokenStrings(ids), Config: m.cfg, tok: m.tok}
	if types != nil {
		r.Types = append([]int(nil), types...)
	}
	fail := func(err error) *Record {
		f := failedRecord("", err)
		f.IDs, f.Tokens, f.Types, f.Config, f.tok = r.IDs, r.Tokens, r.Types, r.Config, r.tok
		return f
	}
	if m.loadErr != nil {
		return fail(m.loadErr)
	}
	if types != nil && m.net.types == nil {
		return fail(tensor.Errorf(tensor.ErrValue, "model: %s has no token types; pass nil", m.cfg.Arch))
	}
	T := len(ids)
	if T == 0 || T > m.cfg.Context {
		_, err := m.forward(ids, types, nil) // says what is wrong
		return fail(err)
	}
	var o runOptions
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	layers, heads, err := o.resolve(m.cfg)
	if err != nil {
		return fail(err)
	}
	if err := m.checkBudget(&o, T, layers, heads); err != nil {
		return fail(err)
	}
	// The layers write their weights straight into the record.
	att := tensor.Zeros(len(layers), len(heads), T, T).To(m.dev)
	if err := att.Err(); err != nil {
		return fail(err)
	}
	p, err := m.forward(ids, types, &capture{att: att, layers: layers, heads: heads})
	if err != nil {
		return fail(err)
	}
	r.Attention, r.Layers, r.Heads = att, layers, heads
	r.Logits, r.Hidden, r.Q, r.K, r.V = p.logits, p.hidden, p.qs, p.ks, p.vs
	return r
}

// Generate continues prompt greedily (always the most likely token) for up
// to n tokens, stopping early at EOS, BOS or the model's context length,
// and returns the prompt followed by the continuation, as text.
func (m *Model) Generate(prompt string, n int) (string, error) {
	if m == nil {
		return "", tensor.Errorf(tensor.ErrValue, "model: Generate on a nil *Model; load one with model.Load")
	}
	start, err := m.Encode(prompt)
	if err != nil {
		return prompt, err
	}
	ids, err := m.GenerateIDs(start, n)
	return m.tok.Decode(ids), err
}

// GenerateIDs is Generate on token ids; it returns ids followed by the
// generated ids.
func (m *Model) GenerateIDs(ids []int, n int) ([]int, error) {
	if m == nil {
		return nil, tensor.Errorf(tensor.ErrValue, "model: Generate on a nil *Model; load one with model.Load")
	}
	if n < 0 {
		return ids, tensor.Errorf(tensor.ErrValue, "model: Generate: want n ≥ 0 new tokens, got %d", n)
	}
	if m.net != nil && m.net.head == nil {
		return ids, tensor.Errorf(tensor.ErrValue, "model: Generate: a %s model has no language-model head; it encodes text but does not continue it", m.cfg.Arch)
	}
	if m.loadErr != nil {
		return ids, m.loadErr
	}
	ids = append([]int(nil), ids...)
	quiet := *m
	quiet.progress = nil
	for i := 0; i < n && len(ids) < m.cfg.Context; i++ {
		p, err := quiet.forward(ids, nil, nil)
		if err != nil {
			return ids, err
		}
		row, err := p.logits.Index(len(ids) - 1).DataErr()
		if err != nil {
			return ids, err
		}
		best := 0
		for j, v := range row {
			if v > row[best] || math.IsNaN(float64(row[best])) {
				best = j
			}
		}
		if sp := m.tok.Special(); best == sp.EOS || best == sp.BOS {
			break
		}
		ids = append(ids, best)
		if m.progress != nil {
			m.progress("generate", i+1, n)
		}
	}
	return ids, nil
}

// Describe lists the configuration and the tokenization of prompt, one
// token per line — a quick look for a notebook cell.
func (m *Model) Describe(prompt string) string {
	if m == nil {
		return m.String()
	}
	var b strings.Builder
	b.WriteString(m.String())
	b.WriteString("\n")
	ids, err := m.Encode(prompt)
	if err != nil {
		b.WriteString(err.Error() + "\n")
		return b.String()
	}
	for i, id := range ids {
		fmt.Fprintf(&b, "%3d  %5d  %q\n", i, id, m.tok.Piece(id))
	}
	return b.String()
}

// SaveSafetensors writes the attention [Layers, Heads, T, T] as the tensor
// "attention" (float32) of a safetensors file, with metadata "tokens" (a
// JSON list of the token strings), "ids", "prompt", "model" and "layout" —
// the format `attnviz render` and Python's safetensors read:
//
//	from safetensors import safe_open
//	with safe_open("att.safetensors", "pt") as f:
//	    att, toks = f.get_tensor("attention"), json.loads(f.metadata()["tokens"])
func (r *Record) SaveSafetensors(path string) error {
	if err := r.Err(); err != nil {
		return err
	}
	toks, err := json.Marshal(r.Tokens)
	if err != nil {
		return err
	}
	ids, err := json.Marshal(r.IDs)
	if err != nil {
		return err
	}
	meta := map[string]string{
		"tokens": string(toks),
		"ids":    string(ids),
		"prompt": r.Prompt,
		"model":  r.Config.String(),
		"layout": "attention[layer, head, query, key]",
	}
	if len(r.layers()) < r.Config.Layers || len(r.heads()) < r.Config.Heads {
		l, _ := json.Marshal(r.layers())
		h, _ := json.Marshal(r.heads())
		meta["layers"], meta["heads"] = string(l), string(h)
		meta["layout"] = "attention[recorded layer, recorded head, query, key]; the model's layer and head numbers are in layers and heads"
	}
	return tensor.SaveSafetensors(path, map[string]*tensor.Tensor{"attention": r.Attention}, meta)
}

// PrevTokenScore is, for every recorded layer and head, the mean weight a query puts
// on the token just before it (queries 1 … T−1): [Layers, Heads]. Values
// near 1 mark previous-token heads. The definition is viz's "previous
// token" statistic too (both use internal/attnstat).
func (r *Record) PrevTokenScore() *tensor.Tensor {
	return r.headScore("PrevTokenScore", attnstat.PrevToken)
}

// FirstTokenScore is, for every recorded layer and head, the mean weight a query
// puts on the first token, BOS (queries 1 … T−1): [Layers, Heads]. Heads
// far above the uniform share (mean of 1/(i+1)) use BOS as a resting place
// ("attention sink"). Query 0 is left out because it can only attend to
// BOS: its weight 1 there says nothing about the head. The definition is
// viz's "sink mass" too (both use internal/attnstat).
func (r *Record) FirstTokenScore() *tensor.Tensor {
	return r.headScore("FirstTokenScore", attnstat.Sink)
}

func (r *Record) headScore(op string, stat func(p []float32, tq, tk int) float64) *tensor.Tensor {
	if err := r.Err(); err != nil {
		return tensor.Failed(err)
	}
	T := len(r.IDs)
	if T < 2 {
		return tensor.Failed(tensor.Errorf(tensor.ErrValue, "Record.%s: need at least 2 tokens (BOS and one more), got %d; give a longer prompt", op, T))
	}
	d, err := r.Attention.ReadOnlyData()
	if err != nil {
		return tensor.Failed(err)
	}
	L, H := len(r.layers()), len(r.heads())
	out := make([]float32, L*H)
	for lh := range out {
		out[lh] = float32(stat(d[lh*T*T:(lh+1)*T*T], T, T))
	}
	return tensor.New(out, L, H)
}
