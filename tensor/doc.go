// Package tensor holds attnviz's float32 tensors and the operations that
// attention is built from, written to be read by students as much as run.
//
// A Tensor is an N-dimensional array with a shape, strides and an offset
// into its storage, on a Device (CPU always; CUDA when an NVIDIA driver can
// be loaded). Views — Index, Select, Slice, Transpose, T, Permute, Reshape
// of contiguous data — share storage; Contiguous and Clone copy.
//
// Attention, as the lessons show it step by step:
//
//	scores  = Q Kᵀ                    q.MatMul(k.T())
//	scaled  = scores / √dₖ            .Scale(1/√dₖ)
//	masked  = scaled where allowed,   .MaskedFill(mask.Eq0(), -∞)
//	          −∞ elsewhere
//	weights = softmax(masked)          .Softmax(-1)
//	output  = weights V               .MatMul(v)
//
// ScaledDotProductAttention does all of it and returns every intermediate.
//
// # Errors
//
// Operations do not return (value, error) pairs: a Tensor carries its
// error, operations on it pass the error on, and Err reports it. A chain is
// checked once at the end, and a notebook cell — which shows one value —
// shows the error as the tensor's text. Errors wrap the sentinels ErrShape,
// ErrValue, ErrDevice, ErrFormat and ErrNotFound (errors.Is), and shape
// problems are *ShapeError values naming the operation, both shapes, the
// rule and a likely fix (errors.As). Must panics on an error, for programs
// that prefer that. At panics on an index out of range, as slices do.
//
// # Devices
//
// New tensors are made on Default(): CPU, unless ATTNVIZ_DEVICE names
// another device ("cuda") or SetDefault was called. t.To(dev) moves a
// tensor. Every caller reads values the same way, whatever holds them:
// t.Data() returns a row-major host copy. An operation a device does not
// run natively runs on the CPU and its result is moved back, so code never
// needs to know where it runs; tensors on different devices in one
// operation give an ErrDevice error that says how to move them.
//
// The public API has no generics: the notebook interpreter (gomacro, in
// gophernotes) cannot call generic functions.
package tensor
