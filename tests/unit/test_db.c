/*
 * test_db.c - SQLite round trip: a run with cells and samples (available
 * and unavailable) comes back through series, export and run resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "export.h"
#include "history.h"
#include "runview.h"

struct fixture {
	char dir[64];
	char path[128];
	sqlite3 *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vmb-test-db-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/sub/t.db", f->dir);
	char err[256];
	if (db_open(f->path, &f->db, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];
	db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static int64_t run_add(sqlite3 *db)
{
	struct host_info h;
	memset(&h, 0, sizeof(h));
	strcpy(h.cpu_model, "Test CPU");
	strcpy(h.kvm_backend, "none");
	strcpy(h.kvm_why, "no /dev/kvm");
	strcpy(h.pmu_why, "no PMU");
	h.tsc_khz = 1000000;
	struct db_run_meta m = { .host = &h, .argv = "vmbench run", .params =
				 "iters=10", .reps = 3, .warmup = 1, .out_dir =
				 "out" };
	int64_t id;
	char err[256];
	assert_int_equal(db_run_begin(db, &m, &id, err, sizeof(err)), 0);
	return id;
}

/* One cell of (engine, workload) with cycles_per_op (v) and a missing
 * host counter. */
static void cell_add(sqlite3 *db, int64_t run, const char *engine,
		     const char *wl, int rep, bool warmup, bool ok, double v)
{
	struct sample s[3];
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 2; i++) {
		strcpy(s[i].bench, wl);
		strcpy(s[i].metric, "op");
		s[i].roi = 1;
		s[i].available = true;
	}
	strcpy(s[0].name, "cycles_per_op");
	s[0].value = v;
	strcpy(s[1].name, "ops");
	s[1].value = 100;
	strcpy(s[2].name, "host.cycles");
	strcpy(s[2].why, "no PMU, really");
	struct cell_record r;
	memset(&r, 0, sizeof(r));
	r.status = ok ? CELL_OK : CELL_FAILED;
	if (!ok)
		strcpy(r.cause, "guest exit status 3 (kernel panic)");
	r.exit_status = ok ? 0 : 3;
	r.checksum_ok = -1;
	r.has_checksum = ok;
	r.checksum = 0x3e8;
	r.samples = s;
	r.nsamples = 3;
	struct db_cell c = { .engine = engine, .technique = "t", .workload = wl,
			     .params = "iters=10", .rep = rep, .warmup = warmup,
			     .console = "console text" };
	int64_t id;
	char err[256];
	assert_int_equal(db_cell_insert(db, run, &c, &r, 0.5, &id, err,
					sizeof(err)), 0);
}

