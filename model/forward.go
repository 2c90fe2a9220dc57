package model

import (
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/attnviz/attnviz/tensor"
)

// The forward passes of the four architectures, as llama.cpp runs them
// (src/models/{llama,qwen2,gpt2,bert}.cpp) on the tensors its converter
// (convert_hf_to_gguf.py) writes:
//
//	llama, qwen2   x = tok_embd[ids]
//	               per block: h = RMSNorm(x)·attn_norm
//	                          q, k, v = h·Wqᵀ (+bq), h·Wkᵀ (+bk), h·Wvᵀ (+bv)   biases: qwen2
//	                          q, k = RoPE(q), RoPE(k)   llama: pairs (2i, 2i+1) ("NORM"; the
//	                                                    converter permuted Wq, Wk for it);
//	                                                    qwen2: pairs (i, i+d/2) ("NEOX")
//	                          x += GQA(q, k, v, causal)·Woᵀ
//	                          h = RMSNorm(x)·ffn_norm
//	                          x += (SiLU(h·Wgateᵀ) ⊙ h·Wupᵀ)·Wdownᵀ
//	               logits = RMSNorm(x)·output_norm · Woutᵀ   (Wout = tok_embd when tied)
//	gpt2           x = tok_embd[ids] + position_embd[0…T−1]
//	               per block: h = LayerNorm(x; attn_norm, bias)
//	                          q|k|v = h·Wqkvᵀ + bqkv         (one fused matrix, q, k, v stacked)
//	                          x += MHA(q, k, v, causal)·Woᵀ + bo
//	                          h = LayerNorm(x; ffn_norm, bias)
//	                          x += GELUtanh(h·Wupᵀ + bup)·Wdownᵀ + bdown
//	               logits = LayerNorm(x; output_norm, bias) · Woutᵀ
//	bert           x = LayerNorm(tok_embd[ids] + token_types[type] + position_embd[0…T−1]; token_embd_norm)
//	               per block (post-norm):
//	                          x = LayerNorm(x + MHA(q, k, v, bidirectional)·Woᵀ + bo; attn_output_norm)
//	                          x = LayerNorm(x + GELU(x·Wupᵀ + bup)·Wdownᵀ + bdown; layer_output_norm)
//	               no language-model head (llama.cpp's converter keeps the encoder only)
//
// Attention is softmax(q kᵀ/√d) v per head; query head h reads key/value
// head h/(Heads/KVHeads). llama.cpp runs BERT's feed-forward with its tanh
// GELU; here BERT uses the exact GELU of its Hugging Face configuration
// ("gelu"), the function the model was trained with.

// weightSource is what building a forward pass reads: float32 tensors by
// their GGUF names, in llama.cpp's layouts (a linear weight is [out, in]).
type weightSource interface {
	Tensor(name string) *tensor.Tensor
	Has(name string) bool
}

// block is one transformer layer. Fields an architecture does not use are
// nil.
type block struct {
	attnNorm, attnNormB *tensor.Tensor // pre-norm (llama, qwen2: RMS, no bias; gpt2: LayerNorm)
	qkv                 *tensor.Linear // fused q|k|v (gpt2; bert when the file fuses them)
	wq, wk, wv, wo      *tensor.Linear
	ffnNorm, ffnNormB   *tensor.Tensor
	gate, up, down      *tensor.Linear
	// bert's post-norms
	attnOutNorm, attnOutNormB *tensor.Tensor
	outNorm, outNormB         *tensor.Tensor
}

// net holds the weights of a forward pass.
type net struct {
	embed      []float32      // [Vocab, Dim] host, unless the head is tied (then read from head)
	pos        []float32      // [Context, Dim] learned positions (gpt2, bert)
	types      []float32      // [TokenTypes, Dim] (bert)
	embNorm    *tensor.Tensor // bert: LayerNorm after the embeddings
	embNormB   *tensor.Tensor
	blocks     []block
	outNorm    *tensor.Tensor
	outNormB   *tensor.Tensor
	head       *tensor.Linear // nil for bert
	ropeFreqs  []float32      // llama 3: per-pair frequency divisors (rope_freqs.weight), or nil
	layerNorm  bool           // LayerNorm (gpt2, bert) rather than RMSNorm
	postNorm   bool           // bert
	ropeNone   bool           // learned positions instead of RoPE
	ffnAct     tensor.Activation
	tiedOnHead bool // the embedding rows are read from head
	scratch    *scratchPool
}

