/*
 * cell.h - run one matrix cell (target x workload x repetition) in a
 * forked child, so a crash, a hang or a fatal signal becomes a failed row
 * and never kills the matrix (xv6 usertests' run() idea).
 *
 * The child streams the guest console to the parent over a pipe; an
 * engine child also writes its run_exit, total counters and ROI snapshots
 * into a temporary file the parent reads back after the child is reaped.
 * Peers exec QEMU or the native kernels with stdout on the same pipe. The
 * parent enforces the wall-time limit (SIGKILL of the child's process
 * group), and records wall/user/sys time, peak RSS and the host counters.
 */
#ifndef VMB_CELL_H
#define VMB_CELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "pmu.h"
#include "target.h"

/* The console is kept up to this size; more is dropped and flagged. */
#define CELL_CONSOLE_MAX (8u << 20)

struct cell_spec {
	const struct target *target;
	const char *workload;	/* bench name */
	const char *params;	/* "iters=N size=S" (space separated), or "" */
	const char *engine_opts; /* engine option string, or NULL */
	uint64_t ram_bytes;	/* 0 = default */
	double time_limit_s;	/* wall limit enforced by the parent; 0 none */
	uint64_t insn_limit;	/* passed to engines; 0 none */
	int cpu;		/* pin the child to this CPU; -1 none */
	bool echo;		/* copy console to our stdout as it arrives */
};

struct cell_outcome {
	char *console;		/* NUL-terminated, malloc'd */
	size_t console_len;
	bool console_truncated;

	bool timed_out;
	int term_signal;	/* signal that ended the child, 0 if none */
	int exit_code;		/* process exit code when it exited */
	double wall_s, user_s, sys_s;
	long maxrss_kb;
	struct pmu_set pmu;
	char peer_stderr[2048];	/* tail of a peer's stderr */

	/* Engine targets: what the child sent back. */
	bool have_engine;	/* the record arrived */
	bool create_failed;
	char create_err[512];
	int run_rc;
	struct run_exit exit;
	struct engine_counters total;
	struct engine_roi_snapshot *roi;
	unsigned nroi;
	uint64_t roi_dropped;
	char cmdline[600];	/* what the guest was given */
	char describe[256];	/* the engine's one-line self-description */
};

/*
 * Run (spec) to completion into (out) (zeroed by the call). Returns 0
 * whenever the cell ran, however it ended; -1 with (err) only when the
 * host could not start it (pipe, fork, temporary file).
 */
int cell_run(const struct cell_spec *spec, struct cell_outcome *out,
	     char *err, size_t errlen);

/* Free what cell_run() allocated. */
void cell_outcome_free(struct cell_outcome *o);

#endif /* VMB_CELL_H */
