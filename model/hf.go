package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// Hugging Face folders: config.json + model.safetensors (or shards listed
// by model.safetensors.index.json) + tokenizer.json, read into the same
// Weights a GGUF file gives. Tensor names are mapped as llama.cpp's
// converter (convert_hf_to_gguf.py, gguf-py's tensor_mapping.py) maps them,
// and the layouts are converted the same way:
//
//	Hugging Face                                   GGUF (Weights)                 conversion
//	gpt2 ([transformer.] prefix optional)
//	  wte.weight                                   token_embd.weight
//	  wpe.weight                                   position_embd.weight
//	  h.N.ln_1.{weight,bias}                       blk.N.attn_norm.*
//	  h.N.attn.c_attn.weight [D, 3D]               blk.N.attn_qkv.weight [3D, D]  Conv1D: transposed
//	  h.N.attn.c_attn.bias                         blk.N.attn_qkv.bias
//	  h.N.attn.c_proj.weight                       blk.N.attn_output.weight       transposed
//	  h.N.ln_2.{weight,bias}                       blk.N.ffn_norm.*
//	  h.N.mlp.c_fc.weight                          blk.N.ffn_up.weight            transposed
//	  h.N.mlp.c_proj.weight                        blk.N.ffn_down.weight          transposed
//	  ln_f.{weight,bias}                           output_norm.*
//	  lm_head.weight                               output.weight (absent: tied)
//	  h.N.attn.bias, h.N.attn.masked_bias          (causal-mask buffers: dropped)
//	llama, qwen2
//	  model.embed_tokens.weight                    token_embd.weight
//	  model.layers.N.input_layernorm.weight        blk.N.attn_norm.weight
//	  model.layers.N.self_attn.q_proj.{weight,bias} blk.N.attn_q.*                llama: rows permuted (heads)
//	  model.layers.N.self_attn.k_proj.{weight,bias} blk.N.attn_k.*                llama: rows permuted (KV heads)
//	  model.layers.N.self_attn.v_proj.{weight,bias} blk.N.attn_v.*
//	  model.layers.N.self_attn.o_proj.weight       blk.N.attn_output.weight
//	  model.layers.N.post_attention_layernorm.weight blk.N.ffn_norm.weight
//	  model.layers.N.mlp.gate_proj.weight          blk.N.ffn_gate.weight
//	  model.layers.N.mlp.up_proj.weight            blk.N.ffn_up.weight
//	  model.layers.N.mlp.down_proj.weight          blk.N.ffn_down.weight
//	  model.norm.weight                            output_norm.weight
//	  lm_head.weight                               output.weight (dropped when tie_word_embeddings)
//	bert ([bert.] prefix optional; LayerNorm gamma/beta = weight/bias)
//	  embeddings.word_embeddings.weight            token_embd.weight
//	  embeddings.position_embeddings.weight        position_embd.weight
//	  embeddings.token_type_embeddings.weight      token_types.weight
//	  embeddings.LayerNorm.*                       token_embd_norm.*
//	  encoder.layer.N.attention.self.{query,key,value}.* blk.N.attn_{q,k,v}.*
//	  encoder.layer.N.attention.output.dense.*     blk.N.attn_output.*
//	  encoder.layer.N.attention.output.LayerNorm.* blk.N.attn_output_norm.*
//	  encoder.layer.N.intermediate.dense.*         blk.N.ffn_up.*
//	  encoder.layer.N.output.dense.*               blk.N.ffn_down.*
//	  encoder.layer.N.output.LayerNorm.*           blk.N.layer_output_norm.*
//	  pooler.*, cls.*, embeddings.position_ids     (not used for attention: dropped)
//
// The llama permutation is llama.cpp's: within each head the rows are
// reordered from Hugging Face's halves (i, i+d/2) to interleaved pairs
// (2i, 2i+1), so the model uses the interleaved RoPE on either format.
// Qwen2 keeps Hugging Face's order (llama.cpp runs it with NEOX RoPE).
// Tensor names not in the table are ignored.

// hfConfig is the part of config.json the four architectures use.
type hfConfig struct {
	ModelType     string   `json:"model_type"`
	Architectures []string `json:"architectures"`
	// gpt2
	NEmbd     *int     `json:"n_embd"`
	NLayer    *int     `json:"n_layer"`
	NHead     *int     `json:"n_head"`
	NPos      *int     `json:"n_positions"`
	NCtx      *int     `json:"n_ctx"`
	NInner    *int     `json:"n_inner"`
	LNEps     *float64 `json:"layer_norm_epsilon"`
	ActFn     *string  `json:"activation_function"`
	VocabSize *int     `json:"vocab_size"`
	// llama, qwen2, bert
	Hidden       *int            `json:"hidden_size"`
	Layers       *int            `json:"num_hidden_layers"`
	Heads        *int            `json:"num_attention_heads"`
	KVHeads      *int            `json:"num_key_value_heads"`
	HeadDim      *int            `json:"head_dim"`
	Inter        *int            `json:"intermediate_size"`
	MaxPos       *int            `json:"max_position_embeddings"`
	RMSEps       *float64        `json:"rms_norm_eps"`
	RopeTheta    *float64        `json:"rope_theta"`
	RopeScaling  json.RawMessage `json:"rope_scaling"`
	Tie          *bool           `json:"tie_word_embeddings"`
	HiddenAct    *string         `json:"hidden_act"`
	TypeVocab    *int            `json:"type_vocab_size"`
	LayerNormEps *float64        `json:"layer_norm_eps"`
}

