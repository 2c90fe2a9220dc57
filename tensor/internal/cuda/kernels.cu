// attnviz CUDA kernels, compiled to PTX by clang without the CUDA toolkit:
//
//	clang -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -O3 -S
//
// (see gen.go; `go generate ./tensor/internal/cuda` rewrites kernels.ptx).
// There are no CUDA headers and no libdevice here, so the few builtins used
// are declared below and exp is written out. Every kernel has a host twin
// in testdata/fakecuda.c that the fake driver runs for the tests: keep the
// parameter lists of the two in step (the Go side packs them in launch.go).
//
// Layouts: tensors arrive as a base pointer (offset already applied) and
// element strides; the Go side collapses dimensions so most launches see a
// single contiguous dimension. Sizes and strides are 64-bit.

#ifndef ATTNVIZ_EMULATE // testdata/emucuda.cc compiles this file for the host
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#endif
#define INLINE __device__ __attribute__((always_inline)) inline
#define KERNEL extern "C" __global__

typedef long long i64;

#define MAXD 8
// Layout of up to two operands broadcast to an output of shape shape[0..nd).
struct Layout {
	i64 nd;
	i64 shape[MAXD];
	i64 sa[MAXD];
	i64 sb[MAXD];
};

INLINE unsigned tid() { return __nvvm_read_ptx_sreg_tid_x(); }
INLINE unsigned tidy() { return __nvvm_read_ptx_sreg_tid_y(); }
INLINE unsigned ntid() { return __nvvm_read_ptx_sreg_ntid_x(); }
INLINE unsigned bid() { return __nvvm_read_ptx_sreg_ctaid_x(); }
INLINE unsigned bidy() { return __nvvm_read_ptx_sreg_ctaid_y(); }
INLINE unsigned bidz() { return __nvvm_read_ptx_sreg_ctaid_z(); }
INLINE unsigned nbid() { return __nvvm_read_ptx_sreg_nctaid_x(); }
INLINE void sync() { __nvvm_bar_sync(0); }

INLINE float bits2f(int i) { return __builtin_bit_cast(float, i); }
INLINE int f2bits(float f) { return __builtin_bit_cast(int, f); }
INLINE bool isnanf_(float x) { return x != x; }
INLINE float inff() { return bits2f(0x7f800000); }
INLINE float nanf_() { return bits2f(0x7fc00000); }

// expf to within 2 ulp over the whole range, without libdevice:
// x = n·ln2 + r, |r| ≤ ln2/2 (Cody–Waite), e^r by a degree-7 Taylor
// polynomial (error < 6e-9), times 2^n built from exponent bits in two
// halves so that subnormal results come out right.
INLINE float k_exp(float x) {
	if (isnanf_(x)) return x;
	if (x > 88.72283935546875f) return inff();
	if (x < -103.972084045410f) return 0.0f;
	float n = __builtin_rintf(x * 1.44269504088896341f);
	float r = __builtin_fmaf(n, -0.693145751953125f, x);
	r = __builtin_fmaf(n, -1.428606765330187045e-06f, r);
	float p = 1.0f / 5040.0f;
	p = __builtin_fmaf(p, r, 1.0f / 720.0f);
	p = __builtin_fmaf(p, r, 1.0f / 120.0f);
	p = __builtin_fmaf(p, r, 1.0f / 24.0f);
	p = __builtin_fmaf(p, r, 1.0f / 6.0f);
	p = __builtin_fmaf(p, r, 0.5f);
	p = __builtin_fmaf(p, r, 1.0f);
	p = __builtin_fmaf(p, r, 1.0f);
	int k = (int)n;
	int k1 = k / 2;
	int k2 = k - k1;
	return p * bits2f((k1 + 127) << 23) * bits2f((k2 + 127) << 23);
}

INLINE float k_sqrt(float x) { return __nvvm_sqrt_rn_f(x); }

// ---------------------------------------------------------------- elementwise

enum { U_COPY = 0, U_AFFINE = 1, U_EXP = 2, U_SILU = 3 };
enum { B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MASKFILL = 4 };

