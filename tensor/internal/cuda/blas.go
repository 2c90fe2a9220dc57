package cuda

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"
)

var blasSyms = []string{"cublasCreate_v2", "cublasSgemmStridedBatched"}

// openBlas loads cuBLAS and creates a handle on the worker thread (whose
// current context is the device's primary context). Failure is not an
// error: the own matmul kernel is used and blasErr says why.
func (d *Device) openBlas(choice string) {
	if choice == "" {
		choice = os.Getenv("ATTNVIZ_LIBCUBLAS")
	}
	if strings.EqualFold(choice, "off") || choice == "0" {
		d.blasErr = fmt.Errorf("cuBLAS turned off")
		return
	}
	cands := []string{choice}
	if choice == "" {
		cands = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}
	}
	var errs []string
	for _, c := range cands {
		l, err := openLib(c, blasSyms, []string{"cublasGetVersion_v2"})
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		var h uintptr
		var pin runtime.Pinner
		pin.Pin(&h)
		st := l.call("cublasCreate_v2", uintptr(unsafe.Pointer(&h)))
		pin.Unpin()
		if st != 0 {
			errs = append(errs, fmt.Sprintf("%s: cublasCreate_v2 returned status %d", c, st))
			continue
		}
		d.blasLib, d.blas, d.blasErr = l, h, nil
		return
	}
	d.blasErr = fmt.Errorf("cuBLAS not loaded (%s)", strings.Join(errs, "; "))
}

// Gemm is one cublasSgemmStridedBatched call in cuBLAS's column-major
// terms: C = alpha·op(A)·op(B) + beta·C for batch matrices, op = transpose
// when transA/transB. It reports ok=false when cuBLAS is not loaded.
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a Ptr, lda int, strideA int64,
	b Ptr, ldb int, strideB int64, beta float32, c Ptr, ldc int, strideC int64, batch int) (bool, error) {
	if d.blas == 0 {
		return false, nil
	}
	op := func(t bool) uintptr {
		if t {
			return 1 // CUBLAS_OP_T
		}
		return 0 // CUBLAS_OP_N
	}
	var err error
	d.do(func() {
		ab := []float32{alpha, beta}
		var pin runtime.Pinner
		pin.Pin(&ab[0])
		defer pin.Unpin()
		st := d.blasLib.call("cublasSgemmStridedBatched", d.blas, op(transA), op(transB),
			uintptr(m), uintptr(n), uintptr(k), uintptr(unsafe.Pointer(&ab[0])),
			uintptr(a), uintptr(lda), uintptr(strideA),
			uintptr(b), uintptr(ldb), uintptr(strideB),
			uintptr(unsafe.Pointer(&ab[1])), uintptr(c), uintptr(ldc), uintptr(strideC), uintptr(batch))
		if st != 0 {
			err = &Error{Call: "cublasSgemmStridedBatched", Code: st, Name: blasStatus(st),
				Msg: fmt.Sprintf("m=%d n=%d k=%d lda=%d ldb=%d ldc=%d batch=%d", m, n, k, lda, ldb, ldc, batch)}
		}
	})
	return true, err
}

func blasStatus(s int) string {
	switch s {
	case 1:
		return "CUBLAS_STATUS_NOT_INITIALIZED"
	case 3:
		return "CUBLAS_STATUS_ALLOC_FAILED"
	case 7:
		return "CUBLAS_STATUS_INVALID_VALUE"
	case 8:
		return "CUBLAS_STATUS_ARCH_MISMATCH"
	case 11:
		return "CUBLAS_STATUS_MAPPING_ERROR"
	case 13:
		return "CUBLAS_STATUS_EXECUTION_FAILED"
	case 14:
		return "CUBLAS_STATUS_INTERNAL_ERROR"
	case 15:
		return "CUBLAS_STATUS_NOT_SUPPORTED"
	}
	return "CUBLAS_STATUS_" + fmt.Sprint(s)
}
