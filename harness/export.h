/*
 * export.h - a stored run as flat files for pandas/R: one row per raw
 * sample (CSV, long format) or one JSON document (run metadata, cells,
 * samples). Unavailable values are empty in CSV and null in JSON, with
 * the reason in the "why" column.
 */
#ifndef VMB_EXPORT_H
#define VMB_EXPORT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Samples of run (run_id) as CSV with a header row. */
int export_csv(sqlite3 *db, int64_t run_id, FILE *f, char *err,
	       size_t errlen);

/* One row per cell of run (run_id) as CSV. */
int export_cells_csv(sqlite3 *db, int64_t run_id, FILE *f, char *err,
		     size_t errlen);

/* Run (run_id) as JSON: {"run":{...},"cells":[{...,"samples":[...]}]}. */
int export_json(sqlite3 *db, int64_t run_id, FILE *f, char *err,
		size_t errlen);

/*
 * Golden-file lines ("bench iters size seed 0xCHECKSUM", the format of
 * workloads/golden/) for each workload of run (run_id) whose successful
 * cells all printed the same checksum, with the targets that agreed in a
 * comment. (seed) is the seed the run used.
 */
int export_golden(sqlite3 *db, int64_t run_id, uint64_t seed, FILE *f,
		  char *err, size_t errlen);

/* Write (dir)/samples.csv, cells.csv and run.json. */
int export_run_files(sqlite3 *db, int64_t run_id, const char *dir, char *err,
		     size_t errlen);

#endif /* VMB_EXPORT_H */
