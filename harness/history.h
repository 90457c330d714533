/*
 * history.h - one metric across every stored run: median and CI per
 * (run, engine), in run order, for `vmbench history` and its plot.
 *
 * A metric is named "BENCH[/METRIC][:SAMPLE]", e.g. "cpuid",
 * "tlb_reach/access:ns_per_op"; SAMPLE defaults to cycles_per_op and an
 * absent METRIC matches every metric of the bench.
 */
#ifndef VMB_HISTORY_H
#define VMB_HISTORY_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct history_point {
	int64_t run_id;
	char started[32];
	char git_rev[48];
	char engine[32];
	char metric[48];
	struct stats_summary st;
};

struct history {
	struct history_point *p;
	unsigned n;
};

/*
 * Load (spec) over all runs, optionally only engine (engine) (NULL: all).
 * Returns 0, or -1 with (err) (bad spec, database error).
 */
int history_load(sqlite3 *db, const char *spec, const char *engine,
		 struct history *out, char *err, size_t errlen);

void history_free(struct history *h);

#endif /* VMB_HISTORY_H */
