/*
 * fault_user - guest test: a user-mode store to an unmapped address
 * (0x10) must produce a `fault` line (vector 14, cpl 3, cr2 0x10) and exit
 * status VMB_EXIT_EXCEPTION + 14.
 */
#include "vmb.h"

static int fault_user_run(const struct vmb_params *p)
{
	uintptr_t addr = 0x10;

	(void)p;
	__asm__ volatile("" : "+r"(addr));	/* hide the constant from gcc */
	*(volatile int *)addr = 1;
	return 1;	/* not reached */
}

const struct vmb_bench bench_fault_user = {
	.name = "fault_user", .suite = "test", .mode = VMB_MODE_USER,
	.default_iters = 1, .run = fault_user_run,
};
