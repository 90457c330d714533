/*
 * bench_run.h - run the workloads the command line selected.
 */
#ifndef KERNEL_BENCH_RUN_H
#define KERNEL_BENCH_RUN_H

#include "vmb_bench.h"

/*
 * Run every workload selected by (cmd)->bench: "all" (suites micro then
 * macro), "micro", "macro", or one workload's name (any suite, including
 * the "test" workloads, which "all" never runs). Kernel-mode workloads run
 * here, framed by start/end lines; user-mode ones run as `bench NAME` in a
 * fresh process that prints its own start/end, its exit status being the
 * workload's. Prints the `done` line. Returns the exit status for the run:
 * VMB_EXIT_OK, VMB_EXIT_BENCH_FAILED or VMB_EXIT_BAD_CMDLINE.
 */
int bench_run_all(const struct vmb_params *cmd);

#endif
