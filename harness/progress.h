/*
 * progress.h - one status line on a terminal for long matrices:
 * "[ 7/40] interp cpuid rep 2/5  elapsed 0:12  ETA 1:03". Silent when
 * stderr is not a terminal (CI logs get the per-cell lines instead).
 */
#ifndef VMB_PROGRESS_H
#define VMB_PROGRESS_H

#include <stdbool.h>

struct progress {
	unsigned total, done;
	double t0;
	bool tty;
};

void progress_start(struct progress *p, unsigned total);

/* Show the cell about to run: (rep) of (reps), or a warm-up. */
void progress_show(struct progress *p, const char *engine,
		   const char *workload, int rep, int reps, bool warmup);

/* Count one finished cell. */
void progress_step(struct progress *p);

/* Erase the line (before printing something else, and at the end). */
void progress_clear(struct progress *p);

#endif /* VMB_PROGRESS_H */
