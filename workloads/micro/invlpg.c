/*
 * invlpg - cost of INVLPG alone, on a kernel page (a trap under shadow
 * paging, a plain instruction under EPT/NPT). Checksum: the count.
 */
#include "vmb.h"
#include "x86.h"

static uint8_t target[4096] __attribute__((aligned(4096)));

static int invlpg_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;

	target[0] = 1;
	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		invlpg((uint64_t)target);
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("invlpg", roi, "op", n, t1 - t0);
	vmb_report_checksum("invlpg", vmb_hash64_u64(VMB_HASH64_INIT, n));
	return 0;
}

const struct vmb_bench bench_invlpg = {
	.name = "invlpg", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 100000, .run = invlpg_run,
};
