/*
 * divzero - cost of delivering #DE to the guest and returning from its
 * handler: DIV by zero at CPL0, resumed after the instruction by the
 * trap fixup. Checksum: the number of #DE the handler saw (must be iters).
 */
#include "trap.h"
#include "vmb.h"

extern char dz_insn[], dz_resume[];

__attribute__((noinline, noclone)) static void divide_by_zero(void)
{
	__asm__ volatile(".globl dz_insn, dz_resume\n"
			 "xorl %%ecx, %%ecx\n"
			 "movl $1, %%eax\n"
			 "xorl %%edx, %%edx\n"
			 "dz_insn: divl %%ecx\n"
			 "dz_resume:"
			 :
			 :
			 : "rax", "rcx", "rdx", "memory");
}

static int divzero_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;

	trap_fixup_set(T_DE, (uint64_t)dz_insn, (uint64_t)dz_resume);
	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		divide_by_zero();
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	uint64_t hits = trap_fixup_clear();
	vmb_report_result("divzero", roi, "de", n, t1 - t0);
	vmb_report_checksum("divzero", vmb_hash64_u64(VMB_HASH64_INIT, hits));
	if (hits != n) {
		vmb_report_error("divzero", "#DE count differs from iterations");
		return 1;
	}
	return 0;
}

const struct vmb_bench bench_divzero = {
	.name = "divzero", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 100000, .run = divzero_run,
};
