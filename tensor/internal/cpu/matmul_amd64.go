//go:build amd64

package cpu

import "os"

//go:noescape
func kern8x32avx512(k int, a, b, c *float32, ldc int, add bool)

//go:noescape
func kern8x32avx512rm(k int, a *float32, lda int, b, c *float32, ldc int, add bool)

//go:noescape
func kern6x16avx2rm(k int, a *float32, lda int, b, c *float32, ldc int, add bool)

//go:noescape
func kern6x16avx2(k int, a, b, c *float32, ldc int, add bool)

//go:noescape
func scaleMaxAVX2(dst, src *float32, n int, s float32, out *[16]float32)

//go:noescape
func expSubSumAVX2(dst, src *float32, n int, s, m float32) float32

//go:noescape
func scaleMax2NTAVX2(dcopy, dscaled, src *float32, n int, s float32, out *[16]float32)

//go:noescape
func scaleMax2AVX2(dcopy, dscaled, src *float32, n int, s float32, out *[16]float32)

//go:noescape
func copyNTAVX2(dst, src *float32, n int)

//go:noescape
func scaleMaxAVX512(dst, src *float32, n int, s float32) (m, bad float32)

//go:noescape
func expSubSumAVX512(dst, src *float32, n int, s, m float32) float32

//go:noescape
func scaleAVX512(x *float32, n int, s float32)

//go:noescape
func siluAVX512(x *float32, n int)

//go:noescape
func scaleAVX2(x *float32, n int, s float32)

func cpuid(eax, ecx uint32) (a, b, c, d uint32)
func xgetbv0() (a, d uint32)

// cpuFeatures reports AVX2+FMA and AVX-512F support, including the OS
// saving the vector registers (XCR0).
func cpuFeatures() (avx2, avx512 bool) {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false, false
	}
	_, _, c1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c1&fma == 0 || c1&osxsave == 0 || c1&avx == 0 {
		return false, false
	}
	xcr0, _ := xgetbv0()
	if xcr0&6 != 6 {
		return false, false
	}
	_, b7, _, _ := cpuid(7, 0)
	avx2 = b7&(1<<5) != 0
	avx512 = avx2 && b7&(1<<16) != 0 && xcr0&0xe0 == 0xe0
	return avx2, avx512
}

func init() {
	avx2, avx512 := cpuFeatures()
	// ATTNVIZ_SIMD=avx2 or =none lowers the kernel choice (for tests and
	// for comparing the paths); the default takes the best the CPU has.
	switch os.Getenv("ATTNVIZ_SIMD") {
	case "none", "go":
		avx2, avx512 = false, false
	case "avx2":
		avx512 = false
	}
	cs := configs(avx2, avx512)
	cs[len(cs)-1].Use()
}

// configs lists the usable configurations, best last.
func configs(avx2, avx512 bool) []Config {
	cs := []Config{goKernel}
	if avx2 {
		cs = append(cs, Config{"avx2 6x16", 6, 16, kern6x16avx2, true, false, nil})
		cs = append(cs, Config{"avx2 6x16 in place", 6, 16, kern6x16avx2, true, false, kern6x16avx2rm})
	}
	if avx512 {
		cs = append(cs, Config{"avx512 8x32", 8, 32, kern8x32avx512, true, true, nil})
		cs = append(cs, Config{"avx512 8x32 in place", 8, 32, kern8x32avx512, true, true, kern8x32avx512rm})
	}
	return cs
}

// Supported lists every configuration this CPU can run.
func Supported() []Config { return configs(cpuFeatures()) }