// scratchPool keeps the workspaces of finished forward passes for the next
// ones (several passes may run at once, each takes its own pair). A
// buffered channel, not a mutex and a slice: no field of a model's types is
// of a type from package sync, which the kernel's interpreter would load
// and warn about in the notebook (see notebooks' TestLessons).
type scratchPool struct {
	free chan [2]*tensor.Workspace
}

func newScratchPool() *scratchPool {
	return &scratchPool{free: make(chan [2]*tensor.Workspace, 4)}
}

func (p *scratchPool) get() [2]*tensor.Workspace {
	if p != nil {
		select {
		case w := <-p.free:
			return w
		default:
		}
	}
	return [2]*tensor.Workspace{tensor.NewWorkspace(), tensor.NewWorkspace()}
}

func (p *scratchPool) put(w [2]*tensor.Workspace) {
	w[0].Release()
	w[1].Release()
	if p == nil {
		return
	}
	select {
	case p.free <- w:
	default:
	}
}

// archDefaults fills the conventions that follow from the architecture.
func archDefaults(c *Config) error {
	switch c.Arch {
	case "llama":
		c.Act = "silu"
	case "qwen2":
		c.Act, c.RopeHalf = "silu", true
	case "gpt2":
		c.Act = "gelu_tanh"
	case "bert":
		c.Act, c.Causal = "gelu", false
	default:
		return tensor.Errorf(tensor.ErrFormat, "model: general.architecture is %q; supported are \"llama\", \"qwen2\", \"gpt2\" and \"bert\"", c.Arch)
	}
	return nil
}

func activationOf(name string) (tensor.Activation, error) {
	switch name {
	case "silu", "swiglu":
		return tensor.ActSiLU, nil
	case "gelu":
		return tensor.ActGELU, nil
	case "gelu_tanh", "gelu_new", "gelu_pytorch_tanh":
		return tensor.ActGELUTanh, nil
	}
	return 0, tensor.Errorf(tensor.ErrFormat, "model: feed-forward activation %q is not supported (silu, gelu, gelu_tanh)", name)
}

