/*
 * plot.h - gnuplot charts of a stored run.
 *
 * For each chart the data file (<name>.dat) and the gnuplot script
 * (<name>.gp, rendered from scripts/plot/<name>.gp) are kept beside the
 * image so a user can restyle and rerun `gnuplot <name>.gp` in (dir).
 * Charts: cost (per-op cost by engine, log scale, CI error bars),
 * trapmix (traps per op stacked by cause), slowdown (vs native),
 * tlb (TLB-reach curves), history (a metric over runs). A chart without
 * data is skipped with the reason.
 */
#ifndef VMB_PLOT_H
#define VMB_PLOT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct plot_opts {
	const char *dir;	/* output directory (created) */
	bool svg;		/* SVG instead of PNG */
	const char *history;	/* metric for the history chart, or NULL */
};

/*
 * Draw the charts of run (run_id) into opts->dir, telling (log) what was
 * written or skipped. Returns the number of images drawn, or -1 with
 * (err) (gnuplot missing or failing, unwritable directory).
 */
int plot_run(sqlite3 *db, int64_t run_id, const struct plot_opts *opts,
	     FILE *log, char *err, size_t errlen);

#endif /* VMB_PLOT_H */
