/*
 * db.h - the result database (SQLite, results/vmbench.db by default).
 *
 * Schema (docs/harness.md explains every column):
 *   runs(id, started, finished, git_rev, build_flags, hostname, host_cpu,
 *        kernel, tsc_khz, kvm_backend, kvm_usable, kvm_why, pmu_usable,
 *        pmu_why, qemu_version, argv, params, engine_opts, reps, warmup,
 *        out_dir, nfailed)
 *   cells(id, run_id, engine, technique, engine_detail, workload, params,
 *         engine_opts,
 *         rep, warmup, status, cause, exit_reason, exit_status, checksum,
 *         checksum_ok, checksum_note, tsc_khz, wall_s, started, console)
 *   samples(cell_id, bench, metric, roi, name, value, available, why)
 * Every raw sample is one row of samples; an unavailable value has
 * value NULL, available 0 and the reason in why.
 */
#ifndef VMB_DB_H
#define VMB_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze.h"
#include "hostinfo.h"

#define DB_DEFAULT_PATH "results/vmbench.db"

/*
 * Open or create the database at (path) (its directory is created if
 * missing) with the schema in place. Returns 0 and *db, or -1 with (err).
 */
int db_open(const char *path, sqlite3 **db, char *err, size_t errlen);

void db_close(sqlite3 *db);

struct db_run_meta {
	const struct host_info *host;
	const char *argv;	/* the command line, joined */
	const char *params;
	const char *engine_opts;
	int reps, warmup;
	const char *out_dir;
};

/* Insert a run row (started now). Returns 0 and *id, or -1 with (err). */
int db_run_begin(sqlite3 *db, const struct db_run_meta *m, int64_t *id,
		 char *err, size_t errlen);

/* Mark run (id) finished with (nfailed) failed cells. */
int db_run_finish(sqlite3 *db, int64_t id, int nfailed, char *err,
		  size_t errlen);

struct db_cell {
	const char *engine, *technique, *workload, *params, *engine_opts;
	int rep;
	bool warmup;
	const char *console;	/* stored for failed cells (cut at 64 KiB) */
	const char *engine_detail; /* engine's describe() line, or NULL */
};

/* Insert a cell and all its samples in one transaction. */
int db_cell_insert(sqlite3 *db, int64_t run_id, const struct db_cell *c,
		   const struct cell_record *rec, double wall_s,
		   int64_t *cell_id, char *err, size_t errlen);

/*
 * Resolve (spec): a run id, "latest" (highest id), or "latest~N" (N runs
 * before the latest). Returns 0 and *id, or -1 with (err).
 */
int db_run_resolve(sqlite3 *db, const char *spec, int64_t *id, char *err,
		   size_t errlen);

/* The build flags string stored with each run. */
const char *db_build_flags(void);

#endif /* VMB_DB_H */
