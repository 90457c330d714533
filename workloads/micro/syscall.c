/*
 * syscall - the null system call through the `syscall` instruction.
 * Checksum: iters and the sum of the return values (all 0).
 */
#include "vmb.h"
#include "vmb_sys.h"

static int syscall_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;
	long acc = 0;

	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		acc += vmb_sys_null();
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("syscall", roi, "op", n, t1 - t0);
	vmb_report_checksum("syscall",
			    vmb_hash64_u64(vmb_hash64_u64(VMB_HASH64_INIT, n),
					   (uint64_t)acc));
	return acc != 0;
}

const struct vmb_bench bench_syscall = {
	.name = "syscall", .suite = "micro", .mode = VMB_MODE_USER,
	.default_iters = 100000, .run = syscall_run,
};
