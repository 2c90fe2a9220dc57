// Package model runs a small Llama-style language model read from a GGUF
// file and records what every attention head does, for lessons and
// figures.
//
// The pieces, bottom to top:
//
//   - ReadGGUF / ParseGGUF: the GGUF container (versions 2 and 3): metadata
//     of every type, tensor descriptions, alignment; F32, F16 and BF16
//     tensors (quantized types are named in a "not supported yet" error).
//     Malformed files give errors wrapping tensor.ErrFormat, never panics.
//   - Tokenizer: the SentencePiece-style vocabulary stored in the file
//     (tokenizer.ggml.tokens/scores/token_type), encoding as llama2.c does —
//     BOS, a dummy-prefix space, UTF-8 byte fallback (<0xXX>), then greedy
//     merging of the best-scoring adjacent pair.
//   - Model: the forward pass, written with tensor ops so it runs on any
//     tensor.Device.
//
// The forward pass:
//
//	x = embed(ids)
//	for each layer:
//	    h = RMSNorm(x)
//	    q, k = RoPE(h Wq), RoPE(h Wk)      interleaved pairs (2i, 2i+1)
//	    v = h Wv
//	    x += GQA(q, k, v, causal) Wo       softmax(q kᵀ/√d) v per head
//	    h = RMSNorm(x)
//	    x += (SiLU(h W1) ⊙ h W3) W2        SwiGLU
//	logits = RMSNorm(x) Wout               Wout = the embedding when tied
//
// Run returns a *Record holding the tokens, the attention weights of every
// layer and head as one [layers, heads, T, T] tensor, each layer's Q, K and
// V, and the logits:
//
//	m := model.MustLoad(model.DefaultPath())  // ../shared/models or models/ (make model)
//	r := m.Run("Once upon a time, there was a little girl named Lily.")
//	viz.Grid(r.Attention, viz.Tokens(r.Tokens))  // every layer × head
//	viz.Heatmap(r.Head(1, 3), viz.Tokens(r.Tokens))
//	text, _ := m.Generate("Once upon a time", 30)          // greedy
//
// GGUF stores the query and key weights for the interleaved RoPE pairing
// (llama.cpp's converter undoes Hugging Face's permutation), so the model
// uses tensor.RoPEInterleaved; the half-split pairing makes the lesson
// model lose the thread (see TestRoPEConvention).
//
// The lesson model is stories260K (Andrej Karpathy, MIT) as converted to
// GGUF by llama_cpp_canister (MIT): 5 layers, 8 query heads of size 8,
// 4 key/value heads, vocabulary 512, context 128.
package model
