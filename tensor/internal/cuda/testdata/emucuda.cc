// emucuda.cc: runs the real kernels of ../kernels.cu on the host, for the
// fake driver built with -DFAKECUDA_EMU (see fakecuda.c). Each block runs
// with one POSIX thread per CUDA thread, __syncthreads is a barrier, and
// __shared__ arrays are static (blocks run one after another, so they are
// per block). It checks the kernels' own index arithmetic, tiling and
// reductions — what the C twins of fakecuda.c cannot — without a GPU.
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cstddef>
#include <type_traits>
#include <utility>

#define ATTNVIZ_EMULATE 1
#define __global__
#define __device__
#define __shared__ static

struct emu_dim {
	unsigned x, y, z;
};
static thread_local emu_dim emu_tid, emu_bid;
static emu_dim emu_ntid, emu_nbid;
static pthread_barrier_t emu_bar;

static inline unsigned __nvvm_read_ptx_sreg_tid_x() { return emu_tid.x; }
static inline unsigned __nvvm_read_ptx_sreg_tid_y() { return emu_tid.y; }
static inline unsigned __nvvm_read_ptx_sreg_ntid_x() { return emu_ntid.x; }
static inline unsigned __nvvm_read_ptx_sreg_ctaid_x() { return emu_bid.x; }
static inline unsigned __nvvm_read_ptx_sreg_ctaid_y() { return emu_bid.y; }
static inline unsigned __nvvm_read_ptx_sreg_ctaid_z() { return emu_bid.z; }
static inline unsigned __nvvm_read_ptx_sreg_nctaid_x() { return emu_nbid.x; }
static inline unsigned __nvvm_read_ptx_sreg_nctaid_z() { return emu_nbid.z; }
static inline void __nvvm_bar_sync(int) { pthread_barrier_wait(&emu_bar); }
static inline void __nvvm_membar_cta() { __sync_synchronize(); }
static inline float __nvvm_sqrt_rn_f(float x) { return sqrtf(x); }

#include "../kernels.cu"

template <typename... A, std::size_t... I>
static void emu_invoke(void (*f)(A...), void **p, std::index_sequence<I...>) {
	f(*(std::remove_cv_t<std::remove_reference_t<A>> *)p[I]...);
}
template <typename... A>
static void emu_invoke(void (*f)(A...), void **p) {
	emu_invoke(f, p, std::index_sequence_for<A...>{});
}

struct emu_thread {
	void (*run)(void **);
	void **params;
	emu_dim tid;
};

// Each thread walks every block of the grid; the barrier at the end of a
// block keeps all threads on the same block (the static __shared__ arrays
// belong to it).
static void *emu_body(void *arg) {
	emu_thread *t = (emu_thread *)arg;
	emu_tid = t->tid;
	for (unsigned z = 0; z < emu_nbid.z; z++)
		for (unsigned y = 0; y < emu_nbid.y; y++)
			for (unsigned x = 0; x < emu_nbid.x; x++) {
				emu_bid = {x, y, z};
				t->run(t->params);
				pthread_barrier_wait(&emu_bar);
			}
	return 0;
}

#define K(name) {#name, [](void **p) { emu_invoke(name, p); }}
static struct {
	const char *name;
	void (*run)(void **);
} emu_kernels[] = {
	K(ew_unary), K(ew_binary), K(reduce_rows), K(reduce_mid), K(softmax_rows),
	K(softmax_mid), K(sdpa_rows), K(matmul), K(rmsnorm_rows), K(rope),
};

// emu_launch runs kernel name over the grid; it returns 0, or -1 when the
// kernel is unknown or a thread cannot be started.
extern "C" int emu_launch(const char *name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                          unsigned bz, void **params) {
	void (*run)(void **) = 0;
	for (auto &k : emu_kernels)
		if (!strcmp(k.name, name)) run = k.run;
	if (!run) return -1;
	unsigned nt = bx * by * bz;
	emu_ntid = {bx, by, bz};
	emu_nbid = {gx, gy, gz};
	emu_thread *ts = new emu_thread[nt];
	pthread_t *th = new pthread_t[nt];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	int rc = 0;
	pthread_barrier_init(&emu_bar, 0, nt);
	unsigned i = 0;
	for (unsigned tz = 0; tz < bz; tz++)
		for (unsigned ty = 0; ty < by; ty++)
			for (unsigned tx = 0; tx < bx; tx++, i++) {
				ts[i] = {run, params, {tx, ty, tz}};
				if (pthread_create(&th[i], &attr, emu_body, &ts[i])) {
					fprintf(stderr, "emucuda: cannot start thread %u of %u\n", i, nt);
					abort(); // the started ones would wait at the barrier for ever
				}
			}
	for (unsigned j = 0; j < i; j++) pthread_join(th[j], 0);
	pthread_barrier_destroy(&emu_bar);
	pthread_attr_destroy(&attr);
	delete[] ts;
	delete[] th;
	return rc;
}
