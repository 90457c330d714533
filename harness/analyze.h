/*
 * analyze.h - turn what one cell produced (console, exit, counters) into a
 * verdict and a list of samples.
 *
 * The verdict follows the order in which things go wrong: the child could
 * not run or crashed, it timed out, the engine could not be created, the
 * run stopped for a reason other than the guest's exit port, the guest
 * exited with a failure status or reported a fault or an error, the
 * result lines were malformed or truncated, the checksum differs from the
 * golden one. The first cause found is the row's cause.
 *
 * Samples are named values (sample names in docs/harness.md): per guest
 * result phase "ops", "cycles", "cycles_per_op", "ns_per_op", extra
 * fields, and the engine counters of the phase (END - BEGIN snapshot):
 * "trap.<kind>", "exc.<VEC>", "insns", "stat.<name>"; per run "wall_s",
 * "user_s", "sys_s", "maxrss_kb", "host.*" counters and whole-run
 * "run.trap.<kind>", "run.insns"; per workload ("bench" set, no metric)
 * "start.iters", "start.size" as its start line reported them.
 * Unavailable values carry the reason.
 */
#ifndef VMB_ANALYZE_H
#define VMB_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "resultparse.h"

#define SAMPLE_NAME 64
#define SAMPLE_WHY 200

struct sample {
	char bench[RP_NAME];	/* "" for run-level samples */
	char metric[RP_NAME];
	uint32_t roi;
	char name[SAMPLE_NAME];
	double value;
	bool available;
	char why[SAMPLE_WHY];
};

enum cell_status {
	CELL_OK,
	CELL_FAILED,
	CELL_SKIPPED,		/* not applicable or target unusable */
};

struct cell_record {
	enum cell_status status;
	char cause[1024];	/* "" when ok */
	char exit_reason[32];	/* run_exit_reason_name or peer's */
	int exit_status;	/* guest status, -1 if it never wrote one */
	uint64_t tsc_khz;	/* used for ns conversions */
	bool has_checksum;
	uint64_t checksum;
	int checksum_ok;	/* 1 match, 0 mismatch, -1 unknown */
	char checksum_note[200];
	struct sample *samples;
	unsigned nsamples;
};

/*
 * Analyse (o), the outcome of running (spec). (host_tsc_khz) converts
 * cycles to ns when the guest did not report its TSC frequency; (seed) is
 * the seed the workload ran with (for the golden lookup); (golden_dir) as
 * in golden_check(). Returns 0, or -1 when memory runs out.
 */
int analyze_cell(const struct cell_spec *spec, const struct cell_outcome *o,
		 uint64_t host_tsc_khz, uint64_t seed, const char *golden_dir,
		 struct cell_record *rec);

void cell_record_free(struct cell_record *rec);

/* "ok", "failed" or "skipped". */
const char *cell_status_name(enum cell_status s);

#endif /* VMB_ANALYZE_H */
