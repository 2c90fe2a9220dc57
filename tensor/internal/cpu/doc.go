// Package cpu holds the CPU kernels behind package tensor's matrix product,
// softmax and fused attention: Go assembly for amd64 (AVX-512, AVX2+FMA)
// and a portable Go fallback, chosen at start-up. It works on plain
// []float32 and strided matrices (Mat); shapes, broadcasting, devices and
// errors belong to package tensor, which is the only user.
//
// The matrix product is a packed, blocked float32 GEMM in the style of
// GotoBLAS/BLIS:
//
//   - B is packed once into column panels of nr columns (each panel holds
//     every k step: k × nr values, zero-padded on the right edge): PackB;
//   - A is packed per block of mc rows and kc steps into row panels of mr
//     rows (kc × mr values);
//   - a micro-kernel computes one mr × nr tile of C from one A panel and
//     one B panel, keeping the whole tile in vector registers: GemmRows.
//
// The micro-kernel is Go assembly on amd64 (AVX-512: 8 × 32 tile, 16 zmm
// accumulators; AVX2+FMA: 6 × 16 tile, 12 ymm accumulators), chosen at
// start-up from CPUID, with a portable Go kernel (4 × 4) everywhere else.
// When A has unit column stride (row-major Q, or the weights block in
// attention) the vector kernels read it in place instead of packing it.
// ATTNVIZ_SIMD=avx2 or ATTNVIZ_SIMD=none lowers the choice, to compare
// paths; tensor's TestKernels runs every path the CPU supports (Supported,
// Config.Use).
//
// Assembly rather than GOEXPERIMENT=simd because the notebook kernel and
// every other consumer build with a stock toolchain; assembly rather than
// gonum's Sgemm because a register-blocked vector kernel is ≈ 4× faster on
// the attention shapes. Work is split over GOMAXPROCS goroutines
// (ParallelFor), each with its own scratch space (Work).
//
// The softmax row kernels (SoftmaxRow, CopyScaleMax, SoftmaxMasked, ...)
// use a float32 exp (Expf, Cephes expf) that the AVX2 code vectorises.
package cpu
