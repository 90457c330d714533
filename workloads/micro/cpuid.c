/*
 * cpuid - cost of CPUID (leaf 0), an unconditional exit under hardware
 * virtualization. The values differ between engines and QEMU, so the
 * checksum is the number of executions only.
 */
#include "vmb.h"
#include "x86.h"

static int cpuid_run(const struct vmb_params *p)
{
	uint32_t r[4];
	uint64_t n = p->iters;

	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		cpuid(0, 0, r);
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("cpuid", roi, "op", n, t1 - t0);
	vmb_report_checksum("cpuid", vmb_hash64_u64(VMB_HASH64_INIT, n));
	return 0;
}

const struct vmb_bench bench_cpuid = {
	.name = "cpuid", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 100000, .run = cpuid_run,
};
