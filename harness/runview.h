/*
 * runview.h - a stored run as series of samples, for report, compare,
 * plot, export and history.
 *
 * A series is every measured (non-warm-up, successful) value of one
 * sample name for one (engine, workload, bench, metric): the repetitions
 * of a cell, ready for statistics. Derived series (trap rates, TLB-reach
 * points) pair samples of the same cell and phase in SQL.
 */
#ifndef VMB_RUNVIEW_H
#define VMB_RUNVIEW_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct series {
	char engine[32];
	char workload[48];
	char bench[48];
	char metric[48];
	char name[64];
	double x;		/* TLB reach: working-set bytes */
	double *v;
	size_t n, cap;
};

struct series_set {
	struct series *s;
	unsigned n;
};

/*
 * Load run (run_id)'s samples whose name matches SQL LIKE (name_like)
 * into (out) (zeroed first). Only successful, measured cells count.
 * Returns 0, or -1 with (err).
 */
int series_load(sqlite3 *db, int64_t run_id, const char *name_like,
		struct series_set *out, char *err, size_t errlen);

/*
 * Derived trap rates of run (run_id): for each phase with engine
 * counters, "per_s.<kind>" (traps per second of guest TSC time) and
 * "per_kinsn.<kind>" (traps per 1000 guest instructions, where the
 * engine counts them), kinds with at least one trap only.
 */
int series_trap_rates(sqlite3 *db, int64_t run_id, struct series_set *out,
		      char *err, size_t errlen);

/*
 * TLB-reach points of run (run_id): one series per (engine, bench,
 * metric, ws_bytes) of cycles_per_op, with x = ws_bytes, sorted by x.
 */
int series_tlb_reach(sqlite3 *db, int64_t run_id, struct series_set *out,
		     char *err, size_t errlen);

/* The series with these keys (NULL matches anything), or NULL. */
struct series *series_find(struct series_set *set, const char *engine,
			   const char *workload, const char *bench,
			   const char *metric, const char *name);

/* Engines in first-seen order into (names)[max]; returns how many. */
unsigned series_engines(const struct series_set *set, const char **names,
			unsigned max);

/* Summary of (s) with the default seed and rounds. */
int series_summary(const struct series *s, struct stats_summary *out);

void series_set_free(struct series_set *set);

#endif /* VMB_RUNVIEW_H */
