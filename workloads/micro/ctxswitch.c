/*
 * ctxswitch - process context switches: parent and a forked child each
 * call yield `iters` times; with only the two runnable, every yield
 * switches process, i.e. writes CR3. The parent times its loop: ops =
 * 2 * iters switches. Checksum: iters and the child's exit status.
 */
#include "vmb.h"
#include "vmb_sys.h"

#define CHILD_STATUS 42

static int ctxswitch_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;
	int status = -1;

	long pid = vmb_sys_fork();
	if (pid < 0) {
		vmb_report_error("ctxswitch", "fork failed");
		return 1;
	}
	if (pid == 0) {
		for (uint64_t i = 0; i < n; i++)
			vmb_sys_yield();
		vmb_sys_exit(CHILD_STATUS);
	}
	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		vmb_sys_yield();
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_sys_wait(pid, &status);
	vmb_report_result("ctxswitch", roi, "switch", 2 * n, t1 - t0);
	vmb_report_checksum("ctxswitch",
			    vmb_hash64_u64(vmb_hash64_u64(VMB_HASH64_INIT, n),
					   (uint64_t)status));
	return status != CHILD_STATUS;
}

const struct vmb_bench bench_ctxswitch = {
	.name = "ctxswitch", .suite = "micro", .mode = VMB_MODE_USER,
	.default_iters = 10000, .run = ctxswitch_run,
};