// hfArchOf names the architecture of a config.json.
func hfArchOf(c *hfConfig) string {
	switch c.ModelType {
	case "gpt2", "llama", "qwen2", "bert":
		return c.ModelType
	}
	for _, a := range c.Architectures {
		switch {
		case strings.HasPrefix(a, "GPT2"):
			return "gpt2"
		case strings.HasPrefix(a, "Llama"):
			return "llama"
		case strings.HasPrefix(a, "Qwen2") && !strings.HasPrefix(a, "Qwen2Moe") && !strings.HasPrefix(a, "Qwen2VL"):
			return "qwen2"
		case strings.HasPrefix(a, "Bert"):
			return "bert"
		}
	}
	return ""
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s is not valid JSON: %v", filepath.Base(path), err)
	}
	return nil
}

// readHF reads a Hugging Face folder.
func readHF(dir string) (*Weights, error) {
	cfgPath := filepath.Join(dir, "config.json")
	if _, err := os.Stat(cfgPath); err != nil {
		return nil, tensor.Errorf(tensor.ErrNotFound, "model: %s is a folder without config.json; a Hugging Face model folder has config.json, model.safetensors and tokenizer.json", dir)
	}
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, tensor.Errorf(tensor.ErrNotFound, "model: cannot read %s: %v", cfgPath, err)
	}
	c, ropeFreqs, err := parseHFConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	c.Name = filepath.Base(filepath.Clean(dir))
	src, err := openHFTensors(dir)
	if err != nil {
		return nil, err
	}
	if err := src.mapNames(c); err != nil {
		return nil, err
	}
	if ropeFreqs != nil {
		src.byName["rope_freqs.weight"] = &hfTensor{hfName: "(rope_scaling in config.json)", shape: []int{len(ropeFreqs)}, computed: ropeFreqs}
	}
	ti, _, ok := src.info("token_embd.weight")
	if !ok || len(ti) != 2 || ti[1] != c.Dim {
		return nil, tensor.Errorf(tensor.ErrFormat, "model: %s: the weights have no token embedding of [vocab, %d] (%s); config.json and the weights do not match", dir, c.Dim, hfEmbedName(c.Arch))
	}
	if c.Vocab > 0 && c.Vocab != ti[0] {
		return nil, tensor.Errorf(tensor.ErrFormat, "model: %s: config.json says vocab_size %d but the token embedding has %d rows; config.json and the weights do not match", dir, c.Vocab, ti[0])
	}
	c.Vocab = ti[0]
	if c.Arch == "llama" || c.Arch == "qwen2" {
		if c.TiedEmbeddings {
			delete(src.byName, "output.weight")
		}
		_, hasOut := src.byName["output.weight"]
		c.TiedEmbeddings = !hasOut
	} else if c.Arch == "gpt2" {
		_, hasOut := src.byName["output.weight"]
		c.TiedEmbeddings = !hasOut
	}
	if err := checkTensors(*c, src, dir); err != nil {
		return nil, err
	}
	tokPath := filepath.Join(dir, "tokenizer.json")
	tb, err := os.ReadFile(tokPath)
	if err != nil {
		return nil, tensor.Errorf(tensor.ErrNotFound, "model: %s has no tokenizer.json (%v); attnviz reads the tokenizer from it — save it with tokenizer.save_pretrained(folder)", dir, notExistMsg(err))
	}
	tok, err := ParseTokenizerJSON(tb, c.Vocab)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tokPath, err)
	}
	setHFSpecials(tok, raw)
	return &Weights{Config: *c, Tokenizer: tok, Format: "hf", Path: dir, src: src}, nil
}

func hfEmbedName(arch string) string {
	switch arch {
	case "gpt2":
		return "wte.weight"
	case "bert":
		return "embeddings.word_embeddings.weight"
	}
	return "model.embed_tokens.weight"
}

// ParseHFConfig reads a Hugging Face config.json of a gpt2, llama, qwen2
// or bert model into a Config (Vocab is vocab_size; the tensors are not
// consulted).
func ParseHFConfig(raw []byte) (*Config, error) {
	c, _, err := parseHFConfig(raw)
	return c, err
}

