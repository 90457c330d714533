/*
 * forkexec - the fork/exec/wait loop: fork, exec the kernel's "child"
 * program with argument i in the child (it exits with i % 128), wait in
 * the parent. One op is the whole cycle (fork with copy on write, exec
 * tearing it down and loading an ELF, exit, wait). Checksum: every exit
 * status in order.
 */
#include "vmb.h"
#include "vmb_sys.h"

static int forkexec_run(const struct vmb_params *p)
{
	uint64_t n = p->iters, h = VMB_HASH64_INIT;
	int bad = 0;

	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++) {
		long pid = vmb_sys_fork();
		if (pid == 0) {
			char num[24];
			vmb_snprintf(num, sizeof(num), "%lu", i);
			const char *const argv[] = {"child", num, 0};
			vmb_sys_exec("child", argv);
			vmb_sys_exit(126);	/* exec failed */
		}
		int status = -1;
		if (pid < 0 || vmb_sys_wait(pid, &status) != pid)
			bad = 1;
		bad |= status != (int)(i % 128);
		h = vmb_hash64_u64(h, (uint64_t)status);
	}
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("forkexec", roi, "cycle", n, t1 - t0);
	vmb_report_checksum("forkexec", h);
	if (bad)
		vmb_report_error("forkexec", "a child failed or exited with the wrong status");
	return bad;
}

const struct vmb_bench bench_forkexec = {
	.name = "forkexec", .suite = "macro", .mode = VMB_MODE_USER,
	.default_iters = 1000, .run = forkexec_run,
};
