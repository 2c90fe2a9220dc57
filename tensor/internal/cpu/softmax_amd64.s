//go:build amd64

#include "textflag.h"

DATA expLo<>+0(SB)/4, $0xc2ac0000
DATA expLo<>+4(SB)/4, $0xc2ac0000
DATA expLo<>+8(SB)/4, $0xc2ac0000
DATA expLo<>+12(SB)/4, $0xc2ac0000
DATA expLo<>+16(SB)/4, $0xc2ac0000
DATA expLo<>+20(SB)/4, $0xc2ac0000
DATA expLo<>+24(SB)/4, $0xc2ac0000
DATA expLo<>+28(SB)/4, $0xc2ac0000
GLOBL expLo<>(SB), RODATA|NOPTR, $32

DATA expLog2e<>+0(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+4(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+8(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+12(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+16(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+20(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+24(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+28(SB)/4, $0x3fb8aa3b
GLOBL expLog2e<>(SB), RODATA|NOPTR, $32

DATA expC1<>+0(SB)/4, $0x3f318000
DATA expC1<>+4(SB)/4, $0x3f318000
DATA expC1<>+8(SB)/4, $0x3f318000
DATA expC1<>+12(SB)/4, $0x3f318000
DATA expC1<>+16(SB)/4, $0x3f318000
DATA expC1<>+20(SB)/4, $0x3f318000
DATA expC1<>+24(SB)/4, $0x3f318000
DATA expC1<>+28(SB)/4, $0x3f318000
GLOBL expC1<>(SB), RODATA|NOPTR, $32

DATA expC2<>+0(SB)/4, $0xb95e8083
DATA expC2<>+4(SB)/4, $0xb95e8083
DATA expC2<>+8(SB)/4, $0xb95e8083
DATA expC2<>+12(SB)/4, $0xb95e8083
DATA expC2<>+16(SB)/4, $0xb95e8083
DATA expC2<>+20(SB)/4, $0xb95e8083
DATA expC2<>+24(SB)/4, $0xb95e8083
DATA expC2<>+28(SB)/4, $0xb95e8083
GLOBL expC2<>(SB), RODATA|NOPTR, $32

DATA expP0<>+0(SB)/4, $0x39506967
DATA expP0<>+4(SB)/4, $0x39506967
DATA expP0<>+8(SB)/4, $0x39506967
DATA expP0<>+12(SB)/4, $0x39506967
DATA expP0<>+16(SB)/4, $0x39506967
DATA expP0<>+20(SB)/4, $0x39506967
DATA expP0<>+24(SB)/4, $0x39506967
DATA expP0<>+28(SB)/4, $0x39506967
GLOBL expP0<>(SB), RODATA|NOPTR, $32

DATA expP1<>+0(SB)/4, $0x3ab743ce
DATA expP1<>+4(SB)/4, $0x3ab743ce
DATA expP1<>+8(SB)/4, $0x3ab743ce
DATA expP1<>+12(SB)/4, $0x3ab743ce
DATA expP1<>+16(SB)/4, $0x3ab743ce
DATA expP1<>+20(SB)/4, $0x3ab743ce
DATA expP1<>+24(SB)/4, $0x3ab743ce
DATA expP1<>+28(SB)/4, $0x3ab743ce
GLOBL expP1<>(SB), RODATA|NOPTR, $32

DATA expP2<>+0(SB)/4, $0x3c088908
DATA expP2<>+4(SB)/4, $0x3c088908
DATA expP2<>+8(SB)/4, $0x3c088908
DATA expP2<>+12(SB)/4, $0x3c088908
DATA expP2<>+16(SB)/4, $0x3c088908
DATA expP2<>+20(SB)/4, $0x3c088908
DATA expP2<>+24(SB)/4, $0x3c088908
DATA expP2<>+28(SB)/4, $0x3c088908
GLOBL expP2<>(SB), RODATA|NOPTR, $32

DATA expP3<>+0(SB)/4, $0x3d2aa9c1
DATA expP3<>+4(SB)/4, $0x3d2aa9c1
DATA expP3<>+8(SB)/4, $0x3d2aa9c1
DATA expP3<>+12(SB)/4, $0x3d2aa9c1
DATA expP3<>+16(SB)/4, $0x3d2aa9c1
DATA expP3<>+20(SB)/4, $0x3d2aa9c1
DATA expP3<>+24(SB)/4, $0x3d2aa9c1
DATA expP3<>+28(SB)/4, $0x3d2aa9c1
GLOBL expP3<>(SB), RODATA|NOPTR, $32

DATA expP4<>+0(SB)/4, $0x3e2aaaaa
DATA expP4<>+4(SB)/4, $0x3e2aaaaa
DATA expP4<>+8(SB)/4, $0x3e2aaaaa
DATA expP4<>+12(SB)/4, $0x3e2aaaaa
DATA expP4<>+16(SB)/4, $0x3e2aaaaa
DATA expP4<>+20(SB)/4, $0x3e2aaaaa
DATA expP4<>+24(SB)/4, $0x3e2aaaaa
DATA expP4<>+28(SB)/4, $0x3e2aaaaa
GLOBL expP4<>(SB), RODATA|NOPTR, $32

DATA expP5<>+0(SB)/4, $0x3f000000
DATA expP5<>+4(SB)/4, $0x3f000000
DATA expP5<>+8(SB)/4, $0x3f000000
DATA expP5<>+12(SB)/4, $0x3f000000
DATA expP5<>+16(SB)/4, $0x3f000000
DATA expP5<>+20(SB)/4, $0x3f000000
DATA expP5<>+24(SB)/4, $0x3f000000
DATA expP5<>+28(SB)/4, $0x3f000000
GLOBL expP5<>(SB), RODATA|NOPTR, $32

DATA absMask<>+0(SB)/4, $0x7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $4

DATA expOne<>+0(SB)/4, $0x3f800000
DATA expOne<>+4(SB)/4, $0x3f800000
DATA expOne<>+8(SB)/4, $0x3f800000
DATA expOne<>+12(SB)/4, $0x3f800000
DATA expOne<>+16(SB)/4, $0x3f800000
DATA expOne<>+20(SB)/4, $0x3f800000
DATA expOne<>+24(SB)/4, $0x3f800000
DATA expOne<>+28(SB)/4, $0x3f800000
GLOBL expOne<>(SB), RODATA|NOPTR, $32

// func scaleMaxAVX2(dst, src *float32, n int, s float32, out *[16]float32)
// dst[i] = src[i]*s for n (a multiple of 8) elements; out[0:8] receives the
// lane-wise maxima and out[8:16] the lane-wise sums of (y-y), which are NaN
// when any y is not finite.
TEXT ·scaleMaxAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y15
	MOVQ out+32(FP), DX
	MOVL $0xff800000, AX
	MOVL AX, X14
	VBROADCASTSS X14, Y14
	VMOVUPS Y14, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y11, Y11, Y11
	SHRQ $3, CX
	TESTQ CX, CX
	JZ smdone
smloop:
	VMULPS (SI), Y15, Y0
	VMOVUPS Y0, (DI)
	VMAXPS Y0, Y14, Y14
	VSUBPS Y0, Y0, Y1
	VADDPS Y1, Y13, Y13
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ smloop
smdone:
	VMOVUPS Y14, (DX)
	VMOVUPS Y13, 32(DX)
	VZEROUPPER
	RET

// func expSubSumAVX2(dst, src *float32, n int, s, m float32) float32
// dst[i] = exp(src[i]*s - m) for n (a multiple of 8) elements (the product
// rounded to float32 first, exactly as a separate scaling would), with 0
// for arguments below -86 (and for -Inf); returns the sum of dst.
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y14
	VBROADCASTSS m+28(FP), Y15
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	SHRQ $3, CX
	TESTQ CX, CX
	JZ esdone
esloop:
	VMULPS (SI), Y14, Y0
	VSUBPS Y15, Y0, Y0
	VCMPPS $0x1d, expLo<>(SB), Y0, Y3
	VMAXPS expLo<>(SB), Y0, Y0
	VMULPS expLog2e<>(SB), Y0, Y1
	VROUNDPS $0, Y1, Y1
	VFNMADD231PS expC1<>(SB), Y1, Y0
	VFNMADD231PS expC2<>(SB), Y1, Y0
	VMOVUPS expP0<>(SB), Y2
	VFMADD213PS expP1<>(SB), Y0, Y2
	VFMADD213PS expP2<>(SB), Y0, Y2
	VFMADD213PS expP3<>(SB), Y0, Y2
	VFMADD213PS expP4<>(SB), Y0, Y2
	VFMADD213PS expP5<>(SB), Y0, Y2
	VMULPS Y0, Y0, Y5
	VFMADD213PS Y0, Y5, Y2
	VADDPS expOne<>(SB), Y2, Y2
	VCVTPS2DQ Y1, Y1
	VPSLLD $23, Y1, Y1
	VPADDD Y1, Y2, Y2
	VANDPS Y3, Y2, Y2
	VMOVUPS Y2, (DI)
	VADDPS Y2, Y4, Y4
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ esloop
esdone:
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VMOVHLPS X4, X5, X5
	VADDPS X5, X4, X4
	VPSHUFD $1, X4, X5
	VADDSS X5, X4, X4
	VMOVSS X4, ret+32(FP)
	VZEROUPPER
	RET

// func scaleAVX2(x *float32, n int, s float32)
// x[i] *= s for n (a multiple of 8) elements.
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Y15
	SHRQ $3, CX
	TESTQ CX, CX
	JZ scdone
scloop:
	VMULPS (DI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ scloop
scdone:
	VZEROUPPER
	RET

// func scaleMax2NTAVX2(dcopy, dscaled, src *float32, n int, s float32, out *[16]float32)
// dcopy[i] = src[i] and dscaled[i] = src[i]*s with non-temporal stores
// (both 32-byte aligned), n a multiple of 8; out as in scaleMaxAVX2.
TEXT ·scaleMax2NTAVX2(SB), NOSPLIT, $0-48
	MOVQ dcopy+0(FP), R9
	MOVQ dscaled+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS s+32(FP), Y15
	MOVQ out+40(FP), DX
	MOVL $0xff800000, AX
	MOVL AX, X14
	VBROADCASTSS X14, Y14
	VXORPS Y13, Y13, Y13
	SHRQ $3, CX
	TESTQ CX, CX
	JZ nt2done
nt2loop:
	VMOVUPS (SI), Y2
	VMOVNTPS Y2, (R9)
	VMULPS Y2, Y15, Y0
	VMOVNTPS Y0, (DI)
	VMAXPS Y0, Y14, Y14
	VSUBPS Y0, Y0, Y1
	VADDPS Y1, Y13, Y13
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R9
	DECQ CX
	JNZ nt2loop
nt2done:
	SFENCE
	VMOVUPS Y14, (DX)
	VMOVUPS Y13, 32(DX)
	VZEROUPPER
	RET

// func scaleMax2AVX2(dcopy, dscaled, src *float32, n int, s float32, out *[16]float32)
// scaleMax2NTAVX2 with ordinary stores and no alignment needs.
TEXT ·scaleMax2AVX2(SB), NOSPLIT, $0-48
	MOVQ dcopy+0(FP), R9
	MOVQ dscaled+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS s+32(FP), Y15
	MOVQ out+40(FP), DX
	MOVL $0xff800000, AX
	MOVL AX, X14
	VBROADCASTSS X14, Y14
	VXORPS Y13, Y13, Y13
	SHRQ $3, CX
	TESTQ CX, CX
	JZ sm2done
sm2loop:
	VMOVUPS (SI), Y2
	VMOVUPS Y2, (R9)
	VMULPS Y2, Y15, Y0
	VMOVUPS Y0, (DI)
	VMAXPS Y0, Y14, Y14
	VSUBPS Y0, Y0, Y1
	VADDPS Y1, Y13, Y13
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R9
	DECQ CX
	JNZ sm2loop
sm2done:
	VMOVUPS Y14, (DX)
	VMOVUPS Y13, 32(DX)
	VZEROUPPER
	RET

// func copyNTAVX2(dst, src *float32, n int)
// dst[i] = src[i] with non-temporal stores (dst 32-byte aligned), n a
// multiple of 8.
TEXT ·copyNTAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	TESTQ CX, CX
	JZ cpdone
cploop:
	VMOVUPS (SI), Y0
	VMOVNTPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ cploop
cpdone:
	SFENCE
	VZEROUPPER
	RET

// The AVX-512 twins of the row kernels above: 16 lanes, the same
// arithmetic lane by lane (VRNDSCALEPS $0 rounds as VROUNDPS $0 does), so
// every element equals the AVX2 kernels' and Expf's. They take any n: the
// last n mod 16 elements go through masked loads and stores (switching to
// the 8-lane kernels for a tail costs more than the tail itself on short
// attention rows).

// func scaleMaxAVX512(dst, src *float32, n int, s float32) (m, bad float32)
// dst[i] = src[i]*s for n elements (n ≥ 1); m is the maximum and bad the
// sum of (y-y), NaN when any y is not finite (reduced here, in registers:
// reading 64-byte stores back as scalars stalls).
TEXT ·scaleMaxAVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Z15
	MOVL $0xff800000, AX
	MOVL AX, X14
	VBROADCASTSS X14, Z14
	VXORPS Z13, Z13, Z13
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $4, CX
	TESTQ CX, CX
	JZ sm5tail
sm5loop:
	VMULPS (SI), Z15, Z0
	VMOVUPS Z0, (DI)
	VMAXPS Z0, Z14, Z14
	VSUBPS Z0, Z0, Z1
	VADDPS Z1, Z13, Z13
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ sm5loop
sm5tail:
	TESTQ BX, BX
	JZ sm5done
	MOVQ BX, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	VMOVUPS.Z (SI), K2, Z0
	VMULPS Z0, Z15, Z0
	VMOVUPS Z0, K2, (DI)
	VMAXPS Z0, Z14, K2, Z14
	VSUBPS Z0, Z0, Z1
	VADDPS Z1, Z13, Z13
sm5done:
	VEXTRACTF32X8 $1, Z14, Y0
	VMAXPS Y0, Y14, Y14
	VEXTRACTF128 $1, Y14, X0
	VMAXPS X0, X14, X14
	VMOVHLPS X14, X0, X0
	VMAXPS X0, X14, X14
	VPSHUFD $1, X14, X0
	VMAXSS X0, X14, X14
	VMOVSS X14, m+32(FP)
	VEXTRACTF32X8 $1, Z13, Y1
	VADDPS Y1, Y13, Y13
	VEXTRACTF128 $1, Y13, X1
	VADDPS X1, X13, X13
	VMOVHLPS X13, X1, X1
	VADDPS X1, X13, X13
	VPSHUFD $1, X13, X1
	VADDSS X1, X13, X13
	VMOVSS X13, bad+36(FP)
	VZEROUPPER
	RET

// ES5BODY: Z2 = exp(Z0*s - m) in the lanes of K2 (0 elsewhere and below
// -86), added to Z4; s and m in Z14, Z15, the other constants broadcast
// from memory.
#define ES5BODY \
	VMULPS Z0, Z14, Z0 \
	VSUBPS Z15, Z0, Z0 \
	VCMPPS.BCST $0x1d, expLo<>(SB), Z0, K2, K1 \
	VMAXPS.BCST expLo<>(SB), Z0, Z0 \
	VMULPS.BCST expLog2e<>(SB), Z0, Z1 \
	VRNDSCALEPS $0, Z1, Z1 \
	VFNMADD231PS.BCST expC1<>(SB), Z1, Z0 \
	VFNMADD231PS.BCST expC2<>(SB), Z1, Z0 \
	VBROADCASTSS expP0<>(SB), Z2 \
	VFMADD213PS.BCST expP1<>(SB), Z0, Z2 \
	VFMADD213PS.BCST expP2<>(SB), Z0, Z2 \
	VFMADD213PS.BCST expP3<>(SB), Z0, Z2 \
	VFMADD213PS.BCST expP4<>(SB), Z0, Z2 \
	VFMADD213PS.BCST expP5<>(SB), Z0, Z2 \
	VMULPS Z0, Z0, Z5 \
	VFMADD213PS Z0, Z5, Z2 \
	VADDPS.BCST expOne<>(SB), Z2, Z2 \
	VCVTPS2DQ Z1, Z1 \
	VPSLLD $23, Z1, Z1 \
	VPADDD Z1, Z2, Z2 \
	VMOVAPS.Z Z2, K1, Z2 \
	VADDPS Z2, Z4, Z4

// func expSubSumAVX512(dst, src *float32, n int, s, m float32) float32
// dst[i] = exp(src[i]*s - m) for n elements, 0 below -86; returns the sum
// of dst.
TEXT ·expSubSumAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Z14
	VBROADCASTSS m+28(FP), Z15
	VXORPS Z4, Z4, Z4
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $4, CX
	MOVL $0xffff, AX
	KMOVW AX, K2
	TESTQ CX, CX
	JZ es5tail
es5loop:
	VMOVUPS (SI), Z0
	ES5BODY
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ es5loop
es5tail:
	TESTQ BX, BX
	JZ es5done
	MOVQ BX, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	VMOVUPS.Z (SI), K2, Z0
	ES5BODY
	VMOVUPS Z2, K2, (DI)
es5done:
	VEXTRACTF32X8 $1, Z4, Y5
	VADDPS Y5, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VMOVHLPS X4, X5, X5
	VADDPS X5, X4, X4
	VPSHUFD $1, X4, X5
	VADDSS X5, X4, X4
	VMOVSS X4, ret+32(FP)
	VZEROUPPER
	RET

// func scaleAVX512(x *float32, n int, s float32)
// x[i] *= s for n elements.
TEXT ·scaleAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Z15
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $4, CX
	TESTQ CX, CX
	JZ sc5tail
sc5loop:
	VMULPS (DI), Z15, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	DECQ CX
	JNZ sc5loop
sc5tail:
	TESTQ BX, BX
	JZ sc5done
	MOVQ BX, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	VMOVUPS.Z (DI), K2, Z0
	VMULPS Z0, Z15, Z0
	VMOVUPS Z0, K2, (DI)
sc5done:
	VZEROUPPER
	RET

// SILU5: Z9 = Z8·σ(Z8) in the lanes of K2, as x·t/(1+t) for x < 0 and
// x/(1+t) otherwise, t = exp(−|x|) (never overflows; 0 below −86); needs
// Z14 = 1, Z15 = 0.
#define SILU5 \
	VPANDD.BCST absMask<>(SB), Z8, Z0 \
	VSUBPS Z0, Z15, Z0 \
	ES5BODY \
	VADDPS.BCST expOne<>(SB), Z2, Z3 \
	VBROADCASTSS expOne<>(SB), Z10 \
	VCMPPS $1, Z15, Z8, K3 \
	VMOVAPS Z2, K3, Z10 \
	VDIVPS Z3, Z10, Z10 \
	VMULPS Z10, Z8, Z9

// func siluAVX512(x *float32, n int)
// x[i] = x[i]·σ(x[i]) in place, for any n.
TEXT ·siluAVX512(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS expOne<>(SB), Z14
	VXORPS Z15, Z15, Z15
	VXORPS Z4, Z4, Z4
	MOVQ CX, BX
	ANDQ $15, BX
	SHRQ $4, CX
	MOVL $0xffff, AX
	KMOVW AX, K2
	TESTQ CX, CX
	JZ si5tail
si5loop:
	VMOVUPS (DI), Z8
	SILU5
	VMOVUPS Z9, (DI)
	ADDQ $64, DI
	DECQ CX
	JNZ si5loop
si5tail:
	TESTQ BX, BX
	JZ si5done
	MOVQ BX, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	VMOVUPS.Z (DI), K2, Z8
	SILU5
	VMOVUPS Z9, K2, (DI)
si5done:
	VZEROUPPER
	RET
