//go:build !amd64

package cpu

func Supported() []Config { return []Config{goKernel} }

func scaleMaxAVX2(dst, src *float32, n int, s float32, out *[16]float32) { panic("unreachable") }
func expSubSumAVX2(dst, src *float32, n int, s, m float32) float32       { panic("unreachable") }
func scaleMax2NTAVX2(dcopy, dscaled, src *float32, n int, s float32, out *[16]float32) {
	panic("unreachable")
}
func scaleMax2AVX2(dcopy, dscaled, src *float32, n int, s float32, out *[16]float32) {
	panic("unreachable")
}
func copyNTAVX2(dst, src *float32, n int)    { panic("unreachable") }
func scaleAVX2(x *float32, n int, s float32) { panic("unreachable") }

func scaleMaxAVX512(dst, src *float32, n int, s float32) (m, bad float32) { panic("unreachable") }
func expSubSumAVX512(dst, src *float32, n int, s, m float32) float32      { panic("unreachable") }
func siluAVX512(x *float32, n int)                                        { panic("unreachable") }
func scaleAVX512(x *float32, n int, s float32)                            { panic("unreachable") }
