/*
 * matrix.h - run targets x workloads x (warm-ups + repetitions), each cell
 * isolated in a child (cell.h), analysed (analyze.h) and stored (db.h).
 *
 * The matrix is data: the caller fills struct matrix_spec and the runner
 * walks it target by target, workload by workload. A failing cell is a
 * row with its cause and the walk goes on; a target that is not usable
 * here, or a workload a target cannot run (native runs only the compute
 * kernels), becomes a "skipped" row with the reason.
 */
#ifndef VMB_MATRIX_H
#define VMB_MATRIX_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "target.h"
#include "workloads.h"

#define MATRIX_MAX_OPTS 8

struct matrix_engine_opt {
	char engine[32];
	char opts[256];		/* "k=v,k2=v2" */
};

/* Parameters for one workload, appended after the global ones. */
struct matrix_wparam {
	char workload[48];
	char params[256];	/* "iters=N size=S" */
};

#define MATRIX_MAX_WPARAMS 64

struct matrix_spec {
	struct target *targets;
	unsigned ntargets;
	const struct workload_list *workloads;
	int reps, warmup;
	const char *params;	/* guest parameters, space separated */
	struct matrix_wparam wparams[MATRIX_MAX_WPARAMS];
	unsigned nwparams;
	struct matrix_engine_opt opts[MATRIX_MAX_OPTS];
	unsigned nopts;
	uint64_t ram_bytes;
	double time_limit_s;
	uint64_t insn_limit;
	int cpu;
	bool echo;		/* stream consoles to stdout */
	bool quiet;		/* no per-cell lines */
	const char *golden_dir;	/* NULL: workloads/golden */
	uint64_t host_tsc_khz;
	sqlite3 *db;
	int64_t run_id;
};

struct matrix_summary {
	unsigned cells, ok, failed, skipped;
};

/*
 * Run (m). Returns 0 when the walk completed (cells may have failed: see
 * (sum)), or -1 with (err) when the host could not go on (database write
 * or fork failure).
 */
int matrix_run(const struct matrix_spec *m, struct matrix_summary *sum,
	       char *err, size_t errlen);

/*
 * The guest parameters of workload (wl) in (m): the global ones, then the
 * workload's own (the guest lets a later key win), into (buf).
 */
const char *matrix_params(const struct matrix_spec *m, const char *wl,
			  char *buf, size_t len);

/* The options string of engine (name) in (m), or "". */
const char *matrix_engine_opts(const struct matrix_spec *m, const char *name);

#endif /* VMB_MATRIX_H */