INLINE void offsets(const Layout &L, i64 i, i64 &oa, i64 &ob) {
	oa = 0;
	ob = 0;
	for (int d = (int)L.nd - 1; d >= 0; d--) {
		i64 s = L.shape[d];
		i64 c = i % s;
		i /= s;
		oa += c * L.sa[d];
		ob += c * L.sb[d];
	}
}

// out[i] = f(a[layout(i)]), i < n. p, q: parameters (affine: a·p + q).
KERNEL void ew_unary(float *out, const float *a, Layout L, i64 n, int op, float p, float q) {
	i64 step = (i64)ntid() * nbid();
	for (i64 i = (i64)bid() * ntid() + tid(); i < n; i += step) {
		float x;
		if (L.nd == 1) {
			x = a[i * L.sa[0]];
		} else {
			i64 oa, ob;
			offsets(L, i, oa, ob);
			x = a[oa];
		}
		float y;
		switch (op) {
		case U_AFFINE: y = x * p + q; break;
		case U_EXP: y = k_exp(x); break;
		case U_SILU: y = x / (1.0f + k_exp(-x)); break;
		default: y = x;
		}
		out[i] = y;
	}
}

// out[i] = a[..] op b[..] with broadcasting through the layout.
KERNEL void ew_binary(float *out, const float *a, const float *b, Layout L, i64 n, int op, float p) {
	i64 step = (i64)ntid() * nbid();
	for (i64 i = (i64)bid() * ntid() + tid(); i < n; i += step) {
		i64 oa, ob;
		if (L.nd == 1) {
			oa = i * L.sa[0];
			ob = i * L.sb[0];
		} else {
			offsets(L, i, oa, ob);
		}
		float x = a[oa], y = b[ob], z;
		switch (op) {
		case B_ADD: z = x + y; break;
		case B_SUB: z = x - y; break;
		case B_MUL: z = x * y; break;
		case B_DIV: z = x / y; break;
		default: z = (y != 0.0f) ? p : x;
		}
		out[i] = z;
	}
}

// ---------------------------------------------------------------- reductions

enum { R_SUM = 0, R_MAX = 1, R_MEAN = 2, R_ARGMAX = 3 };

// Combine (v, i) into (bv, bi) for max/argmax: NaN wins, first index wins ties.
INLINE void maxcombine(float &bv, i64 &bi, float v, i64 i) {
	if (isnanf_(bv)) {
		if (isnanf_(v) && i < bi) bi = i;
		return;
	}
	if (isnanf_(v) || v > bv || (v == bv && i < bi)) {
		bv = v;
		bi = i;
	}
}

#define RB 256 // threads per block of the row kernels

// reduce_rows: in is [rows, cols] contiguous, one block per row (grid-stride
// over rows), out[row] = reduction.
KERNEL void reduce_rows(float *out, const float *in, i64 rows, i64 cols, int op) {
	__shared__ float sv[RB];
	__shared__ i64 si[RB];
	__shared__ double sd[RB];
	for (i64 r = bid(); r < rows; r += nbid()) {
		const float *x = in + r * cols;
		if (op == R_SUM || op == R_MEAN) {
			double acc = 0;
			for (i64 j = tid(); j < cols; j += ntid()) acc += (double)x[j];
			sd[tid()] = acc;
			sync();
			for (unsigned s = ntid() / 2; s > 0; s >>= 1) {
				if (tid() < s) sd[tid()] += sd[tid() + s];
				sync();
			}
			if (tid() == 0) out[r] = (float)(op == R_MEAN ? sd[0] / (double)cols : sd[0]);
		} else {
			float bv = -inff();
			i64 bi = cols; // sentinel: nothing seen
			for (i64 j = tid(); j < cols; j += ntid()) maxcombine(bv, bi, x[j], j);
			sv[tid()] = bv;
			si[tid()] = bi;
			sync();
			for (unsigned s = ntid() / 2; s > 0; s >>= 1) {
				if (tid() < s) {
					float v = sv[tid()];
					i64 i = si[tid()];
					float ov = sv[tid() + s];
					i64 oi = si[tid() + s];
					if (oi < cols) {
						if (i >= cols) {
							v = ov;
							i = oi;
						} else {
							maxcombine(v, i, ov, oi);
						}
					}
					sv[tid()] = v;
					si[tid()] = i;
				}
				sync();
			}
			if (tid() == 0) out[r] = op == R_MAX ? sv[0] : (float)si[0];
		}
		sync();
	}
}

