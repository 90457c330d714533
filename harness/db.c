/*
 * db.c - SQLite storage of runs, cells and samples.
 */
#include "db.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef VMB_GIT_REV
#define VMB_GIT_REV "unknown"
#endif

#define DB_CONSOLE_KEEP (64 * 1024)

static const char schema[] =
	"PRAGMA foreign_keys = ON;"
	"CREATE TABLE IF NOT EXISTS runs("
	" id INTEGER PRIMARY KEY, started TEXT, finished TEXT, git_rev TEXT,"
	" build_flags TEXT, hostname TEXT, host_cpu TEXT, kernel TEXT,"
	" tsc_khz INTEGER, kvm_backend TEXT, kvm_usable INTEGER, kvm_why TEXT,"
	" pmu_usable INTEGER, pmu_why TEXT, qemu_version TEXT, argv TEXT,"
	" params TEXT, engine_opts TEXT, reps INTEGER, warmup INTEGER,"
	" out_dir TEXT, nfailed INTEGER);"
	"CREATE TABLE IF NOT EXISTS cells("
	" id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
	" engine TEXT, technique TEXT, workload TEXT, params TEXT,"
	" engine_opts TEXT, rep INTEGER, warmup INTEGER, status TEXT,"
	" cause TEXT, exit_reason TEXT, exit_status INTEGER, checksum TEXT,"
	" checksum_ok INTEGER, checksum_note TEXT, tsc_khz INTEGER,"
	" wall_s REAL, started TEXT, console TEXT, engine_detail TEXT);"
	"CREATE TABLE IF NOT EXISTS samples("
	" cell_id INTEGER NOT NULL REFERENCES cells(id), bench TEXT,"
	" metric TEXT, roi INTEGER, name TEXT, value REAL,"
	" available INTEGER, why TEXT);"
	"CREATE INDEX IF NOT EXISTS cells_run ON cells(run_id);"
	"CREATE INDEX IF NOT EXISTS samples_cell ON samples(cell_id);";

static int db_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "sqlite: %s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static void dir_make(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	char *d = dirname(copy);
	if (strcmp(d, ".") && strcmp(d, "/"))
		mkdir(d, 0777);
	free(copy);
}

int db_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	dir_make(path);
	if (sqlite3_open(path, db) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: open %s: %s", path,
			 *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	/* Databases made before engine_detail existed gain it (an error
	 * here only means the column is already there). */
	sqlite3_exec(*db, "ALTER TABLE cells ADD COLUMN engine_detail TEXT",
		     NULL, NULL, NULL);
	char *msg = NULL;
	if (sqlite3_exec(*db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: schema in %s: %s", path,
			 msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

void db_close(sqlite3 *db)
{
	sqlite3_close(db);
}

const char *db_build_flags(void)
{
	return "gcc " __VERSION__
#ifdef __OPTIMIZE__
	       " optimized"
#else
	       " -O0"
#endif
#ifdef __SANITIZE_ADDRESS__
	       " asan"
#endif
	       " rev " VMB_GIT_REV;
}

/* Bind helpers: a NULL string binds SQL NULL. */
static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

int db_run_begin(sqlite3 *db, const struct db_run_meta *m, int64_t *id,
		 char *err, size_t errlen)
{
	const char *sql =
		"INSERT INTO runs(started, git_rev, build_flags, hostname,"
		" host_cpu, kernel, tsc_khz, kvm_backend, kvm_usable, kvm_why,"
		" pmu_usable, pmu_why, qemu_version, argv, params, engine_opts,"
		" reps, warmup, out_dir) VALUES(strftime('%Y-%m-%dT%H:%M:%fZ',"
		" 'now'),?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, "prepare run", err, errlen);
	const struct host_info *h = m->host;
	bind_text(s, 1, VMB_GIT_REV);
	bind_text(s, 2, db_build_flags());
	bind_text(s, 3, h->hostname);
	bind_text(s, 4, h->cpu_model);
	bind_text(s, 5, h->kernel);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)h->tsc_khz);
	bind_text(s, 7, h->kvm_backend);
	sqlite3_bind_int(s, 8, h->kvm_usable);
	bind_text(s, 9, h->kvm_usable ? NULL : h->kvm_why);
	sqlite3_bind_int(s, 10, h->pmu_usable);
	bind_text(s, 11, h->pmu_usable ? NULL : h->pmu_why);
	bind_text(s, 12, h->qemu_present ? h->qemu_version : NULL);
	bind_text(s, 13, m->argv);
	bind_text(s, 14, m->params);
	bind_text(s, 15, m->engine_opts);
	sqlite3_bind_int(s, 16, m->reps);
	sqlite3_bind_int(s, 17, m->warmup);
	bind_text(s, 18, m->out_dir);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, "insert run", err, errlen);
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

int db_run_finish(sqlite3 *db, int64_t id, int nfailed, char *err,
		  size_t errlen)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "UPDATE runs SET finished = strftime("
			       "'%Y-%m-%dT%H:%M:%fZ','now'), nfailed = ? "
			       "WHERE id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, "prepare finish", err, errlen);
	sqlite3_bind_int(s, 1, nfailed);
	sqlite3_bind_int64(s, 2, id);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "finish run", err, errlen);
}

