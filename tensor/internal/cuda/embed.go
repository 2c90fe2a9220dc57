package cuda

import _ "embed"

// PTX is the kernels of kernels.cu compiled for sm_80 (PTX ISA 7.0); the
// driver JIT-compiles it for the GPU at hand (Ampere, Hopper and later).
//
//go:embed kernels.ptx
var PTX []byte
