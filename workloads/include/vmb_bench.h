/*
 * vmb_bench.h - what a workload is, for the guest's workload table.
 *
 * A workload is one C file defining one `const struct vmb_bench` and one
 * Makefile line adding it (docs/adding-a-workload.md). The kernel looks the
 * name up from the command line (`bench=NAME iters=N size=S`), runs it in
 * kernel mode or in a fresh user process, and brackets it with the result
 * protocol (start ... end). The workload itself reports its results and
 * checksum with the SDK (workloads/lib/vmb.h).
 */
#ifndef VMB_BENCH_H
#define VMB_BENCH_H

#include <stdint.h>

/* This run's parameters; 0 in iters/size means "use the bench default". */
struct vmb_params {
	char bench[32];
	uint64_t iters;
	uint64_t size;
	uint64_t seed;
};

enum vmb_mode {
	VMB_MODE_KERNEL,	/* runs at CPL0 inside the kernel */
	VMB_MODE_USER,		/* runs at CPL3 in its own process */
};

struct vmb_bench {
	const char *name;	/* command-line name, [a-z0-9_]+ */
	const char *suite;	/* "micro" or "macro" */
	enum vmb_mode mode;
	uint64_t default_iters;
	uint64_t default_size;
	/* Run with (p) (defaults already applied). Returns 0 on success. */
	int (*run)(const struct vmb_params *p);
};

#endif /* VMB_BENCH_H */