// parseHFConfig is ParseHFConfig, also giving Llama 3's rope_freqs factors
// when rope_scaling asks for them.
func parseHFConfig(raw []byte) (c *Config, ropeFreqs []float32, err error) {
	var h hfConfig
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, nil, tensor.Errorf(tensor.ErrFormat, "model: config.json is not valid JSON: %v", err)
	}
	arch := hfArchOf(&h)
	if arch == "" {
		what := h.ModelType
		if what == "" && len(h.Architectures) > 0 {
			what = h.Architectures[0]
		}
		return nil, nil, tensor.Errorf(tensor.ErrFormat, "model: config.json describes a %q model; supported are %s (model_type)", what, quoted(Architectures))
	}
	c = &Config{Arch: arch, Causal: true}
	// need copies the required fields, the first missing one an error
	type field struct {
		key string
		v   *int
		dst *int
	}
	need := func(fields ...field) error {
		for _, f := range fields {
			if f.v == nil || *f.v <= 0 {
				return tensor.Errorf(tensor.ErrFormat, "model: config.json has no positive %s; a %s config needs it", f.key, arch)
			}
			*f.dst = *f.v
		}
		return nil
	}
	opt := func(v *int, def int) int {
		if v != nil && *v > 0 {
			return *v
		}
		return def
	}
	optf := func(v *float64, def float32) float32 {
		if v != nil && *v > 0 {
			return float32(*v)
		}
		return def
	}
	switch arch {
	case "gpt2":
		if err := need(field{"n_embd", h.NEmbd, &c.Dim}, field{"n_layer", h.NLayer, &c.Layers}, field{"n_head", h.NHead, &c.Heads}); err != nil {
			return nil, nil, err
		}
		c.FFN = opt(h.NInner, 4*c.Dim)
		c.Context = opt(h.NPos, opt(h.NCtx, 1024))
		c.NormEps = optf(h.LNEps, 1e-5)
		c.Act = "gelu_tanh"
		if h.ActFn != nil && *h.ActFn != "gelu_new" && *h.ActFn != "gelu_pytorch_tanh" {
			c.Act = hfAct(*h.ActFn)
		}
	case "llama", "qwen2", "bert":
		if err := need(field{"hidden_size", h.Hidden, &c.Dim}, field{"num_hidden_layers", h.Layers, &c.Layers},
			field{"num_attention_heads", h.Heads, &c.Heads}, field{"intermediate_size", h.Inter, &c.FFN}); err != nil {
			return nil, nil, err
		}
		c.KVHeads = opt(h.KVHeads, c.Heads)
		c.HeadDim = opt(h.HeadDim, 0)
		c.Context = opt(h.MaxPos, 2048)
		if arch == "bert" {
			c.Causal = false
			c.NormEps = optf(h.LayerNormEps, 1e-12)
			c.TokenTypes = opt(h.TypeVocab, 2)
			c.Act = "gelu"
			if h.HiddenAct != nil {
				c.Act = hfAct(*h.HiddenAct)
			}
			break
		}
		c.NormEps = optf(h.RMSEps, 1e-6)
		c.RopeBase = optf(h.RopeTheta, 10000)
		c.RopeHalf = arch == "qwen2"
		c.Act = "silu"
		c.TiedEmbeddings = h.Tie != nil && *h.Tie
		c.RopeScale = 1
		if len(h.RopeScaling) > 0 && string(h.RopeScaling) != "null" {
			var rs struct {
				Type     string   `json:"type"`
				RopeType string   `json:"rope_type"`
				Factor   *float64 `json:"factor"`
				Low      *float64 `json:"low_freq_factor"`
				High     *float64 `json:"high_freq_factor"`
				Orig     *float64 `json:"original_max_position_embeddings"`
			}
			if err := json.Unmarshal(h.RopeScaling, &rs); err != nil {
				return nil, nil, tensor.Errorf(tensor.ErrFormat, "model: config.json rope_scaling must be an object: %v", err)
			}
			kind := rs.RopeType
			if kind == "" {
				kind = rs.Type
			}
			get := func(v *float64, def float64) float64 {
				if v != nil {
					return *v
				}
				return def
			}
			switch kind {
			case "", "default":
			case "linear":
				f := get(rs.Factor, 0)
				if !(f > 0) {
					return nil, nil, tensor.Errorf(tensor.ErrFormat, "model: config.json rope_scaling is linear without a positive factor")
				}
				c.RopeScale = float32(1 / f)
			case "llama3":
				if arch != "llama" {
					return nil, nil, tensor.Errorf(tensor.ErrFormat, "model: config.json asks for llama3 rope_scaling in a %s model", arch)
				}
				hd := c.Dim / c.Heads
				if h.HeadDim != nil && *h.HeadDim > 0 {
					hd = *h.HeadDim
				}
				freqs, err := llama3RopeFactors(float64(c.RopeBase), hd, get(rs.Factor, 8), get(rs.Low, 1), get(rs.High, 4), get(rs.Orig, 8192))
				if err != nil {
					return nil, nil, err
				}
				ropeFreqs = freqs
			default:
				return nil, nil, tensor.Errorf(tensor.ErrFormat, "model: config.json asks for rope_scaling %q, which attnviz does not apply (linear and llama3 are)", kind)
			}
		}
	}
	c.Vocab = opt(h.VocabSize, 0)
	if arch == "gpt2" && c.Act != "gelu_tanh" {
		return nil, nil, tensor.Errorf(tensor.ErrFormat, "model: gpt2 with activation_function %q; attnviz runs GPT-2's gelu_new", *h.ActFn)
	}
	if err := checkConfig(c); err != nil {
		return nil, nil, err
	}
	return c, ropeFreqs, nil
}