// reduce_mid: in is [outer, red, inner] contiguous, one thread per output
// element (outer·inner of them).
KERNEL void reduce_mid(float *out, const float *in, i64 outer, i64 red, i64 inner, int op) {
	i64 n = outer * inner;
	i64 step = (i64)ntid() * nbid();
	for (i64 o = (i64)bid() * ntid() + tid(); o < n; o += step) {
		i64 a = o / inner, c = o % inner;
		const float *x = in + a * red * inner + c;
		if (op == R_SUM || op == R_MEAN) {
			double acc = 0;
			for (i64 j = 0; j < red; j++) acc += (double)x[j * inner];
			out[o] = (float)(op == R_MEAN ? acc / (double)red : acc);
		} else {
			float bv = x[0];
			i64 bi = 0;
			for (i64 j = 1; j < red; j++) maxcombine(bv, bi, x[j * inner], j);
			out[o] = op == R_MAX ? bv : (float)bi;
		}
	}
}

// ---------------------------------------------------------------- softmax

// Block-wide reductions over RB threads (blockDim.x == RB).
INLINE float block_max(float v, float *sh) {
	sh[tid()] = v;
	sync();
	for (unsigned s = RB / 2; s > 0; s >>= 1) {
		if (tid() < s) {
			float o = sh[tid() + s], m = sh[tid()];
			sh[tid()] = (isnanf_(m) || isnanf_(o)) ? nanf_() : (o > m ? o : m);
		}
		sync();
	}
	float r = sh[0];
	sync();
	return r;
}

INLINE float block_sum(float v, float *sh) {
	sh[tid()] = v;
	sync();
	for (unsigned s = RB / 2; s > 0; s >>= 1) {
		if (tid() < s) sh[tid()] += sh[tid() + s];
		sync();
	}
	float r = sh[0];
	sync();
	return r;
}

// Softmax of one row held at x (stride 1) into w (stride 1), of values
// v(j) = x[j]·scale, with the package's conventions: a NaN anywhere gives a
// NaN row, an all −Inf row gives zeros, +Inf entries share the weight.
INLINE void softmax_row(float *w, const float *x, i64 cols, float scale, float *sh) {
	float m = -inff();
	for (i64 j = tid(); j < cols; j += RB) {
		float v = x[j] * scale;
		if (isnanf_(v) || isnanf_(m)) m = nanf_();
		else if (v > m) m = v;
	}
	m = block_max(m, sh);
	if (isnanf_(m) || m == -inff()) {
		float f = isnanf_(m) ? m : 0.0f;
		for (i64 j = tid(); j < cols; j += RB) w[j] = f;
		return;
	}
	if (m == inff()) {
		float c = 0;
		for (i64 j = tid(); j < cols; j += RB) c += (x[j] * scale == inff()) ? 1.0f : 0.0f;
		c = block_sum(c, sh);
		for (i64 j = tid(); j < cols; j += RB) w[j] = (x[j] * scale == inff()) ? 1.0f / c : 0.0f;
		return;
	}
	float s = 0;
	for (i64 j = tid(); j < cols; j += RB) s += k_exp(x[j] * scale - m);
	s = block_sum(s, sh);
	float inv = 1.0f / s;
	for (i64 j = tid(); j < cols; j += RB) w[j] = k_exp(x[j] * scale - m) * inv;
}

// Rows of up to RB·PER values are held in registers, PER per thread
// (thread t has columns t, t+RB, ...; padding is −Inf, which changes
// neither the maximum nor the sum), so each element is read once.
#define PER 16

