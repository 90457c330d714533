/*
 * matmul.c - macro workload `matmul`: integer matrix multiply.
 *
 * Two n x n matrices of 32-bit integers (n = size) are generated before the
 * timed phase; each iteration computes C = A x B and makes C the next A,
 * so the iterations form a chain (A_k = A_0 x B^k, modulo 2^32).
 * ops = multiply-adds (iters * n^3). Checksum: hash of the final product.
 */
#include "macro.h"

#define MATMUL_SALT 0x6d61746dull /* "matm" */

void matmul_fill(uint32_t *m, size_t n, struct vmb_rng *r)
{
	for (size_t i = 0; i < n * n; i++)
		m[i] = (uint32_t)vmb_rng_next(r);
}

void matmul_run(uint32_t *c, const uint32_t *a, const uint32_t *b, size_t n)
{
	/* i-k-j order: the inner loop walks rows of b and c sequentially. */
	for (size_t i = 0; i < n; i++) {
		uint32_t *ci = c + i * n;

		for (size_t j = 0; j < n; j++)
			ci[j] = 0;
		for (size_t k = 0; k < n; k++) {
			uint32_t aik = a[i * n + k];
			const uint32_t *bk = b + k * n;

			for (size_t j = 0; j < n; j++)
				ci[j] += aik * bk[j];
		}
	}
}

static int matmul_bench(const struct vmb_params *p)
{
	size_t n = (size_t)p->size;
	uint64_t elems, bytes, t0, t1;
	uint32_t *mem, *a, *b, *c, *t, roi;
	struct vmb_rng r;

	if (n == 0 || n > (1u << 16)) {
		vmb_report_error("matmul", "size (dimension) must be 1..65536");
		return 1;
	}
	elems = (uint64_t)n * n;
	if (macro_bytes("matmul", 3 * elems, sizeof(*mem), &bytes))
		return 1;
	mem = macro_alloc("matmul", bytes);
	if (!mem)
		return 1;
	a = mem;
	b = mem + elems;
	c = mem + 2 * elems;
	vmb_rng_seed(&r, macro_seed(p, MATMUL_SALT));
	matmul_fill(a, n, &r);
	matmul_fill(b, n, &r);
	vmb_memset(c, 0, elems * sizeof(*c)); /* first touch outside the region */

	roi = vmb_port_roi_begin();
	t0 = vmb_rdtsc();
	for (uint64_t it = 0; it < p->iters; it++) {
		matmul_run(c, a, b, n);
		t = a;
		a = c;
		c = t;
	}
	t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);

	vmb_report_result("matmul", roi, "mac", p->iters * elems * n, t1 - t0);
	vmb_report_checksum("matmul",
			    vmb_hash64(VMB_HASH64_INIT, a, elems * sizeof(*a)));
	vmb_sys_munmap(mem, bytes);
	return 0;
}

const struct vmb_bench bench_matmul = {
	.name = "matmul",
	.suite = "macro",
	.mode = VMB_MODE_USER,
	.default_iters = 80,
	.default_size = 256,
	.run = matmul_bench,
};
