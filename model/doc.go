// Package model runs small language models read from GGUF files or
// Hugging Face folders and records what every attention head does, for
// lessons and figures.
//
// The pieces, bottom to top:
//
//   - ReadGGUF / ParseGGUF: the GGUF container (versions 2 and 3): metadata
//     of every type, tensor descriptions, alignment; F32, F16 and BF16
//     tensors and the ggml block-quantized types Q4_0, Q4_1, Q5_0, Q5_1,
//     Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K, dequantized as ggml's
//     reference does (quant.go); other types are refused by name. Files
//     are memory-mapped. Malformed files give errors wrapping
//     tensor.ErrFormat, never panics.
//   - Tokenizer: one interface for the three kinds of vocabulary, chosen
//     from the metadata (tokenizer.ggml.model): SentencePiece ("llama"),
//     byte-level BPE ("gpt2", with the pre-tokenizer tokenizer.ggml.pre
//     names: gpt-2, llama-bpe, qwen2, smollm) and WordPiece ("bert").
//     Encoding follows llama.cpp and matches its test vectors.
//   - Weights (ReadWeights): the common representation of a model file,
//     whatever its format — Config (architecture, dimensions, RoPE
//     pairing, causal or not, activation), the Tokenizer, and named
//     tensors in llama.cpp's GGUF conventions (token_embd.weight,
//     blk.N.attn_q.weight [out, in], ...), decoded to float32 on demand
//     by Tensor / TensorT. A Hugging Face folder is mapped onto the same
//     names and layouts (the table in hf.go), so a forward pass reads one thing.
//     Architectures: llama, qwen2, gpt2, bert; the shapes every forward
//     pass needs are checked when the weights are read.
//   - Model (Load = ReadWeights + FromWeights): the forward passes of
//     llama, qwen2, gpt2 and bert as llama.cpp's graphs run them (written
//     out in forward.go), on tensor ops so they run on any tensor.Device.
//     Linear layers are tensor.Linear (weights packed once for the CPU
//     matrix product, bias and activation applied in the same pass) and
//     attention is tensor.AttentionWeights (weights and output kept).
//
// The forward passes, in short:
//
//	llama, qwen2  pre-RMSNorm; RoPE (llama: pairs (2i, 2i+1), qwen2: (i, i+d/2));
//	              grouped-query attention, causal; SwiGLU; qwen2 has q/k/v biases
//	gpt2          learned positions; pre-LayerNorm with bias; fused q|k|v;
//	              causal; GELU (tanh); output tied to the embedding or not
//	bert          learned positions and token types; post-LayerNorm;
//	              bidirectional (every query sees every key); GELU; no LM head
//
// Record.InductionScore and Model.Ablate find induction heads and show what
// feeds them (lesson 7; the model notebooks/data/induction.gguf is trained
// by scripts/train_induction.py).
//
// Run returns a *Record holding the tokens, the attention weights of every
// layer and head as one [layers, heads, T, T] tensor, each layer's Q, K and
// V, and the logits:
//
//	m := model.MustLoad(model.DefaultPath())  // $ATTNVIZ_MODEL, the cache folder (make model), models/
//	r := m.Run("Once upon a time, there was a little girl named Lily.")
//	viz.Grid(r.Attention, viz.Tokens(r.Tokens))  // every layer × head
//	viz.Heatmap(r.Head(1, 3), viz.Tokens(r.Tokens))
//	text, _ := m.Generate("Once upon a time", 30)          // greedy
//
// Memory and speed: a forward pass allocates what its Record keeps and
// nothing else. The layers' intermediate results are made in two
// tensor.Workspaces used alternately (layer l in one while layer l−1's
// output, its input, is still in the other), released two layers later
// and reused by the next pass; the attention weights are written straight
// into the record (tensor.AttentionWeightsInto); Q, K, V, the logits and
// the hidden state are cloned out of the workspace. The weights are
// packed once (tensor.Linear). A new architecture's forward pass keeps
// the same shape (see Model.forward in forward.go). stories260K at 128
// tokens: ≈ 3.3 MB per forward, 2.6 MB of it the recorded weights
// (make bench-model).
//
// GGUF stores the query and key weights for the interleaved RoPE pairing
// (llama.cpp's converter undoes Hugging Face's permutation), so the model
// uses tensor.RoPEInterleaved; the half-split pairing makes the lesson
// model lose the thread (see TestRoPEConvention). Qwen2 files are not
// permuted and use the half-split pairing (Config.RopeHalf).
//
// The lesson model is stories260K (Andrej Karpathy, MIT) as converted to
// GGUF by llama_cpp_canister (MIT): 5 layers, 8 query heads of size 8,
// 4 key/value heads, vocabulary 512, context 128.
package model