INLINE void softmax_cached(float *w, float (&v)[PER], i64 cols, float *sh) {
	float m = -inff();
#pragma unroll
	for (int u = 0; u < PER; u++) {
		if (isnanf_(v[u]) || isnanf_(m)) m = nanf_();
		else if (v[u] > m) m = v[u];
	}
	m = block_max(m, sh);
	if (isnanf_(m) || m == -inff()) {
		float f = isnanf_(m) ? m : 0.0f;
#pragma unroll
		for (int u = 0; u < PER; u++) {
			i64 j = tid() + (i64)u * RB;
			if (j < cols) w[j] = f;
		}
		return;
	}
	if (m == inff()) {
		float c = 0;
#pragma unroll
		for (int u = 0; u < PER; u++) c += v[u] == inff() ? 1.0f : 0.0f;
		c = block_sum(c, sh);
#pragma unroll
		for (int u = 0; u < PER; u++) {
			i64 j = tid() + (i64)u * RB;
			if (j < cols) w[j] = v[u] == inff() ? 1.0f / c : 0.0f;
		}
		return;
	}
	float s = 0;
#pragma unroll
	for (int u = 0; u < PER; u++) {
		v[u] = k_exp(v[u] - m);
		s += v[u];
	}
	s = block_sum(s, sh);
	float inv = 1.0f / s;
#pragma unroll
	for (int u = 0; u < PER; u++) {
		i64 j = tid() + (i64)u * RB;
		if (j < cols) w[j] = v[u] * inv;
	}
}

// softmax_rows: [rows, cols] contiguous, softmax over the last dimension.
KERNEL void softmax_rows(float *out, const float *in, i64 rows, i64 cols, float scale) {
	__shared__ float sh[RB];
	for (i64 r = bid(); r < rows; r += nbid()) {
		if (cols <= (i64)RB * PER) {
			float v[PER];
#pragma unroll
			for (int u = 0; u < PER; u++) {
				i64 j = tid() + (i64)u * RB;
				v[u] = j < cols ? in[r * cols + j] * scale : -inff();
			}
			softmax_cached(out + r * cols, v, cols, sh);
		} else {
			softmax_row(out + r * cols, in + r * cols, cols, scale, sh);
		}
		sync();
	}
}

// softmax_mid: [outer, red, inner] contiguous, softmax over the middle
// dimension, one thread per (outer, inner) column.
KERNEL void softmax_mid(float *out, const float *in, i64 outer, i64 red, i64 inner, float scale) {
	i64 n = outer * inner;
	i64 step = (i64)ntid() * nbid();
	for (i64 o = (i64)bid() * ntid() + tid(); o < n; o += step) {
		i64 a = o / inner, c = o % inner;
		const float *x = in + a * red * inner + c;
		float *w = out + a * red * inner + c;
		float m = -inff();
		for (i64 j = 0; j < red; j++) {
			float v = x[j * inner] * scale;
			if (isnanf_(v) || isnanf_(m)) m = nanf_();
			else if (v > m) m = v;
		}
		if (isnanf_(m) || m == -inff()) {
			float f = isnanf_(m) ? m : 0.0f;
			for (i64 j = 0; j < red; j++) w[j * inner] = f;
			continue;
		}
		if (m == inff()) {
			float cnt = 0;
			for (i64 j = 0; j < red; j++) cnt += (x[j * inner] * scale == inff()) ? 1.0f : 0.0f;
			for (i64 j = 0; j < red; j++) w[j * inner] = (x[j * inner] * scale == inff()) ? 1.0f / cnt : 0.0f;
			continue;
		}
		float s = 0;
		for (i64 j = 0; j < red; j++) s += k_exp(x[j * inner] * scale - m);
		float inv = 1.0f / s;
		for (i64 j = 0; j < red; j++) w[j * inner] = k_exp(x[j * inner] * scale - m) * inv;
	}
}

// ---------------------------------------------------------------- attention