// buildNet reads every tensor the architecture of c needs from src, checks
// its shape against c and makes the layers on dev.
func buildNet(c *Config, src weightSource, dev tensor.Device) (*net, error) {
	n := &net{layerNorm: c.Arch == "gpt2" || c.Arch == "bert", postNorm: c.Arch == "bert", ropeNone: c.Arch == "gpt2" || c.Arch == "bert", scratch: newScratchPool()}
	act, err := activationOf(c.Act)
	if err != nil {
		return nil, err
	}
	n.ffnAct = act
	D, F, V := c.Dim, c.FFN, c.Vocab
	qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	var firstErr error
	// Each decoded matrix is garbage once packed; collecting it every few
	// dozen megabytes keeps the peak memory of loading a big model near
	// the size of the packed weights (Go's collector would otherwise let
	// the heap grow to twice the live data first).
	decoded := 0
	collect := func() {
		if decoded > 32<<20 {
			runtime.GC()
			decoded = 0
		}
	}
	get := func(name string, optional bool, shape ...int) *tensor.Tensor {
		if firstErr != nil {
			return nil
		}
		if !src.Has(name) {
			if !optional {
				firstErr = tensor.Errorf(tensor.ErrFormat, "model: the file has no tensor %s, which a %s model needs; the file is incomplete or not a %s model", name, c.Arch, c.Arch)
			}
			return nil
		}
		t := src.Tensor(name)
		if err := t.Err(); err != nil {
			firstErr = err
			return nil
		}
		decoded += 4 * t.Len()
		if !slices.Equal(t.Shape(), shape) {
			firstErr = tensor.Errorf(tensor.ErrFormat, "model: tensor %s is %v but the configuration (%s) implies %v; the configuration and the weights do not match", name, t.Shape(), c, shape)
			return nil
		}
		return t
	}
	vec := func(name string, optional bool, d int) *tensor.Tensor {
		t := get(name, optional, d)
		if t == nil {
			return nil
		}
		return t.To(dev)
	}
	lin := func(w, b string, out, in int, biasOptional bool) *tensor.Linear {
		wt := get(w, false, out, in)
		var bt *tensor.Tensor
		if b != "" {
			bt = get(b, biasOptional, out)
		}
		if firstErr != nil {
			return nil
		}
		if bt != nil {
			bt = bt.To(dev)
		}
		l := tensor.NewLinear(wt.To(dev), bt)
		if err := l.Err(); err != nil {
			firstErr = err
		}
		return l
	}
	host := func(t *tensor.Tensor) []float32 {
		if t == nil {
			return nil
		}
		return t.Data()
	}

	// Embeddings, and the output head first: a tied head is the embedding
	// matrix, packed once and read back row by row for the lookup, so the
	// decoded matrix is garbage as soon as it is packed (and collected
	// before the layers are decoded: it is the largest tensor).
	emb := get("token_embd.weight", false, V, D)
	if firstErr == nil && c.Arch != "bert" {
		if src.Has("output.weight") {
			n.embed = emb.Data()
			n.head = lin("output.weight", "", V, D, true)
			c.TiedEmbeddings = false
		} else {
			c.TiedEmbeddings = true
			n.head = tensor.NewLinear(emb.To(dev), nil)
			if firstErr = n.head.Err(); firstErr == nil {
				n.tiedOnHead = true
			}
		}
	} else if firstErr == nil {
		n.embed = emb.Data()
	}
	emb = nil
	runtime.GC()
	decoded = 0
	if c.Arch == "gpt2" || c.Arch == "bert" {
		n.pos = host(get("position_embd.weight", false, c.Context, D))
	}
	if c.Arch == "bert" {
		n.types = host(get("token_types.weight", false, c.TokenTypes, D))
		n.embNorm = vec("token_embd_norm.weight", false, D)
		n.embNormB = vec("token_embd_norm.bias", false, D)
	}
	if n.ropeNone == false && src.Has("rope_freqs.weight") {
		n.ropeFreqs = host(get("rope_freqs.weight", false, c.HeadDim/2))
	}
	if firstErr != nil {
		return nil, firstErr
	}

	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		var b block
		switch c.Arch {
		case "llama", "qwen2":
			opt := c.Arch == "llama" // qwen2 always has q/k/v biases; llama may
			b.attnNorm = vec(p+"attn_norm.weight", false, D)
			b.wq = lin(p+"attn_q.weight", p+"attn_q.bias", qDim, D, opt)
			b.wk = lin(p+"attn_k.weight", p+"attn_k.bias", kvDim, D, opt)
			b.wv = lin(p+"attn_v.weight", p+"attn_v.bias", kvDim, D, opt)
			b.wo = lin(p+"attn_output.weight", p+"attn_output.bias", D, qDim, true)
			b.ffnNorm = vec(p+"ffn_norm.weight", false, D)
			b.gate = lin(p+"ffn_gate.weight", "", F, D, true)
			b.up = lin(p+"ffn_up.weight", "", F, D, true)
			b.down = lin(p+"ffn_down.weight", "", D, F, true)
		case "gpt2":
			b.attnNorm = vec(p+"attn_norm.weight", false, D)
			b.attnNormB = vec(p+"attn_norm.bias", false, D)
			b.qkv = lin(p+"attn_qkv.weight", p+"attn_qkv.bias", qDim+2*kvDim, D, false)
			b.wo = lin(p+"attn_output.weight", p+"attn_output.bias", D, qDim, false)
			b.ffnNorm = vec(p+"ffn_norm.weight", false, D)
			b.ffnNormB = vec(p+"ffn_norm.bias", false, D)
			b.up = lin(p+"ffn_up.weight", p+"ffn_up.bias", F, D, false)
			b.down = lin(p+"ffn_down.weight", p+"ffn_down.bias", D, F, false)
		case "bert":
			if src.Has(p + "attn_qkv.weight") {
				b.qkv = lin(p+"attn_qkv.weight", p+"attn_qkv.bias", qDim+2*kvDim, D, false)
			} else {
				b.wq = lin(p+"attn_q.weight", p+"attn_q.bias", qDim, D, false)
				b.wk = lin(p+"attn_k.weight", p+"attn_k.bias", kvDim, D, false)
				b.wv = lin(p+"attn_v.weight", p+"attn_v.bias", kvDim, D, false)
			}
			b.wo = lin(p+"attn_output.weight", p+"attn_output.bias", D, qDim, false)
			b.attnOutNorm = vec(p+"attn_output_norm.weight", false, D)
			b.attnOutNormB = vec(p+"attn_output_norm.bias", false, D)
			b.up = lin(p+"ffn_up.weight", p+"ffn_up.bias", F, D, false)
			b.down = lin(p+"ffn_down.weight", p+"ffn_down.bias", D, F, false)
			b.outNorm = vec(p+"layer_output_norm.weight", false, D)
			b.outNormB = vec(p+"layer_output_norm.bias", false, D)
		}
		if firstErr != nil {
			return nil, firstErr
		}
		n.blocks = append(n.blocks, b)
		collect()
	}

	if c.Arch != "bert" {
		n.outNorm = vec("output_norm.weight", false, D)
		if c.Arch == "gpt2" {
			n.outNormB = vec("output_norm.bias", false, D)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return n, nil
}

// to returns a copy of the layers on dev.
func (n *net) to(dev tensor.Device) (*net, error) {
	c := *n
	c.scratch = newScratchPool()
	var err error
	mv := func(t *tensor.Tensor) *tensor.Tensor {
		if t == nil || err != nil {
			return t
		}
		t = t.To(dev)
		if e := t.Err(); e != nil {
			err = e
		}
		return t
	}
	ml := func(l *tensor.Linear) *tensor.Linear {
		if l == nil || err != nil {
			return l
		}
		if l.Device() == dev {
			return l
		}
		out := tensor.NewLinear(l.Weight().To(dev), mv(l.Bias()))
		if e := out.Err(); e != nil {
			err = e
		}
		return out
	}
	c.blocks = make([]block, len(n.blocks))
	for i, b := range n.blocks {
		c.blocks[i] = block{
			attnNorm: mv(b.attnNorm), attnNormB: mv(b.attnNormB),
			qkv: ml(b.qkv), wq: ml(b.wq), wk: ml(b.wk), wv: ml(b.wv), wo: ml(b.wo),
			ffnNorm: mv(b.ffnNorm), ffnNormB: mv(b.ffnNormB),
			gate: ml(b.gate), up: ml(b.up), down: ml(b.down),
			attnOutNorm: mv(b.attnOutNorm), attnOutNormB: mv(b.attnOutNormB),
			outNorm: mv(b.outNorm), outNormB: mv(b.outNormB),
		}
	}
	c.embNorm, c.embNormB = mv(n.embNorm), mv(n.embNormB)
	c.outNorm, c.outNormB = mv(n.outNorm), mv(n.outNormB)
	c.head = ml(n.head)
	return &c, err
}

// embedRow copies the embedding of token id into dst.
func (n *net) embedRow(id, dim int, dst []float32) {
	if n.tiedOnHead {
		n.head.WeightRow(id, dst)
		return
	}
	copy(dst, n.embed[id*dim:(id+1)*dim])
}

// pass is the result of one forward pass.
// capture is what a forward pass records: the weights of the model's
// layers and heads listed, into att [len(layers), len(heads), T, T].
type capture struct {
	att           *tensor.Tensor
	layers, heads []int
}

type pass struct {
	logits     *tensor.Tensor // [T, Vocab]; nil for bert
	hidden     *tensor.Tensor // [T, Dim] the last layer's output (before the final norm)
	qs, ks, vs []*tensor.Tensor
}

func (m *Model) norm(x, w, b *tensor.Tensor) *tensor.Tensor {
	if m.net.layerNorm {
		return x.LayerNorm(w, b, m.cfg.NormEps)
	}
	return x.RMSNorm(w, m.cfg.NormEps)
}

// forward runs the model on ids (types: BERT's token types, nil for all 0)
// and, if cp is not nil, writes the attention weights of its layers and
// heads into cp.att (on the model's device) and keeps Q [H,T,d] and K, V
// [Hkv,T,d] of its layers (the others' are nil).
//
// Memory: the intermediate results of layer l are made in one of two
// tensor.Workspaces, alternately, so they are released (and their memory
// reused) two layers later without the garbage collector; what the pass
// returns — the weights, written in place, and clones of Q, K, V, the
// hidden state and the logits — is all it allocates. A new forward pass
// (another architecture) keeps this shape: Release the layer's workspace,
// Use the residual stream in it, Clone what outlives the layer.
func (m *Model) forward(ids, types []int, cp *capture) (*pass, error) {
	c, n := m.cfg, m.net
	T := len(ids)
	if T == 0 {
		return nil, tensor.Errorf(tensor.ErrValue, "model: no tokens to run; give a prompt")
	}
	if T > c.Context {
		return nil, tensor.Errorf(tensor.ErrValue, "model: %d tokens is longer than the model's context of %d (a start token such as <s> counts); shorten the prompt by %d", T, c.Context, T-c.Context)
	}
	if types != nil && len(types) != T {
		return nil, tensor.Errorf(tensor.ErrValue, "model: %d token types for %d tokens; want one type per token", len(types), T)
	}
	D := c.Dim
	x0 := make([]float32, T*D)
	for i, id := range ids {
		if id < 0 || id >= c.Vocab {
			return nil, tensor.Errorf(tensor.ErrValue, "model: token id %d at position %d is outside the vocabulary [0, %d)", id, i, c.Vocab)
		}
		row := x0[i*D : (i+1)*D]
		n.embedRow(id, D, row)
		if n.pos != nil {
			for j, p := range n.pos[i*D : (i+1)*D] {
				row[j] += p
			}
		}
		if n.types != nil {
			ty := 0
			if types != nil {
				ty = types[i]
			}
			if ty < 0 || ty >= c.TokenTypes {
				return nil, tensor.Errorf(tensor.ErrValue, "model: token type %d at position %d: want 0 to %d", ty, i, c.TokenTypes-1)
			}
			for j, p := range n.types[ty*D : (ty+1)*D] {
				row[j] += p
			}
		}
	}
	ws := n.scratch.get()
	defer n.scratch.put(ws)
	x := ws[0].Use(tensor.Wrap(x0, T, D).To(m.dev))
	if n.embNorm != nil {
		x = x.LayerNorm(n.embNorm, n.embNormB, c.NormEps)
	}
	res := &pass{}
	H, Hkv, hd := c.Heads, c.KVHeads, c.HeadDim
	for l, b := range n.blocks {
		// Layer l's results go to ws[(l+1)%2], which held layer l−2's
		// (dead now: x of layer l−1 lives in the other one).
		w := ws[(l+1)%2]
		w.Release()
		x = w.Use(x)
		h := x
		if !n.postNorm {
			h = m.norm(x, b.attnNorm, b.attnNormB)
		}
		var q, k, v *tensor.Tensor
		if b.qkv != nil {
			// One product, then q, k and v as views of its columns:
			// [T, (H + 2·Hkv)·d] → heads [H, T, d] without copies.
			qkv := b.qkv.Forward(h).Reshape(T, H+2*Hkv, hd)
			q = qkv.Slice(1, 0, H).Permute(1, 0, 2)
			k = qkv.Slice(1, H, H+Hkv).Permute(1, 0, 2)
			v = qkv.Slice(1, H+Hkv, H+2*Hkv).Permute(1, 0, 2)
		} else {
			q = tensor.SplitHeads(b.wq.Forward(h), H)
			k = tensor.SplitHeads(b.wk.Forward(h), Hkv)
			v = tensor.SplitHeads(b.wv.Forward(h), Hkv)
		}
		if !n.ropeNone {
			q, k = m.rope(q), m.rope(k)
		}
		var a *tensor.Attention
		rec := -1 // the layer's row of the record
		if cp != nil {
			rec = slices.Index(cp.layers, l)
		}
		if rec >= 0 && allInOrder(cp.heads, H) {
			a = tensor.AttentionWeightsInto(cp.att.Index(rec), q, k, v, c.Causal)
		} else {
			a = tensor.AttentionWeights(q, k, v, c.Causal)
			if rec >= 0 && a.Err() == nil {
				// some heads: their weights again, written into the record
				// (each with its key/value head: the same numbers)
				qs, ks, vs := make([]*tensor.Tensor, len(cp.heads)), make([]*tensor.Tensor, len(cp.heads)), make([]*tensor.Tensor, len(cp.heads))
				for j, hh := range cp.heads {
					kv := hh / (H / Hkv)
					qs[j], ks[j], vs[j] = q.Index(hh), k.Index(kv), v.Index(kv)
				}
				sel := tensor.AttentionWeightsInto(cp.att.Index(rec), tensor.Stack(qs...), tensor.Stack(ks...), tensor.Stack(vs...), c.Causal)
				if err := sel.Err(); err != nil {
					return nil, fmt.Errorf("model: layer %d attention: %w", l, err)
				}
			}
		}
		if err := a.Err(); err != nil {
			return nil, fmt.Errorf("model: layer %d attention: %w", l, err)
		}
		o := b.wo.Forward(tensor.MergeHeads(m.ablateOutput(l, a.Output)))
		if n.postNorm {
			x = x.Add(o).LayerNorm(b.attnOutNorm, b.attnOutNormB, c.NormEps)
			f := b.down.Forward(b.up.ForwardAct(x, n.ffnAct))
			x = x.Add(f).LayerNorm(b.outNorm, b.outNormB, c.NormEps)
		} else {
			x = x.Add(o)
			h = m.norm(x, b.ffnNorm, b.ffnNormB)
			var f *tensor.Tensor
			if b.gate != nil {
				f = b.down.Forward(b.gate.ForwardAct(h, tensor.ActSiLU).Mul(b.up.Forward(h)))
			} else {
				f = b.down.Forward(b.up.ForwardAct(h, n.ffnAct))
			}
			x = x.Add(f)
		}
		if err := x.Err(); err != nil {
			return nil, fmt.Errorf("model: layer %d: %w", l, err)
		}
		if cp != nil {
			var cq, ck, cv *tensor.Tensor
			if rec >= 0 {
				cq, ck, cv = q.Clone(), k.Clone(), v.Clone()
			} else {
				err := tensor.Errorf(tensor.ErrValue, "model: layer %d was not recorded (the record holds layers %v); run with model.RecordLayers(%d) to record it", l, cp.layers, l)
				cq, ck, cv = tensor.Failed(err), tensor.Failed(err), tensor.Failed(err)
			}
			res.qs, res.ks, res.vs = append(res.qs, cq), append(res.ks, ck), append(res.vs, cv)
		}
		if m.progress != nil {
			m.progress("layer", l+1, c.Layers)
		}
	}
	w := ws[(len(n.blocks)+1)%2]
	w.Release()
	x = w.Use(x)
	res.hidden = x.Clone()
	if n.head != nil {
		res.logits = n.head.Forward(m.norm(x, n.outNorm, n.outNormB)).Clone()
		if err := res.logits.Err(); err != nil {
			return nil, fmt.Errorf("model: output: %w", err)
		}
	}
	return res, nil
}

// rope rotates the queries or keys x [heads, T, d] by their positions, in
// the pairing of the architecture, with llama.cpp's frequencies:
//
//	θᵢ = pos · RopeScale · base^(−2i/d) / freq_factor[i]
//
// (freq_factor from rope_freqs.weight, Llama 3's long-context factors).
func (m *Model) rope(x *tensor.Tensor) *tensor.Tensor {
	c, n := m.cfg, m.net
	scale := c.RopeScale
	if scale == 0 {
		scale = 1
	}
	if n.ropeFreqs == nil && scale == 1 {
		if c.RopeHalf {
			return tensor.RoPEHalf(x, c.RopeBase, 0)
		}
		return tensor.RoPEInterleaved(x, c.RopeBase, 0)
	}
	// The general case on the host: a table of cos/sin per position and pair.
	dev := x.Device()
	hx := x.To(tensor.CPU).Contiguous()
	if err := hx.Err(); err != nil {
		return tensor.Failed(err)
	}
	H, T, d := hx.Dim(0), hx.Dim(1), hx.Dim(2)
	half := d / 2
	cs := make([]float64, T*half)
	sn := make([]float64, T*half)
	for i := 0; i < half; i++ {
		theta := float64(scale) * math.Pow(float64(c.RopeBase), -float64(2*i)/float64(d))
		if n.ropeFreqs != nil {
			theta /= float64(n.ropeFreqs[i])
		}
		for p := 0; p < T; p++ {
			s, co := math.Sincos(float64(p) * theta)
			cs[p*half+i], sn[p*half+i] = co, s
		}
	}
	src := hx.Data()
	out := make([]float32, len(src))
	for h := 0; h < H; h++ {
		for p := 0; p < T; p++ {
			row := src[(h*T+p)*d : (h*T+p+1)*d]
			dst := out[(h*T+p)*d : (h*T+p+1)*d]
			for i := 0; i < half; i++ {
				a, b := 2*i, 2*i+1
				if c.RopeHalf {
					a, b = i, i+half
				}
				co, s := cs[p*half+i], sn[p*half+i]
				x0, x1 := float64(row[a]), float64(row[b])
				dst[a] = float32(x0*co - x1*s)
				dst[b] = float32(x0*s + x1*co)
			}
		}
	}
	return tensor.New(out, H, T, d).To(dev)
}

// allInOrder says whether heads is 0, 1, …, n−1.
func allInOrder(heads []int, n int) bool {
	if len(heads) != n {
		return false
	}
	for i, h := range heads {
		if h != i {
			return false
		}
	}
	return true
}
