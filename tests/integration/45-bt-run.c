/*
 * 45-bt-run.c - run one guest command line on the bt engine and print
 * what happened; the driver of the fault tests in 45-bt-guest.sh (the
 * harness does not list the guest's "test" suite), built by that script
 * against libvmb.a.
 *
 *   45-bt-run GUEST "bench=NAME" [engine-options]
 *
 * stdout: the guest console, then
 *   "# exit <reason> status <n> rip 0x<rip>: <message>"
 * Exit status 0 when the run reached a result (whatever it was), 1 when
 * the engine could not be created or failed on the host side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int main(int argc, char **argv)
{
	const struct engine_ops *ops = engine_find("bt");
	struct vm_config cfg;
	struct run_exit x;
	struct engine *e;
	char err[512];
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s GUEST CMDLINE [OPTIONS]\n", argv[0]);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.kernel_path = argv[1];
	cfg.machine.cmdline = argv[2];
	cfg.options = argc > 3 ? argv[3] : NULL;
	cfg.time_limit_s = 60;
	if (!ops || engine_create(ops, &cfg, &e, err, sizeof(err)) < 0) {
		printf("# error %s\n", ops ? err : "no bt engine");
		return 1;
	}
	rc = engine_run(e, &x);
	if (e->m->console.buf)
		fwrite(e->m->console.buf, 1, e->m->console.len, stdout);
	printf("\n# exit %s status %u rip 0x%llx: %s\n",
	       run_exit_reason_name(x.reason), x.status,
	       (unsigned long long)x.rip, x.message);
	engine_destroy(e);
	return rc < 0 ? 1 : 0;
}