// llama3RopeFactors are the per-frequency divisors llama.cpp's converter
// writes as rope_freqs.weight for Llama 3.1+ rope_scaling: 1 for short
// wavelengths, factor for long ones, a smooth blend between.
func llama3RopeFactors(base float64, headDim int, factor, low, high, orig float64) ([]float32, error) {
	if !(factor > 0) || !(low > 0) || !(high > low) || !(orig > 0) || headDim < 2 {
		return nil, tensor.Errorf(tensor.ErrFormat, "model: config.json llama3 rope_scaling: factor %g, low_freq_factor %g, high_freq_factor %g, original_max_position_embeddings %g: want positive values with high > low", factor, low, high, orig)
	}
	lowWave, highWave := orig/low, orig/high
	out := make([]float32, headDim/2)
	for i := range out {
		freq := 1 / math.Pow(base, float64(2*i)/float64(headDim))
		wave := 2 * math.Pi / freq
		switch {
		case wave < highWave:
			out[i] = 1
		case wave > lowWave:
			out[i] = float32(factor)
		default:
			smooth := (orig/wave - low) / (high - low)
			out[i] = float32(1 / ((1-smooth)/factor + smooth))
		}
	}
	return out, nil
}

// hfAct maps a hidden_act name to Config.Act.
func hfAct(s string) string {
	switch s {
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
		return "gelu_tanh"
	}
	return s
}

// hfTensor is one tensor of the folder, under its GGUF name.
type hfTensor struct {
	computed []float32 // made from config.json (Llama 3's rope_freqs), not stored
	file     *tensor.SafetensorsFile
	hfName   string
	shape    []int // GGUF shape
	conv1D   bool  // stored [in, out]: transposed to [out, in]
	permute  int   // llama q/k: heads for the row permutation (0: none)
}

type hfSource struct {
	dir    string
	files  map[string]*tensor.SafetensorsFile // by file name
	hf     map[string]*tensor.SafetensorsFile // HF tensor name → file
	byName map[string]*hfTensor
}

// openHFTensors reads model.safetensors, or every shard named by
// model.safetensors.index.json.
func openHFTensors(dir string) (*hfSource, error) {
	s := &hfSource{dir: dir, files: map[string]*tensor.SafetensorsFile{}, hf: map[string]*tensor.SafetensorsFile{}}
	load := func(name string) (*tensor.SafetensorsFile, error) {
		if f, ok := s.files[name]; ok {
			return f, nil
		}
		if name != filepath.Base(name) || name == "." || name == ".." {
			return nil, tensor.Errorf(tensor.ErrFormat, "model: the shard name %q is not a file name in the folder", name)
		}
		f := tensor.LoadSafetensors(filepath.Join(dir, name))
		if err := f.Err(); err != nil {
			return nil, err
		}
		s.files[name] = f
		return f, nil
	}
	index := filepath.Join(dir, "model.safetensors.index.json")
	if _, err := os.Stat(index); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := readJSON(index, &idx); err != nil {
			return nil, tensor.Errorf(tensor.ErrFormat, "model: %v", err)
		}
		if len(idx.WeightMap) == 0 {
			return nil, tensor.Errorf(tensor.ErrFormat, "model: %s has no weight_map; it lists no tensors", index)
		}
		for _, n := range slices.Sorted(maps.Keys(idx.WeightMap)) {
			f, err := load(idx.WeightMap[n])
			if err != nil {
				return nil, err
			}
			if f.Shape(n) == nil {
				return nil, tensor.Errorf(tensor.ErrFormat, "model: model.safetensors.index.json puts %q in %s, but that shard has no such tensor; the index and the shards do not match", n, idx.WeightMap[n])
			}
			s.hf[n] = f
		}
		return s, nil
	}
	single := filepath.Join(dir, "model.safetensors")
	if _, err := os.Stat(single); err != nil {
		hint := ""
		if _, err := os.Stat(filepath.Join(dir, "pytorch_model.bin")); err == nil {
			hint = " (it has pytorch_model.bin: save the model with safe_serialization=True)"
		}
		return nil, tensor.Errorf(tensor.ErrNotFound, "model: %s has neither model.safetensors nor model.safetensors.index.json%s", dir, hint)
	}
	f, err := load("model.safetensors")
	if err != nil {
		return nil, err
	}
	for _, n := range f.Names() {
		s.hf[n] = f
	}
	return s, nil
}

var layerRE = regexp.MustCompile(`^(.*?)\.(\d+)\.(.*)$`)

