/*
 * fault_ud - guest test: UD2 in the kernel must produce a `fault` line
 * and exit status VMB_EXIT_EXCEPTION + 6.
 */
#include "vmb.h"

static int fault_ud_run(const struct vmb_params *p)
{
	(void)p;
	__asm__ volatile("ud2");
	return 1;	/* not reached */
}

const struct vmb_bench bench_fault_ud = {
	.name = "fault_ud", .suite = "test", .mode = VMB_MODE_KERNEL,
	.default_iters = 1, .run = fault_ud_run,
};
