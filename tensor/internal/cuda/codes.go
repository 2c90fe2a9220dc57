package cuda

// Code selects what a kernel that does several operations does: the op
// argument of ew_unary, ew_binary, reduce_rows and reduce_mid, and the mode
// of rope. The values are those of the enums in kernels.cu (and of the fake
// driver's emulation); Launch passes a Code as a 32-bit int.
type Code int32

// ew_unary: out = f(a), with the kernel's parameters p and q.
const (
	UnaryCopy   Code = 0 // U_COPY: out = a (a strided copy)
	UnaryAffine Code = 1 // U_AFFINE: out = a·p + q
	UnaryExp    Code = 2 // U_EXP: out = eᵃ
	UnarySiLU   Code = 3 // U_SILU: out = a·σ(a)
)

// ew_binary: out = a op b, with the kernel's parameter p.
const (
	BinaryAdd        Code = 0 // B_ADD
	BinarySub        Code = 1 // B_SUB
	BinaryMul        Code = 2 // B_MUL
	BinaryDiv        Code = 3 // B_DIV
	BinaryMaskedFill Code = 4 // B_MASKFILL: out = p where b != 0, else a
)

// reduce_rows, reduce_mid: one value per reduced row.
const (
	ReduceSum    Code = 0 // R_SUM
	ReduceMax    Code = 1 // R_MAX
	ReduceMean   Code = 2 // R_MEAN
	ReduceArgmax Code = 3 // R_ARGMAX: the index, as a float, of the first largest
)

// rope: which features rotate together.
const (
	RoPEInterleaved Code = 0 // pairs (2i, 2i+1)
	RoPEHalf        Code = 1 // pairs (i, i+d/2)
)