// hfMapName maps a Hugging Face tensor name to its GGUF name (ok false:
// not used).
func hfMapName(arch, name string) (gguf string, conv1D bool, ok bool) {
	switch arch {
	case "gpt2":
		name = strings.TrimPrefix(name, "transformer.")
		switch name {
		case "wte.weight":
			return "token_embd.weight", false, true
		case "wpe.weight":
			return "position_embd.weight", false, true
		case "ln_f.weight", "ln_f.bias":
			return "output_norm." + name[len("ln_f."):], false, true
		case "lm_head.weight":
			return "output.weight", false, true
		}
		m := layerRE.FindStringSubmatch(name)
		if m == nil || m[1] != "h" {
			return "", false, false
		}
		p := "blk." + m[2] + "."
		parts := map[string]string{
			"ln_1": "attn_norm", "ln_2": "ffn_norm", "attn.c_attn": "attn_qkv",
			"attn.c_proj": "attn_output", "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down",
		}
		if hf, g, suffix, ok := layerPart(m[3], parts); ok {
			return p + g + "." + suffix, suffix == "weight" && hf != "ln_1" && hf != "ln_2", true
		}
	case "llama", "qwen2":
		switch name {
		case "model.embed_tokens.weight":
			return "token_embd.weight", false, true
		case "model.norm.weight":
			return "output_norm.weight", false, true
		case "lm_head.weight":
			return "output.weight", false, true
		}
		m := layerRE.FindStringSubmatch(name)
		if m == nil || m[1] != "model.layers" {
			return "", false, false
		}
		parts := map[string]string{
			"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
			"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
			"self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
			"mlp.down_proj": "ffn_down",
		}
		if _, g, suffix, ok := layerPart(m[3], parts); ok {
			return "blk." + m[2] + "." + g + "." + suffix, false, true
		}
	case "bert":
		name = strings.TrimPrefix(name, "bert.")
		name = strings.Replace(strings.Replace(name, "LayerNorm.gamma", "LayerNorm.weight", 1), "LayerNorm.beta", "LayerNorm.bias", 1)
		for hf, g := range map[string]string{
			"embeddings.word_embeddings.":       "token_embd.",
			"embeddings.position_embeddings.":   "position_embd.",
			"embeddings.token_type_embeddings.": "token_types.",
			"embeddings.LayerNorm.":             "token_embd_norm.",
		} {
			if strings.HasPrefix(name, hf) {
				return g + name[len(hf):], false, true
			}
		}
		m := layerRE.FindStringSubmatch(name)
		if m == nil || m[1] != "encoder.layer" {
			return "", false, false
		}
		parts := map[string]string{
			"attention.self.query": "attn_q", "attention.self.key": "attn_k", "attention.self.value": "attn_v",
			"attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
			"intermediate.dense": "ffn_up", "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm",
		}
		if _, g, suffix, ok := layerPart(m[3], parts); ok {
			return "blk." + m[2] + "." + g + "." + suffix, false, true
		}
	}
	return "", false, false
}

// layerPart maps the rest of a layer tensor's name, "<part>.weight" or
// "<part>.bias", with parts (Hugging Face part → GGUF part): ok is false
// when no part matches or the suffix is neither.
func layerPart(rest string, parts map[string]string) (hf, gguf, suffix string, ok bool) {
	for hf, g := range parts {
		if strings.HasPrefix(rest, hf+".") {
			suffix := rest[len(hf)+1:]
			if suffix != "weight" && suffix != "bias" {
				return "", "", "", false
			}
			return hf, g, suffix, true
		}
	}
	return "", "", "", false
}

// mapNames builds the GGUF-named view of the folder's tensors.
func (s *hfSource) mapNames(c *Config) error {
	s.byName = map[string]*hfTensor{}
	for _, n := range slices.Sorted(maps.Keys(s.hf)) {
		g, conv, ok := hfMapName(c.Arch, n)
		if !ok {
			continue
		}
		if prev, dup := s.byName[g]; dup {
			return tensor.Errorf(tensor.ErrFormat, "model: %s: tensors %q and %q both map to %s; the folder holds two copies of a weight", s.dir, prev.hfName, n, g)
		}
		f := s.hf[n]
		shape := f.Shape(n)
		if dt := f.Dtype(n); dt != "F32" && dt != "F16" && dt != "BF16" && dt != "F64" {
			return tensor.Errorf(tensor.ErrFormat, "model: %s: tensor %q is %s; attnviz reads F32, F16, BF16 and F64 safetensors", s.dir, n, dt)
		}
		t := &hfTensor{file: f, hfName: n, shape: shape}
		if conv {
			if len(shape) != 2 {
				return tensor.Errorf(tensor.ErrFormat, "model: %s: %q is %v; a GPT-2 Conv1D weight is 2-D", s.dir, n, shape)
			}
			t.conv1D = true
			t.shape = []int{shape[1], shape[0]}
		}
		if c.Arch == "llama" {
			switch {
			case strings.Contains(g, ".attn_q."):
				t.permute = c.Heads
			case strings.Contains(g, ".attn_k."):
				t.permute = c.KVHeads
			}
		}
		s.byName[g] = t
	}
	return nil
}

func (s *hfSource) names() []string {
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	return out
}

func (s *hfSource) info(name string) ([]int, string, bool) {
	t, ok := s.byName[name]
	if !ok {
		return nil, "", false
	}
	if t.computed != nil {
		return append([]int(nil), t.shape...), "F32", true
	}
	return append([]int(nil), t.shape...), t.file.Dtype(t.hfName), true
}

// tensor serves, without a copy beyond the decoding itself, a tensor whose
// stored layout is already the one asked for, and a transposition by one
// copy; permuted rows go through decode.
func (s *hfSource) tensor(name string, transpose bool) (*tensor.Tensor, bool) {
	t, ok := s.byName[name]
	if !ok || t.computed != nil || t.permute > 0 {
		return nil, false
	}
	x := t.file.Tensor(t.hfName)
	if x.Err() != nil || x.Rank() != 2 || t.conv1D == transpose {
		return x, true // already in the wanted layout (or carrying its error)
	}
	return x.T().Contiguous(), true
}