static void roundTrip_seriesHoldMeasuredOkCellsOnly(void **state)
{
	struct fixture *f = *state;
	int64_t run = run_add(f->db);
	cell_add(f->db, run, "interp", "cpuid", 1, true, true, 999);
	cell_add(f->db, run, "interp", "cpuid", 1, false, true, 10);
	cell_add(f->db, run, "interp", "cpuid", 2, false, true, 12);
	cell_add(f->db, run, "interp", "cpuid", 3, false, false, 500);
	cell_add(f->db, run, "qemu-tcg", "cpuid", 1, false, true, 40);
	char err[256];
	assert_int_equal(db_run_finish(f->db, run, 1, err, sizeof(err)), 0);

	struct series_set set;
	assert_int_equal(series_load(f->db, run, "cycles_per_op", &set, err,
				     sizeof(err)), 0);
	assert_int_equal(set.n, 2);
	struct series *s = series_find(&set, "interp", "cpuid", "cpuid", "op",
				       "cycles_per_op");
	assert_non_null(s);
	assert_int_equal(s->n, 2); /* warm-up and failed cell excluded */
	assert_true(s->v[0] == 10 && s->v[1] == 12);
	const char *eng[4];
	assert_int_equal(series_engines(&set, eng, 4), 2);
	assert_string_equal(eng[0], "interp");
	series_set_free(&set);

	/* The unavailable counter is stored as NULL with its reason. */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(f->db,
		"SELECT COUNT(*), SUM(value IS NULL), MIN(why) FROM samples"
		" WHERE name = 'host.cycles' AND available = 0", -1, &st,
		NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 5);
	assert_int_equal(sqlite3_column_int(st, 1), 5);
	assert_string_equal((const char *)sqlite3_column_text(st, 2),
			    "no PMU, really");
	sqlite3_finalize(st);

	/* Failed cells keep their console and cause. */
	assert_int_equal(sqlite3_prepare_v2(f->db,
		"SELECT cause, console FROM cells WHERE status = 'failed'", -1,
		&st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_non_null(strstr((const char *)sqlite3_column_text(st, 0),
			       "kernel panic"));
	assert_string_equal((const char *)sqlite3_column_text(st, 1),
			    "console text");
	sqlite3_finalize(st);
}

static void export_csvAndJson_containEveryRow(void **state)
{
	struct fixture *f = *state;
	int64_t run = run_add(f->db);
	cell_add(f->db, run, "interp", "cpuid", 1, false, true, 10);
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_int_equal(export_csv(f->db, run, m, err, sizeof(err)), 0);
	fclose(m);
	assert_non_null(strstr(buf, "run_id,cell_id,engine"));
	assert_non_null(strstr(buf, "cycles_per_op,10,1,"));
	assert_non_null(strstr(buf, "host.cycles,,0,\"no PMU, really\""));
	free(buf);
	m = open_memstream(&buf, &len);
	assert_int_equal(export_json(f->db, run, m, err, sizeof(err)), 0);
	fclose(m);
	assert_non_null(strstr(buf, "\"host_cpu\": \"Test CPU\""));
	assert_non_null(strstr(buf, "\"value\": null"));
	free(buf);
	assert_int_equal(export_run_files(f->db, run, f->dir, err, sizeof(err)),
			 0);
	char p[160];
	snprintf(p, sizeof(p), "%s/run.json", f->dir);
	assert_int_equal(access(p, R_OK), 0);
}

static void runResolve_latestAndIds(void **state)
{
	struct fixture *f = *state;
	char err[256];
	int64_t id;
	assert_int_equal(db_run_resolve(f->db, "latest", &id, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "no run"));
	int64_t a = run_add(f->db), b = run_add(f->db);
	assert_int_equal(db_run_resolve(f->db, "latest", &id, err, sizeof(err)),
			 0);
	assert_true(id == b);
	assert_int_equal(db_run_resolve(f->db, "latest~1", &id, err,
					sizeof(err)), 0);
	assert_true(id == a);
	char s[16];
	snprintf(s, sizeof(s), "%lld", (long long)a);
	assert_int_equal(db_run_resolve(f->db, s, &id, err, sizeof(err)), 0);
	assert_int_equal(db_run_resolve(f->db, "999", &id, err, sizeof(err)),
			 -1);
	assert_int_equal(db_run_resolve(f->db, "x1", &id, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "bad run"));
}

static void history_medianPerRunAndEngine(void **state)
{
	struct fixture *f = *state;
	for (int r = 0; r < 2; r++) {
		int64_t run = run_add(f->db);
		for (int i = 1; i <= 3; i++)
			cell_add(f->db, run, "interp", "cpuid", i, false, true,
				 10.0 * (r + 1) + i);
	}
	struct history h;
	char err[256];
	assert_int_equal(history_load(f->db, "cpuid/op", NULL, &h, err,
				      sizeof(err)), 0);
	assert_int_equal(h.n, 2);
	assert_true(h.p[0].st.median == 12 && h.p[1].st.median == 22);
	assert_int_equal(h.p[1].st.n, 3);
	history_free(&h);
	assert_int_equal(history_load(f->db, ":x", NULL, &h, err, sizeof(err)),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			roundTrip_seriesHoldMeasuredOkCellsOnly, setup, teardown),
		cmocka_unit_test_setup_teardown(
			export_csvAndJson_containEveryRow, setup, teardown),
		cmocka_unit_test_setup_teardown(runResolve_latestAndIds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(history_medianPerRunAndEngine,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
