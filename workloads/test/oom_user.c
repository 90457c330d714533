/*
 * oom_user - guest test: touch more demand-zero memory than the machine
 * has (two mappings, each accepted by mmap on its own). The kernel must
 * kill this process, not the machine: an `error` line, `end` with status
 * -9 (PROC_STATUS_KILLED), and the run goes on to `done`.
 */
#include "vmb.h"
#include "vmb_sys.h"

#define PAGE 4096
#define CHUNK (160ull << 20)	/* two of them exceed a 256 MiB guest */

static int oom_user_run(const struct vmb_params *p)
{
	volatile uint8_t *mem[2];

	(void)p;
	for (int i = 0; i < 2; i++) {	/* map both before touching any */
		mem[i] = vmb_sys_mmap(CHUNK);
		if (!mem[i]) {
			vmb_report_error("oom_user", "mmap refused a chunk");
			return 1;
		}
	}
	for (int i = 0; i < 2; i++)
		for (uint64_t off = 0; off < CHUNK; off += PAGE)
			mem[i][off] = 1;
	vmb_report_error("oom_user", "more memory than RAM was touched");
	return 1;
}

const struct vmb_bench bench_oom_user = {
	.name = "oom_user", .suite = "test", .mode = VMB_MODE_USER,
	.default_iters = 1, .run = oom_user_run,
};