// decode reads the tensor and converts it to the GGUF layout: Conv1D
// weights transposed, llama q/k rows permuted.
func (s *hfSource) decode(name string, transpose bool) ([]float32, error) {
	t, ok := s.byName[name]
	if !ok {
		return nil, tensor.Errorf(tensor.ErrNotFound, "model: no tensor %q", name)
	}
	if t.computed != nil {
		return append([]float32(nil), t.computed...), nil
	}
	x := t.file.Tensor(t.hfName)
	data, err := x.DataErr()
	if err != nil {
		return nil, err
	}
	if t.permute > 0 {
		if data, err = permuteRows(data, t.shape, t.permute); err != nil {
			return nil, fmt.Errorf("model: %s (%s): %w", name, t.hfName, err)
		}
	}
	// data is stored [in, out] for Conv1D, [out, in] otherwise.
	stored2D := len(t.shape) == 2
	switch {
	case !stored2D:
		return data, nil
	case t.conv1D == transpose:
		return data, nil // already in the wanted layout
	}
	// swap the two dimensions of the stored layout
	r, c := t.shape[0], t.shape[1] // GGUF [out, in]
	if t.conv1D {
		r, c = c, r // stored [in, out]
	}
	out := make([]float32, len(data))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = data[i*c+j]
		}
	}
	return out, nil
}

func (s *hfSource) close() error { return nil }

// permuteRows is llama.cpp's permute(w, n_head): within each head of
// shape[0]/heads rows, row s·(d/2)+i moves to 2i+s — Hugging Face's
// rotate-half order becomes the interleaved order.
func permuteRows(data []float32, shape []int, heads int) ([]float32, error) {
	rows := shape[0]
	if heads <= 0 || rows%heads != 0 || (rows/heads)%2 != 0 {
		return nil, tensor.Errorf(tensor.ErrShape, "%d rows do not split into %d heads of an even size", rows, heads)
	}
	cols := len(data) / rows
	hd := rows / heads
	out := make([]float32, len(data))
	for h := 0; h < heads; h++ {
		for s := 0; s < 2; s++ {
			for i := 0; i < hd/2; i++ {
				src := h*hd + s*hd/2 + i
				dst := h*hd + 2*i + s
				copy(out[dst*cols:(dst+1)*cols], data[src*cols:(src+1)*cols])
			}
		}
	}
	return out, nil
}

// ---- tokenizer.json ------------------------------------------------------------

// hfTokenizerJSON is the part of tokenizer.json attnviz reads.
type hfTokenizerJSON struct {
	Model struct {
		Type           string          `json:"type"`
		Vocab          json.RawMessage `json:"vocab"`
		Merges         json.RawMessage `json:"merges"`
		ByteFallback   bool            `json:"byte_fallback"`
		IgnoreMerges   bool            `json:"ignore_merges"`
		UnkToken       *string         `json:"unk_token"`
		ContinuingPref *string         `json:"continuing_subword_prefix"`
	} `json:"model"`
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
}

// hfComponent is a normalizer, pre-tokenizer or post-processor entry.
type hfComponent struct {
	Type                string          `json:"type"`
	Pretokenizers       []hfComponent   `json:"pretokenizers"`
	Normalizers         []hfComponent   `json:"normalizers"`
	Processors          []hfComponent   `json:"processors"`
	Pattern             json.RawMessage `json:"pattern"`
	Content             string          `json:"content"`
	Prepend             string          `json:"prepend"`
	Behavior            string          `json:"behavior"`
	Invert              bool            `json:"invert"`
	UseRegex            *bool           `json:"use_regex"`
	AddPrefixSpace      *bool           `json:"add_prefix_space"`
	IndividualDigits    bool            `json:"individual_digits"`
	Replacement         string          `json:"replacement"`
	PrependScheme       string          `json:"prepend_scheme"`
	Split               *bool           `json:"split"`
	Lowercase           *bool           `json:"lowercase"`
	StripAccents        *bool           `json:"strip_accents"`
	Single              json.RawMessage `json:"single"`
	SpecialTokensByName json.RawMessage `json:"special_tokens"`
}

// ParseTokenizerJSON reads a Hugging Face tokenizer.json: byte-level BPE
// (GPT-2, Llama 3, Qwen2, SmolLM pre-tokenizers), SentencePiece-style BPE
// with byte fallback (Llama 2, TinyLlama) or WordPiece (BERT). A vocab
// size larger than the vocabulary (the embedding rows) is filled with
// unused [PADn] tokens, as llama.cpp's converter does; 0 keeps the size.
func ParseTokenizerJSON(raw []byte, vocabSize int) (Tokenizer, error) {
	var j hfTokenizerJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json is not valid JSON: %v", err)
	}
	var vocab map[string]int
	if len(j.Model.Vocab) == 0 || json.Unmarshal(j.Model.Vocab, &vocab) != nil || len(vocab) == 0 {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json has no model.vocab object of token → id; model.type %q is not one attnviz reads (BPE, WordPiece)", j.Model.Type)
	}
	n := vocabSize
	for _, id := range vocab {
		if id < 0 || id > 1<<24 {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json has token id %d; want 0 … 16777216", id)
		}
		n = max(n, id+1)
	}
	for _, a := range j.AddedTokens {
		if a.ID < 0 || a.ID > 1<<24 {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json has added token id %d; want 0 … 16777216", a.ID)
		}
		n = max(n, a.ID+1)
	}
	if vocabSize > 0 && n > vocabSize {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json has %d tokens but the model's embedding only %d rows; the tokenizer and the weights do not match", n, vocabSize)
	}
	toks := make([]string, n)
	types := make([]int, n)
	set := make([]bool, n)
	for s, id := range vocab {
		toks[id], types[id], set[id] = s, tokNormal, true
	}
	special := map[string]int{}
	for _, a := range j.AddedTokens {
		toks[a.ID], set[a.ID] = a.Content, true
		if a.Special {
			types[a.ID] = tokControl
			special[a.Content] = a.ID
		} else {
			types[a.ID] = tokUserDefined
		}
	}
	for i := range toks {
		if !set[i] {
			toks[i], types[i] = "[PAD"+strconv.Itoa(i)+"]", tokUnused
		}
	}
	var unk = -1
	if j.Model.UnkToken != nil {
		if id, ok := vocab[*j.Model.UnkToken]; ok {
			unk = id
		} else if id, ok := special[*j.Model.UnkToken]; ok {
			unk = id
		}
		if unk >= 0 && types[unk] == tokNormal {
			types[unk] = tokUnknown
		}
	}
	var tok Tokenizer
	var err error
	switch j.Model.Type {
	case "BPE", "":
		tok, err = hfBPE(&j, toks, types)
	case "WordPiece":
		tok, err = hfWordPiece(&j, toks, types)
	default:
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json model.type %q is not supported (BPE and WordPiece are)", j.Model.Type)
	}
	if err != nil {
		return nil, err
	}
	v := vocabOf(tok)
	if unk >= 0 {
		v.spec.UNK = unk
	}
	applyPostProcessor(v, j.PostProcessor)
	return tok, nil
}

