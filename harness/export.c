/*
 * export.c - CSV and JSON dumps of a run.
 */
#include "export.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

static int db_err(sqlite3 *db, char *err, size_t errlen)
{
	snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(db));
	return -1;
}

/* RFC 4180 field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return;
	if (sqlite3_column_type(s, i) == SQLITE_FLOAT) {
		fprintf(f, "%.17g", sqlite3_column_double(s, i));
		return;
	}
	const char *t = (const char *)sqlite3_column_text(s, i);
	if (!strpbrk(t, ",\"\n\r")) {
		fputs(t, f);
		return;
	}
	fputc('"', f);
	for (; *t; t++) {
		if (*t == '"')
			fputc('"', f);
		fputc(*t, f);
	}
	fputc('"', f);
}

static int csv_query(sqlite3 *db, int64_t id, const char *sql, FILE *f,
		     char *err, size_t errlen)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(db, err, errlen);
	sqlite3_bind_int64(s, 1, id);
	int nc = sqlite3_column_count(s);
	for (int i = 0; i < nc; i++)
		fprintf(f, "%s%s", i ? "," : "", sqlite3_column_name(s, i));
	fprintf(f, "\n");
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < nc; i++) {
			if (i)
				fputc(',', f);
			csv_field(f, s, i);
		}
		fputc('\n', f);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_err(db, err, errlen);
}

int export_csv(sqlite3 *db, int64_t id, FILE *f, char *err, size_t errlen)
{
	return csv_query(db, id,
			 "SELECT c.run_id, c.id AS cell_id, c.engine,"
			 " c.workload, c.rep, c.warmup, c.status, s.bench,"
			 " s.metric, s.roi, s.name, s.value, s.available, s.why"
			 " FROM samples s JOIN cells c ON s.cell_id = c.id"
			 " WHERE c.run_id = ? ORDER BY c.id, s.rowid",
			 f, err, errlen);
}

int export_cells_csv(sqlite3 *db, int64_t id, FILE *f, char *err,
		     size_t errlen)
{
	return csv_query(db, id,
			 "SELECT run_id, id AS cell_id, engine, technique,"
			 " engine_detail, workload, params, engine_opts, rep, warmup, status,"
			 " cause, exit_reason, exit_status, checksum,"
			 " checksum_ok, checksum_note, tsc_khz, wall_s, started"
			 " FROM cells WHERE run_id = ? ORDER BY id",
			 f, err, errlen);
}

/* The current row of (s) as a JSON object, column names as keys. */
static json_t *row_json(sqlite3_stmt *s)
{
	json_t *o = json_object();
	for (int i = 0; i < sqlite3_column_count(s); i++) {
		json_t *v;
		switch (sqlite3_column_type(s, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(s, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(s, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			v = json_string((const char *)sqlite3_column_text(s, i));
		}
		json_object_set_new(o, sqlite3_column_name(s, i), v);
	}
	return o;
}

static json_t *rows_json(sqlite3 *db, const char *sql, int64_t id)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, id);
	json_t *a = json_array();
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(a, row_json(s));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int export_json(sqlite3 *db, int64_t id, FILE *f, char *err, size_t errlen)
{
	json_t *run = rows_json(db, "SELECT * FROM runs WHERE id = ?", id);
	json_t *cells = rows_json(db,
				  "SELECT id, engine, technique, engine_detail,"
				  " workload, params, engine_opts, rep, warmup,"
				  " status,"
				  " cause, exit_reason, exit_status, checksum,"
				  " checksum_ok, checksum_note, tsc_khz, wall_s,"
				  " started FROM cells WHERE run_id = ?"
				  " ORDER BY id",
				  id);
	if (!run || !cells || json_array_size(run) != 1) {
		json_decref(run);
		json_decref(cells);
		if (!run || !cells)
			return db_err(db, err, errlen);
		snprintf(err, errlen, "run %lld not found", (long long)id);
		return -1;
	}
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
	{
		json_int_t cid = json_integer_value(json_object_get(c, "id"));
		json_t *smp = rows_json(db,
					"SELECT bench, metric, roi, name, value,"
					" available, why FROM samples WHERE"
					" cell_id = ? ORDER BY rowid",
					cid);
		json_object_set_new(c, "samples", smp ? smp : json_array());
	}
	json_t *doc = json_pack("{s:O,s:o}", "run", json_array_get(run, 0),
				"cells", cells);
	json_decref(run);
	int rc = json_dumpf(doc, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
	fputc('\n', f);
	json_decref(doc);
	if (rc) {
		snprintf(err, errlen, "writing JSON failed");
		return -1;
	}
	return 0;
}

int export_golden(sqlite3 *db, int64_t id, uint64_t seed, FILE *f,
		  char *err, size_t errlen)
{
	const char *sql =
		"SELECT c.workload, MAX(si.value), MAX(ss.value),"
		" MIN(c.checksum), group_concat(DISTINCT c.engine),"
		" COUNT(DISTINCT c.checksum) FROM cells c"
		" JOIN samples si ON si.cell_id = c.id AND si.name = 'start.iters'"
		" JOIN samples ss ON ss.cell_id = c.id AND ss.name = 'start.size'"
		" WHERE c.run_id = ? AND c.status = 'ok' AND c.checksum IS NOT"
		" NULL GROUP BY c.workload ORDER BY MIN(c.id)";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(db, err, errlen);
	sqlite3_bind_int64(s, 1, id);
	fprintf(f, "# bench      iters      size       seed checksum   "
		   "(vmbench run %lld)\n", (long long)id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int(s, 5) != 1) {
			fprintf(f, "# %s: targets disagree, no reference\n",
				sqlite3_column_text(s, 0));
			continue;
		}
		fprintf(f, "%-10s %-10.0f %-10.0f %-4llu %s  # %s\n",
			sqlite3_column_text(s, 0), sqlite3_column_double(s, 1),
			sqlite3_column_double(s, 2), (unsigned long long)seed,
			sqlite3_column_text(s, 3), sqlite3_column_text(s, 4));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_err(db, err, errlen);
}

typedef int (*export_fn)(sqlite3 *, int64_t, FILE *, char *, size_t);

static int file_export(sqlite3 *db, int64_t id, const char *dir,
		       const char *name, export_fn fn, char *err,
		       size_t errlen)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = fn(db, id, f, err, errlen);
	if (fclose(f) && !rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

int export_run_files(sqlite3 *db, int64_t id, const char *dir, char *err,
		     size_t errlen)
{
	if (file_export(db, id, dir, "samples.csv", export_csv, err, errlen) ||
	    file_export(db, id, dir, "cells.csv", export_cells_csv, err,
			errlen) ||
	    file_export(db, id, dir, "run.json", export_json, err, errlen))
		return -1;
	return 0;
}
