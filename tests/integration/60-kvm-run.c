/*
 * 60-kvm-run.c - run one guest command line on the kvm engine and print
 * what happened; the driver of tests/integration/60-kvm-suite.sh and of
 * tests/kvm-nested/ (built by those scripts against libvmb.a, so it does
 * not depend on the harness CLI).
 *
 *   60-kvm-run GUEST "bench=NAME iters=N" [engine-options]
 *
 * stdout: the guest console, then
 *   "# backend <describe() line>"
 *   "# exit <reason> status <n> rip 0x<rip>: <message>"
 *   "# counters pio <n> mmio <n> pf <n> pvm_assist_syscall <n> ..."
 * Exit status 0 when the run reached a result (whatever it was), 1 when
 * the engine could not be created or failed on the host side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static unsigned long long stat_value(const struct engine_counters *c,
				     const char *name)
{
	const struct engine_stat *s = engine_stat_find(c, name);

	return s ? (unsigned long long)s->value : 0;
}

int main(int argc, char **argv)
{
	const struct engine_ops *ops = engine_find("kvm");
	struct vm_config cfg;
	struct engine_counters c;
	struct run_exit x;
	struct engine *e;
	char err[512], desc[512] = "";
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s GUEST CMDLINE [OPTIONS]\n", argv[0]);
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine.kernel_path = argv[1];
	cfg.machine.cmdline = argv[2];
	cfg.options = argc > 3 ? argv[3] : NULL;
	cfg.time_limit_s = getenv("VMB_TIME_LIMIT") ?
				   atof(getenv("VMB_TIME_LIMIT")) : 300;
	if (!ops || engine_create(ops, &cfg, &e, err, sizeof(err)) < 0) {
		printf("# error %s\n", ops ? err : "no kvm engine");
		return 1;
	}
	ops->describe(e, desc, sizeof(desc));
	rc = engine_run(e, &x);
	if (e->m->console.buf)
		fwrite(e->m->console.buf, 1, e->m->console.len, stdout);
	engine_counters(e, &c);
	printf("\n# backend %s\n", desc);
	printf("# exit %s status %u rip 0x%llx: %s\n",
	       run_exit_reason_name(x.reason), x.status,
	       (unsigned long long)x.rip, x.message);
	printf("# counters pio %llu mmio %llu pf %llu pvm_assist_syscall %llu "
	       "pvm_assist_int80 %llu pvm_int_emulated %llu\n",
	       (unsigned long long)c.traps.count[TRAP_PIO],
	       (unsigned long long)c.traps.count[TRAP_MMIO],
	       (unsigned long long)c.traps.exception_by_vector[14],
	       stat_value(&c, "pvm_assist_syscall"),
	       stat_value(&c, "pvm_assist_int80"),
	       stat_value(&c, "pvm_int_emulated"));
	engine_destroy(e);
	return rc < 0 ? 1 : 0;
}
