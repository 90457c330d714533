/*
 * compare.h - is a run slower than its baseline?
 *
 * For every (engine, workload, bench, metric) present in both runs, the
 * samples of one metric (default cycles_per_op; lower is better) are
 * compared with the Mann-Whitney U test. A row is a regression when the
 * new median exceeds the base median by more than (threshold) and the
 * difference is significant (p < alpha); an improvement symmetrically.
 * With 3 samples on each side no difference can reach p < 0.05 under the
 * normal approximation (p >= 0.08): such rows say "too few samples" and
 * never fail a comparison, so CI baselines want 4+ repetitions.
 */
#ifndef VMB_COMPARE_H
#define VMB_COMPARE_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

struct compare_opts {
	const char *metric;	/* sample name, e.g. "cycles_per_op" */
	double threshold;	/* relative change, e.g. 0.05 */
	double alpha;		/* significance level, e.g. 0.05 */
};

struct compare_result {
	unsigned rows, regressions, improvements, unmatched;
};

/*
 * Compare run (base) with run (cur) and print one line per row to (f).
 * Returns 0 with (res), or -1 with (err) on a database failure.
 */
int compare_runs(sqlite3 *db, int64_t base, int64_t cur,
		 const struct compare_opts *o, FILE *f,
		 struct compare_result *res, char *err, size_t errlen);

#endif /* VMB_COMPARE_H */