static int cell_row_insert(sqlite3 *db, int64_t run_id,
			   const struct db_cell *c,
			   const struct cell_record *r, double wall_s)
{
	const char *sql =
		"INSERT INTO cells(run_id, engine, technique, workload, params,"
		" engine_opts, rep, warmup, status, cause, exit_reason,"
		" exit_status, checksum, checksum_ok, checksum_note, tsc_khz,"
		" wall_s, started, console, engine_detail) VALUES(?,?,?,?,?,?,?,?,?,"
		"?,?,?,?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%fZ','now'),?,?)";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	char ck[24];
	snprintf(ck, sizeof(ck), "0x%016" PRIx64, r->checksum);
	sqlite3_bind_int64(s, 1, run_id);
	bind_text(s, 2, c->engine);
	bind_text(s, 3, c->technique);
	bind_text(s, 4, c->workload);
	bind_text(s, 5, c->params);
	bind_text(s, 6, c->engine_opts);
	sqlite3_bind_int(s, 7, c->rep);
	sqlite3_bind_int(s, 8, c->warmup);
	bind_text(s, 9, cell_status_name(r->status));
	bind_text(s, 10, r->status == CELL_OK ? NULL : r->cause);
	bind_text(s, 11, r->exit_reason[0] ? r->exit_reason : NULL);
	if (r->exit_status >= 0)
		sqlite3_bind_int(s, 12, r->exit_status);
	bind_text(s, 13, r->has_checksum ? ck : NULL);
	if (r->checksum_ok >= 0)
		sqlite3_bind_int(s, 14, r->checksum_ok);
	bind_text(s, 15, r->checksum_note[0] ? r->checksum_note : NULL);
	sqlite3_bind_int64(s, 16, (sqlite3_int64)r->tsc_khz);
	sqlite3_bind_double(s, 17, wall_s);
	if (c->console && r->status != CELL_OK)
		sqlite3_bind_text(s, 18, c->console,
				  (int)strnlen(c->console, DB_CONSOLE_KEEP),
				  SQLITE_TRANSIENT);
	bind_text(s, 19, c->engine_detail && c->engine_detail[0] ?
				 c->engine_detail : NULL);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int samples_insert(sqlite3 *db, int64_t cell_id,
			  const struct cell_record *r)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO samples(cell_id, bench, metric, roi,"
			       " name, value, available, why) "
			       "VALUES(?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	for (unsigned i = 0; i < r->nsamples; i++) {
		const struct sample *x = &r->samples[i];
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		sqlite3_bind_int64(s, 1, cell_id);
		bind_text(s, 2, x->bench);
		bind_text(s, 3, x->metric);
		sqlite3_bind_int(s, 4, (int)x->roi);
		bind_text(s, 5, x->name);
		if (x->available)
			sqlite3_bind_double(s, 6, x->value);
		sqlite3_bind_int(s, 7, x->available);
		bind_text(s, 8, x->available ? NULL : x->why);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	return 0;
}

int db_cell_insert(sqlite3 *db, int64_t run_id, const struct db_cell *c,
		   const struct cell_record *rec, double wall_s,
		   int64_t *cell_id, char *err, size_t errlen)
{
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "begin", err, errlen);
	if (cell_row_insert(db, run_id, c, rec, wall_s))
		goto fail;
	*cell_id = sqlite3_last_insert_rowid(db);
	if (samples_insert(db, *cell_id, rec))
		goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	db_fail(db, "insert cell", err, errlen);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int db_run_resolve(sqlite3 *db, const char *spec, int64_t *id, char *err,
		   size_t errlen)
{
	long back = 0;
	char *end;
	if (!strncmp(spec, "latest", 6)) {
		if (spec[6] == '~')
			back = strtol(spec + 7, &end, 10);
		else if (spec[6])
			goto bad;
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db,
				       "SELECT id FROM runs ORDER BY id DESC "
				       "LIMIT 1 OFFSET ?",
				       -1, &s, NULL) != SQLITE_OK)
			return db_fail(db, "resolve run", err, errlen);
		sqlite3_bind_int64(s, 1, back);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (rc != SQLITE_ROW) {
			snprintf(err, errlen, "no run '%s' in the database",
				 spec);
			return -1;
		}
		return 0;
	}
	errno = 0;
	long long v = strtoll(spec, &end, 10);
	if (errno || *end || end == spec || v <= 0)
		goto bad;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT id FROM runs WHERE id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, "resolve run", err, errlen);
	sqlite3_bind_int64(s, 1, v);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "no run %lld in the database", v);
		return -1;
	}
	*id = v;
	return 0;
bad:
	snprintf(err, errlen,
		 "bad run '%s' (want a run id, 'latest' or 'latest~N')", spec);
	return -1;
}
