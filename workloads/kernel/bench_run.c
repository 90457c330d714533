/*
 * bench_run.c - select workloads and run each in the right mode.
 */
#include "bench_run.h"
#include "bench_table.h"
#include "proc.h"
#include "syscall.h"
#include "vmb.h"

static int selected(const struct bench_entry *e, const char *what)
{
	if (!vmb_strcmp(what, "all"))
		return !vmb_strcmp(e->suite, "micro") || !vmb_strcmp(e->suite, "macro");
	return !vmb_strcmp(what, e->suite) || !vmb_strcmp(what, e->name);
}

static int kernel_bench_run(const struct vmb_bench *b, struct vmb_params *p)
{
	if (!p->iters)
		p->iters = b->default_iters;
	if (!p->size)
		p->size = b->default_size;
	vmb_report_start(b, p);
	int status = b->run(p);
	vmb_report_end(b->name, status);
	return status;
}

/* Run `bench NAME` as a child of the kernel task; its status is ours. */
static int user_bench_run(const struct bench_entry *e)
{
	const char *argv[] = {"bench", e->name, NULL};
	int status = -1;

	int pid = proc_spawn("bench", argv);
	if (pid < 0) {
		vmb_printf("bench: spawning program 'bench' failed: %d\n", pid);
		vmb_report_error(e->name, "cannot start the user bench program");
		return 1;
	}
	proc_wait(pid, &status);
	while (proc_wait(-1, NULL) > 0)	/* reap orphans it left behind */
		;
	if (status == PROC_STATUS_KILLED)	/* it could not print its end */
		vmb_report_end(e->name, status);
	return status;
}

int bench_run_all(const struct vmb_params *cmd)
{
	unsigned ran = 0;
	int failed = 0;

	for (unsigned i = 0; i < bench_count; i++) {
		const struct bench_entry *e = &bench_table[i];
		if (!selected(e, cmd->bench))
			continue;
		struct vmb_params p = *cmd;
		vmb_strlcpy(p.bench, e->name, sizeof(p.bench));
		syscall_params = p;
		int status = e->kernel ? kernel_bench_run(e->kernel, &p)
				       : user_bench_run(e);
		ran++;
		failed |= status != 0;
	}
	if (!ran) {
		vmb_printf("no workload named '%s' (try all, micro, macro)\n",
			   cmd->bench);
		vmb_report_error(cmd->bench, "unknown workload");
		vmb_report_done(VMB_EXIT_BAD_CMDLINE, 0);
		return VMB_EXIT_BAD_CMDLINE;
	}
	int status = failed ? VMB_EXIT_BENCH_FAILED : VMB_EXIT_OK;
	vmb_report_done(status, ran);
	return status;
}