func vocabOf(t Tokenizer) *vocab {
	switch t := t.(type) {
	case *BPE:
		return t.vocab
	case *WordPiece:
		return t.vocab
	case *SentencePiece:
		return t.vocab
	}
	return nil
}

func parseComponent(raw json.RawMessage) (*hfComponent, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var c hfComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// regexPattern reads a Split pre-tokenizer's {"Regex": "..."} or
// {"String": "..."}.
func regexPattern(raw json.RawMessage) string {
	var p struct{ Regex, String string }
	json.Unmarshal(raw, &p)
	if p.Regex != "" {
		return p.Regex
	}
	return p.String
}

// hfPreName names the pre-tokenizer a tokenizer.json describes, as
// llama.cpp's tokenizer.ggml.pre does, or says what it is not.
func hfPreName(pre *hfComponent) (string, error) {
	if pre == nil {
		return "", nil
	}
	steps := []hfComponent{*pre}
	if pre.Type == "Sequence" {
		steps = pre.Pretokenizers
	}
	var kinds []string
	for _, s := range steps {
		kinds = append(kinds, s.Type)
	}
	byteLevel := func(s hfComponent) bool {
		return s.Type == "ByteLevel" && (s.AddPrefixSpace == nil || !*s.AddPrefixSpace)
	}
	switch {
	case len(steps) == 1 && byteLevel(steps[0]) && (steps[0].UseRegex == nil || *steps[0].UseRegex):
		return "gpt-2", nil
	case len(steps) == 2 && steps[0].Type == "Digits" && steps[0].IndividualDigits && byteLevel(steps[1]) && (steps[1].UseRegex == nil || *steps[1].UseRegex):
		return "smollm", nil
	case len(steps) == 2 && steps[0].Type == "Split" && !steps[0].Invert && byteLevel(steps[1]) && steps[1].UseRegex != nil && !*steps[1].UseRegex:
		p := regexPattern(steps[0].Pattern)
		for name, exprs := range BPEPreTokenizers {
			if len(exprs) == 1 && exprs[0] == p && name != "gpt-2" {
				return name, nil
			}
		}
		return "", tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json splits with the regex %q, which is not one of the pre-tokenizers attnviz knows (%s)", p, preNames())
	}
	return "", tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json's pre_tokenizer (%s) is not one of the pre-tokenizers attnviz knows (%s)", strings.Join(kinds, " + "), preNames())
}

func hfBPE(j *hfTokenizerJSON, toks []string, types []int) (*BPE, error) {
	var merges []string
	if len(j.Model.Merges) > 0 {
		if err := json.Unmarshal(j.Model.Merges, &merges); err != nil {
			var pairs [][2]string
			if err := json.Unmarshal(j.Model.Merges, &pairs); err != nil {
				return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json model.merges must be a list of \"a b\" strings or [a, b] pairs")
			}
			merges = make([]string, len(pairs))
			for i, p := range pairs {
				merges[i] = p[0] + " " + p[1]
			}
		}
	}
	pre, err := parseComponent(j.PreTokenizer)
	if err != nil {
		return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json pre_tokenizer: %v", err)
	}
	v, err := newVocab(toks, types)
	if err != nil {
		return nil, err
	}
	t := &BPE{vocab: v}
	if pre == nil || pre.Type == "Metaspace" {
		// SentencePiece kind: the normalizer (older files) or a Metaspace
		// pre-tokenizer that does not split (newer ones) turns spaces into
		// "▁" and prepends one; characters missing from the vocabulary
		// become <0xXX> byte tokens.
		norm, _ := parseComponent(j.Normalizer)
		spmLike := pre == nil && norm != nil && spmNormalizer(norm)
		if pre != nil {
			spmLike = pre.Replacement == spaceMark && pre.Split != nil && !*pre.Split &&
				(pre.PrependScheme == "first" || pre.PrependScheme == "always")
		}
		if !spmLike || !j.Model.ByteFallback {
			return nil, tensor.Errorf(tensor.ErrFormat, "tokenizer: tokenizer.json is a BPE that is neither byte-level nor SentencePiece-style (spaces as \"▁\" by a normalizer or a Metaspace pre-tokenizer with split false, and byte_fallback); attnviz cannot tokenize with it")
		}
		t.spm = true
		for i := range t.bytes {
			t.bytes[i] = -1
		}
		for i, s := range toks {
			if b, ok := parseByteToken(s); ok && t.bytes[b] < 0 {
				t.bytes[b] = i
				types[i] = tokByte
			}
		}
	} else {
		name, err := hfPreName(pre)
		if err != nil {
			return nil, err
		}
		split, _, _, _ := preSplitter(name)
		t.Pre, t.split, t.byteLevel = name, split, true
		t.ignoreMerges = j.Model.IgnoreMerges || name == "llama-bpe"
	}
	if err := t.setMerges(merges); err != nil {
		return nil, err
	}
	return t, nil
}