// sdpa_rows: the fused middle of scaled-dot-product attention. scores is
// [rows, cols] (rows = batch·Tq, cols = Tk), computed by a matmul. One block
// per row writes
//
//	scaled  = scores · scale
//	masked  = scaled where mask ≠ 0, −Inf where mask = 0 (no mask: masked
//	          is not written, the Go side aliases it to scaled)
//	weights = softmax(masked) over the row.
//
// The mask is broadcast to [.., Tq, Tk] through ML (ML.sa holds its
// strides, ML.shape the scores' shape with the last dimension included);
// mask == 0 (null) means no mask.
KERNEL void sdpa_rows(const float *scores, float *scaled, float *masked, float *weights,
                      const float *mask, Layout ML, i64 rows, i64 cols, float scale) {
	__shared__ float sh[RB];
	for (i64 r = bid(); r < rows; r += nbid()) {
		const float *x = scores + r * cols;
		float *sc = scaled + r * cols;
		float *w = weights + r * cols;
		float *mk = masked + r * cols;
		// the mask's row: decompose r over the leading dims
		const float *mr = mask;
		i64 ms = 0;
		if (mask != 0) {
			i64 mo = 0, rr = r;
			for (int d = (int)ML.nd - 2; d >= 0; d--) {
				i64 s = ML.shape[d];
				mo += (rr % s) * ML.sa[d];
				rr /= s;
			}
			ms = ML.sa[ML.nd - 1];
			mr = mask + mo;
		}
		if (cols <= (i64)RB * PER) {
			float v[PER];
#pragma unroll
			for (int u = 0; u < PER; u++) {
				i64 j = tid() + (i64)u * RB;
				float val = -inff();
				if (j < cols) {
					float y = x[j] * scale;
					sc[j] = y;
					val = y;
					if (mask != 0) {
						val = mr[j * ms] != 0.0f ? y : -inff();
						mk[j] = val;
					}
				}
				v[u] = val;
			}
			softmax_cached(w, v, cols, sh);
		} else if (mask == 0) {
			for (i64 j = tid(); j < cols; j += RB) sc[j] = x[j] * scale;
			softmax_row(w, x, cols, scale, sh);
		} else {
			for (i64 j = tid(); j < cols; j += RB) {
				float y = x[j] * scale;
				sc[j] = y;
				mk[j] = mr[j * ms] != 0.0f ? y : -inff();
			}
			// each thread re-reads only the columns it wrote
			softmax_row(w, mk, cols, 1.0f, sh);
		}
		sync();
	}
}

// ---------------------------------------------------------------- matmul

