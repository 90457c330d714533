/*
 * callret - a call/ret pair to a tiny function that cannot be inlined:
 * the baseline every engine should run at near-native speed.
 * Checksum: the sum of the function's results (depends on iters only).
 */
#include "vmb.h"

__attribute__((noinline, noclone)) static uint64_t leaf(uint64_t x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 3 + 1;
}

static int callret_run(const struct vmb_params *p)
{
	uint64_t n = p->iters, acc = 0;

	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		acc += leaf(i);
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("callret", roi, "op", n, t1 - t0);
	vmb_report_checksum("callret", vmb_hash64_u64(VMB_HASH64_INIT, acc));
	return 0;
}

const struct vmb_bench bench_callret = {
	.name = "callret", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 1000000, .run = callret_run,
};
