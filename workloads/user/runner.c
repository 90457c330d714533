/*
 * runner.c - the user-mode bench runner, embedded as program "bench".
 *
 * `bench NAME` runs the user-mode workload NAME with this run's parameters
 * (VMB_SYS_PARAMS; defaults applied here) and prints its start and end
 * lines. The exit status is the workload's (0 = ok).
 */
#include "vmb.h"
#include "vmb_sys.h"

extern const struct vmb_bench *const user_benches[];	/* generated */

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	struct vmb_params p;

	vmb_sys_params(&p);
	const char *name = argc > 1 ? argv[1] : p.bench;
	for (unsigned i = 0; user_benches[i]; i++) {
		const struct vmb_bench *b = user_benches[i];
		if (vmb_strcmp(b->name, name))
			continue;
		vmb_strlcpy(p.bench, b->name, sizeof(p.bench));
		if (!p.iters)
			p.iters = b->default_iters;
		if (!p.size)
			p.size = b->default_size;
		vmb_report_start(b, &p);
		int status = b->mode == VMB_MODE_USER ? b->run(&p) : 1;
		if (b->mode != VMB_MODE_USER)
			vmb_report_error(name, "listed as user-mode but its mode is kernel");
		vmb_report_end(b->name, status);
		return status;
	}
	vmb_report_error(name, "no such user-mode workload in program bench");
	return 1;
}