// Batched C = A·B for general strides; C is [batch, M, N] contiguous.
// A(i,k) = A[aoff(b) + i·ars + k·acs], B(k,j) = B[boff(b) + k·brs + j·bcs].
// BL describes the batch: BL.shape over BL.nd dims, BL.sa / BL.sb the
// batch strides of A and B. grid = (ceil(N/128), ceil(M/128), batch),
// block = (16, 16): each block computes a 128×128 tile of C from 128×8
// slices of A and 8×128 of B in shared memory, each thread an 8×8 patch
// (rows ty + 16u, columns tx + 16v: conflict-free shared reads, coalesced
// stores).
#define TM 128
#define TN 128
#define TK 8
KERNEL void matmul(float *C, const float *A, const float *B, i64 M, i64 N, i64 K,
                   i64 ars, i64 acs, i64 brs, i64 bcs, Layout BL, i64 batch) {
	__shared__ float As[TK][TM];
	__shared__ float Bs[TK][TN];
	unsigned tx = tid(), ty = tidy();
	unsigned t = ty * 16 + tx;
	i64 i0 = (i64)bidy() * TM, j0 = (i64)bid() * TN;
	for (i64 b = bidz(); b < batch; b += __nvvm_read_ptx_sreg_nctaid_z()) {
		i64 ao, bo;
		offsets(BL, b, ao, bo);
		const float *a = A + ao;
		const float *bb = B + bo;
		float acc[8][8];
#pragma unroll
		for (int u = 0; u < 8; u++)
#pragma unroll
			for (int v = 0; v < 8; v++) acc[u][v] = 0.0f;
		for (i64 k0 = 0; k0 < K; k0 += TK) {
			// A slice: 128×8 elements, 4 per thread, walking along the
			// stride-1 dimension when there is one
#pragma unroll
			for (int q = 0; q < 4; q++) {
				unsigned l = t + 256 * q;
				unsigned ii, kk;
				if (acs == 1) { kk = l % TK; ii = l / TK; }
				else { ii = l % TM; kk = l / TM; }
				i64 gi = i0 + ii, gk = k0 + kk;
				As[kk][ii] = (gi < M && gk < K) ? a[gi * ars + gk * acs] : 0.0f;
			}
#pragma unroll
			for (int q = 0; q < 4; q++) {
				unsigned l = t + 256 * q;
				unsigned jj, kk;
				if (bcs == 1) { jj = l % TN; kk = l / TN; }
				else { kk = l % TK; jj = l / TK; }
				i64 gj = j0 + jj, gk = k0 + kk;
				Bs[kk][jj] = (gj < N && gk < K) ? bb[gk * brs + gj * bcs] : 0.0f;
			}
			sync();
#pragma unroll
			for (int kk = 0; kk < TK; kk++) {
				float av[8], bv[8];
#pragma unroll
				for (int u = 0; u < 8; u++) av[u] = As[kk][ty + 16 * u];
#pragma unroll
				for (int v = 0; v < 8; v++) bv[v] = Bs[kk][tx + 16 * v];
#pragma unroll
				for (int u = 0; u < 8; u++)
#pragma unroll
					for (int v = 0; v < 8; v++) acc[u][v] = __builtin_fmaf(av[u], bv[v], acc[u][v]);
			}
			sync();
		}
		float *c = C + b * M * N;
#pragma unroll
		for (int u = 0; u < 8; u++) {
			i64 gi = i0 + ty + 16 * u;
			if (gi >= M) continue;
#pragma unroll
			for (int v = 0; v < 8; v++) {
				i64 gj = j0 + tx + 16 * v;
				if (gj < N) c[gi * N + gj] = acc[u][v];
			}
		}
	}
}

// ---------------------------------------------------------------- model ops

// rmsnorm_rows: x [rows, cols] contiguous, w [cols]:
// out = x / √(mean(x²) + eps) · w.
KERNEL void rmsnorm_rows(float *out, const float *x, const float *w, i64 rows, i64 cols, float eps) {
	__shared__ float sh[RB];
	for (i64 r = bid(); r < rows; r += nbid()) {
		const float *xr = x + r * cols;
		float s = 0;
		for (i64 j = tid(); j < cols; j += RB) s += xr[j] * xr[j];
		s = block_sum(s, sh);
		float inv = 1.0f / k_sqrt(s / (float)cols + eps);
		for (i64 j = tid(); j < cols; j += RB) out[r * cols + j] = (xr[j] * inv) * w[j];
		sync();
	}
}

// rope: x [rows, d] contiguous with rows = batch·T, position of row r is
// r mod T; cs holds cos then sin tables of [T, d/2] (cs[T·d/2 + ..] = sin),
// computed on the host. mode 0: pairs (2i, 2i+1); mode 1: pairs (i, i+d/2).
KERNEL void rope(float *out, const float *x, const float *cs, i64 rows, i64 T, i64 d, int mode) {
	i64 h = d / 2;
	i64 n = rows * h;
	i64 step = (i64)ntid() * nbid();
	for (i64 p = (i64)bid() * ntid() + tid(); p < n; p += step) {
		i64 r = p / h, i = p % h;
		i64 t = r % T;
		float c = cs[t * h + i], s = cs[T * h + t * h + i];
		i64 i0, i1;
		if (mode == 0) { i0 = 2 * i; i1 = 2 * i + 1; }
		else { i0 = i; i1 = i + h; }
		float x0 = x[r * d + i0], x1 = x[r * d + i1];
		out[r * d + i0] = x0 * c - x1 * s;
		out[r * d + i1] = x0 * s + x1 * c;
	}
}
