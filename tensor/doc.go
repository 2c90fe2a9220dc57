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
// One rule, for this package and for viz and model that build on it:
//
//   - Carried: a function whose result is one value a notebook cell shows
//     — a *Tensor, an *Attention, a *Linear (and viz's *Figure, model's
//     *Record) — does not return an error beside it. The value carries the
//     error, operations on it pass the error on, Err reports it, and a cell
//     shows it as the value's text. Every file loader is one of them, for a
//     file of one array and of many alike: LoadNPY, LoadNPYAt, LoadNPZTensor
//     and LoadSafetensorsTensor return a *Tensor, LoadNPZ an *NPZ (its
//     arrays, and its text arrays such as the tokens), LoadSafetensors and
//     OpenSafetensors a *SafetensorsFile; ReadNPY, ReadNPZ and ReadSafetensors, their io.Reader
//     twins, do the same. A program checks f.Err() once, then reads.
//   - Returned: everything else returns (value, error) or error, as Go code
//     does: writers and savers (SaveNPY, WriteNPZ: there is no value to
//     carry it), lookups and lists that are not a value a cell shows
//     (NPZNames, ReadNPYHeader, Lookup, DataErr), and opening a model
//     (model.Load; model.MustLoad in a cell). A nil value comes with a
//     non-nil error.
//   - Panics are for programmer errors only, and documented: Must (on
//     purpose, for programs that prefer it; model.MustLoad likewise), At
//     and Item on an index out of range or a tensor with an error, Dim on a
//     dimension out of range. A nil *Tensor and the zero Tensor are tensors
//     with an error: every method is safe on them.
//
// So a chain of operations is checked once, at the end:
//
//	s := q.MatMul(k.T()).Scale(0.125).Softmax(-1)
//	if err := s.Err(); err != nil { ... }
//
// Errors wrap the sentinels ErrShape, ErrValue, ErrDevice, ErrFormat and
// ErrNotFound (errors.Is), and the cause when there is one (an OS or
// driver error: errors.Is(err, fs.ErrNotExist)); shape problems are
// *ShapeError values naming the operation, both shapes, the rule and a
// likely fix (errors.As). Errorf makes such errors for sibling packages.
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