// spmNormalizer recognises Llama 2's normalizer: Prepend("▁") and
// Replace(" ", "▁"), alone or in a Sequence.
func spmNormalizer(n *hfComponent) bool {
	steps := []hfComponent{*n}
	if n.Type == "Sequence" {
		steps = n.Normalizers
	}
	for _, s := range steps {
		if s.Type == "Replace" && regexPattern(s.Pattern) == " " && s.Content == spaceMark {
			return true
		}
	}
	return false
}

func hfWordPiece(j *hfTokenizerJSON, toks []string, types []int) (*WordPiece, error) {
	prefix := "##"
	if j.Model.ContinuingPref != nil {
		prefix = *j.Model.ContinuingPref
	}
	// llama.cpp's convention: word-start pieces carry "▁", continuation
	// pieces lose their prefix, bracketed specials stay as they are.
	conv := make([]string, len(toks))
	for i, s := range toks {
		switch {
		case types[i] != tokNormal || strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
			conv[i] = s
		case prefix != "" && strings.HasPrefix(s, prefix):
			conv[i] = s[len(prefix):]
		default:
			conv[i] = spaceMark + s
		}
	}
	v, err := newVocab(conv, types)
	if err != nil {
		return nil, err
	}
	t := &WordPiece{vocab: v, Lowercase: true, StripAccents: true}
	if norm, _ := parseComponent(j.Normalizer); norm != nil && norm.Type == "BertNormalizer" {
		if norm.Lowercase != nil {
			t.Lowercase = *norm.Lowercase
		}
		t.StripAccents = t.Lowercase
		if norm.StripAccents != nil {
			t.StripAccents = *norm.StripAccents
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"[CLS]", &t.spec.BOS}, {"[SEP]", &t.spec.SEP}, {"[PAD]", &t.spec.PAD}, {"[MASK]", &t.spec.MASK}, {"[UNK]", &t.spec.UNK}} {
		if id, ok := v.lookup[p.name]; ok {
			*p.dst = id
		}
	}
	t.spec.AddBOS, t.spec.AddSEP = t.spec.BOS >= 0, t.spec.SEP >= 0
	return t, nil
}

// applyPostProcessor reads which special tokens a TemplateProcessing adds
// around a single sequence ("<s> $A", "[CLS] $A [SEP]").
func applyPostProcessor(v *vocab, raw json.RawMessage) {
	pp, err := parseComponent(raw)
	if err != nil || pp == nil {
		return
	}
	if pp.Type == "Sequence" {
		for _, p := range pp.Processors {
			if p.Type == "TemplateProcessing" {
				pp = &p
				break
			}
		}
	}
	if pp.Type != "TemplateProcessing" {
		return
	}
	var single []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	}
	if json.Unmarshal(pp.Single, &single) != nil {
		return
	}
	seen := false
	v.spec.AddBOS, v.spec.AddEOS, v.spec.AddSEP = false, false, false
	for _, s := range single {
		if s.Sequence != nil {
			seen = true
			continue
		}
		if s.SpecialToken == nil {
			continue
		}
		id, ok := v.lookup[s.SpecialToken.ID]
		if !ok {
			continue
		}
		if !seen {
			v.spec.BOS, v.spec.AddBOS = id, true
		} else if v.spec.SEP == id || s.SpecialToken.ID == "[SEP]" {
			v.spec.SEP, v.spec.AddSEP = id, true
		} else {
			v.spec.EOS, v.spec.AddEOS = id, true
		}
	}
}

// setHFSpecials takes BOS/EOS from config.json's bos_token_id and
// eos_token_id where the tokenizer did not name them.
func setHFSpecials(t Tokenizer, cfg []byte) {
	v := vocabOf(t)
	var h struct {
		BOS json.RawMessage `json:"bos_token_id"`
		EOS json.RawMessage `json:"eos_token_id"`
	}
	json.Unmarshal(cfg, &h)
	first := func(raw json.RawMessage) int {
		var one int
		if json.Unmarshal(raw, &one) == nil {
			return one
		}
		var many []int
		if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
			return many[0]
		}
		return -1
	}
	if id := first(h.BOS); v.spec.BOS < 0 && v.valid(id) {
		v.spec.BOS = id
	}
	if id := first(h.EOS); v.spec.EOS < 0 && v.valid(id) {
		v.spec.EOS = id
	}
}
