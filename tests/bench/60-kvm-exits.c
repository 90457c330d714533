/*
 * 60-kvm-exits.c - driver for tests/bench/60-kvm-exits.sh (built by the
 * script against build/rel/libvmb.a).
 *
 *   60-kvm-exits raw [iters]                 raw exit loops (kvm_rawbench)
 *   60-kvm-exits suite GUEST BENCH [iters]   one guest workload on the kvm
 *                                            engine: ns per op from its
 *                                            result line
 *
 * Output is one line per measurement: "name median_ns min_ns max_ns n",
 * machine-readable for the script, which prints the table and ratios.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "kvm/kvm_backend.h"
#include "kvm/kvm_rawbench.h"

#define REPS 7

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_stats(const char *name, double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("%s %.2f %.2f %.2f %u\n", name, v[n / 2], v[0], v[n - 1], n);
}

static int raw_main(uint64_t iters)
{
	struct kvm_backend b;
	double ns[REPS];
	char err[256];
	int fails = 0;

	kvm_backend_detect(&b);
	printf("backend %s\n", kvm_backend_name(b.kind));
	for (int k = 0; k < KVM_RAW_NR; k++) {
		uint64_t n = iters;

		if (k == KVM_RAW_VMCALL && b.kind == KVM_BACKEND_PVM) {
			printf("note vmcall not measured: it livelocks on "
			       "pvm\n");
			continue;
		}
		/* Loops without exits need more iterations to be timed. */
		if (k == KVM_RAW_LOOP_CPL3 || k == KVM_RAW_LOOP_HOST)
			n = iters * 10000;
		if (kvm_rawbench_run((enum kvm_raw_kind)k, n, REPS, ns, err,
				     sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			fails++;
			continue;
		}
		print_stats(kvm_raw_kind_name((enum kvm_raw_kind)k), ns, REPS);
	}
	return fails ? 1 : 0;
}

/* ns per op of the first result line of (bench) in the console (text). */
static int result_ns(const char *text, uint64_t tsc_khz, double *ns)
{
	const char *p = strstr(text, "\"ev\":\"result\"");
	const char *ops, *cyc;

	if (!p || !(ops = strstr(p, "\"ops\":")) ||
	    !(cyc = strstr(p, "\"cycles\":")))
		return -1;
	*ns = (double)strtoull(cyc + 9, NULL, 10) * 1e6 / (double)tsc_khz /
	      (double)strtoull(ops + 6, NULL, 10);
	return 0;
}

static int suite_main(const char *guest, const char *bench, uint64_t iters)
{
	const struct engine_ops *ops = engine_find("kvm");
	char cmdline[128], err[512];
	double ns[REPS];

	snprintf(cmdline, sizeof(cmdline), "bench=%s iters=%llu", bench,
		 (unsigned long long)iters);
	for (unsigned i = 0; i < REPS; i++) {
		struct vm_config cfg = { .machine = { .kernel_path = guest,
						      .cmdline = cmdline },
					 .time_limit_s = 120 };
		struct engine *e;
		struct run_exit x;

		if (!ops || engine_create(ops, &cfg, &e, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", bench, ops ? err : "no kvm");
			return 1;
		}
		if (engine_run(e, &x) < 0 || x.reason != RUN_EXIT_GUEST ||
		    x.status != 0 ||
		    result_ns(e->m->console.buf ? e->m->console.buf : "",
			      e->m->tsc_khz, &ns[i]) < 0) {
			fprintf(stderr, "%s: run ended %s status %u: %s\n",
				bench, run_exit_reason_name(x.reason),
				x.status, x.message);
			engine_destroy(e);
			return 1;
		}
		engine_destroy(e);
	}
	snprintf(cmdline, sizeof(cmdline), "suite_%s", bench);
	print_stats(cmdline, ns, REPS);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "raw"))
		return raw_main(argc > 2 ? strtoull(argv[2], NULL, 0) : 20000);
	if (argc >= 4 && !strcmp(argv[1], "suite"))
		return suite_main(argv[2], argv[3],
				  argc > 4 ? strtoull(argv[4], NULL, 0) : 20000);
	fprintf(stderr, "usage: %s raw [iters] | suite GUEST BENCH [iters]\n",
		argv[0]);
	return 2;
}
