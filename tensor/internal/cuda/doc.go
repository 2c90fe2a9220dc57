// Package cuda drives an NVIDIA GPU through the CUDA driver API without
// cgo: libcuda.so.1 is opened at run time with purego, the kernels of
// kernels.cu are compiled ahead of time to PTX (kernels.ptx, embedded) that
// the driver JIT-compiles for the GPU it finds, and cuBLAS is used for
// matrix products when libcublas can be loaded.
//
// All driver calls of a Device run on one goroutine locked to its OS thread
// (a CUDA context is current per thread); the exported methods hand work to
// it and wait. Buffers are freed when the garbage collector finds them
// unreachable, or on demand when an allocation runs out of memory.
//
// Environment:
//
//	ATTNVIZ_LIBCUDA    path of the driver library (default libcuda.so.1)
//	ATTNVIZ_LIBCUBLAS  path of cuBLAS, or "off" (default: libcublas.so.13, .12, .11, libcublas.so)
//
// The package is internal to attnviz/tensor, which exposes the device as
// tensor.CUDA ("cuda:0").
package cuda

//go:generate sh -c "clang-19 -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -O3 -S -o kernels.ptx kernels.cu || clang-14 -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -O3 -S -o kernels.ptx kernels.cu"
