/*
 * report.h - the readable report of one stored run: engines as columns,
 * medians with their bootstrap 95% CI, and the derived figures (slowdown
 * vs native and vs the fastest engine, world-switch cost per exit kind,
 * trap rates by cause, TLB-reach points), then the failed cells with
 * their causes and the metrics that were unavailable, with why.
 */
#ifndef VMB_REPORT_H
#define VMB_REPORT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

/* Print the report of run (run_id) to (f). Returns 0, or -1 with (err). */
int report_print(sqlite3 *db, int64_t run_id, FILE *f, char *err,
		 size_t errlen);

/* Write (dir)/report.txt. Returns 0, or -1 with (err). */
int report_file_write(sqlite3 *db, int64_t run_id, const char *dir,
		      char *err, size_t errlen);

/*
 * The bench measuring one exit of (kind) ("pio", "mmio", "cpuid",
 * "hypercall"): a bench whose name contains the kind. Exposed for tests.
 */
int report_exit_kind_matches(const char *bench, const char *kind);

#endif /* VMB_REPORT_H */
