/*
 * crc.c - macro workload `crc`: CRC-32 and FNV-1a 64 over generated data.
 *
 * One buffer of (size) bytes is generated before the timed phase; each
 * iteration folds the whole buffer into both digests, then flips one byte
 * so that no two passes see the same data. ops = bytes digested.
 * Checksum: the final CRC and hash.
 */
#include "macro.h"

#define CRC_SALT 0x637263ull /* "crc" */

void crc_fill(uint8_t *buf, size_t n, struct vmb_rng *r)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if ((i & 7) == 0)
			v = vmb_rng_next(r);
		buf[i] = (uint8_t)v;
		v >>= 8;
	}
}

void crc_run(struct crc_state *st, const uint8_t *buf, size_t n)
{
	st->crc = vmb_crc32(st->crc, buf, n);
	st->hash = vmb_hash64(st->hash, buf, n);
}

static int crc_bench(const struct vmb_params *p)
{
	size_t n = (size_t)p->size;
	struct crc_state st = {.crc = 0, .hash = VMB_HASH64_INIT};
	struct vmb_rng r;
	uint64_t t0, t1;
	uint8_t *buf;
	uint32_t roi;

	if (n == 0) {
		vmb_report_error("crc", "size (bytes) must be > 0");
		return 1;
	}
	buf = macro_alloc("crc", n);
	if (!buf)
		return 1;
	vmb_rng_seed(&r, macro_seed(p, CRC_SALT));
	crc_fill(buf, n, &r);

	roi = vmb_port_roi_begin();
	t0 = vmb_rdtsc();
	for (uint64_t it = 0; it < p->iters; it++) {
		crc_run(&st, buf, n);
		buf[it % n] ^= (uint8_t)(st.crc | 1);
	}
	t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);

	vmb_report_result("crc", roi, "byte", p->iters * n, t1 - t0);
	vmb_report_checksum("crc", vmb_hash64_u64(st.hash, st.crc));
	vmb_sys_munmap(buf, n);
	return 0;
}

const struct vmb_bench bench_crc = {
	.name = "crc",
	.suite = "macro",
	.mode = VMB_MODE_USER,
	.default_iters = 256,
	.default_size = 1u << 20,
	.run = crc_bench,
};
