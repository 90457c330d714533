/*
 * test_matrix.c - the matrix runner with failing cells: a peer that
 * crashes, one that hangs past the time limit, one that prints malformed
 * results, one with a wrong checksum; the matrix goes on and each failure
 * is a row with its cause. Uses a fake guest directory whose "native"
 * kernels are a shell script.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "db.h"
#include "export.h"
#include "matrix.h"
#include "target.h"
#include "workloads.h"

static char dir[64];

static const char script[] =
	"#!/bin/sh\n"
	"b=${1#bench=}\n"
	"echo \"console noise\"\n"
	"echo '@vmb {\"ev\":\"boot\",\"proto\":1,\"tsc_khz\":1000000}'\n"
	"echo '@vmb {\"ev\":\"start\",\"bench\":\"'$b'\",\"suite\":\"macro\","
	"\"iters\":7,\"size\":0}'\n"
	"case $b in\n"
	"crash) kill -SEGV $$ ;;\n"
	"hang) sleep 20 ;;\n"
	"garbled) echo '@vmb {\"ev\":\"result\",' ;;\n"
	"esac\n"
	"ck=0x00000000000003e8; [ $b = wrongsum ] && ck=0x0000000000000bad\n"
	"echo '@vmb {\"ev\":\"result\",\"bench\":\"'$b'\",\"roi\":1,"
	"\"metric\":\"op\",\"ops\":10,\"cycles\":2000}'\n"
	"echo '@vmb {\"ev\":\"checksum\",\"bench\":\"'$b'\",\"value\":\"'$ck'\"}'\n"
	"echo '@vmb {\"ev\":\"end\",\"bench\":\"'$b'\",\"status\":0}'\n"
	"echo '@vmb {\"ev\":\"done\",\"status\":0,\"benches\":1}'\n";

static void file_put(const char *name, const char *text, mode_t mode)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmb-test-matrix-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	setenv("VMB_GUEST_DIR", dir, 1);
	file_put("vmbench-native", script, 0755);
	file_put("workloads.txt",
		 "# name suite mode native\n"
		 "good macro user native\ncrash macro user native\n"
		 "hang macro user native\ngarbled macro user native\n"
		 "wrongsum macro user native\ncpuid micro kernel\n", 0644);
	char golden[96];
	snprintf(golden, sizeof(golden), "%s/golden", dir);
	mkdir(golden, 0755);
	file_put("golden/ref.txt", "good 7 0 0 0x3e8\nwrongsum 7 0 0 0x3e8\n",
		 0644);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	unsetenv("VMB_GUEST_DIR");
	return system(cmd) ? -1 : 0;
}

static void workloads_selectSuitesAndNames(void **state)
{
	(void)state;
	struct workload_list all, sel;
	char err[256];
	assert_int_equal(workloads_load(NULL, &all, err, sizeof(err)), 0);
	assert_int_equal(all.n, 6);
	assert_true(workloads_find(&all, "good")->native);
	assert_false(workloads_find(&all, "cpuid")->native);
	assert_int_equal(workloads_select(&all, "micro,good,cpuid", &sel, err,
					  sizeof(err)), 0);
	assert_int_equal(sel.n, 2);
	workloads_free(&sel);
	assert_int_equal(workloads_select(&all, "macro", &sel, err,
					  sizeof(err)), 0);
	assert_int_equal(sel.n, 5);
	workloads_free(&sel);
	assert_int_equal(workloads_select(&all, "nosuch", &sel, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown workload \"nosuch\""));
	workloads_free(&all);
}

static void target_unknownAndUnimplemented_saySo(void **state)
{
	(void)state;
	struct target t;
	char err[256];
	assert_int_equal(target_resolve("nosuch", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown engine"));
	if (!engine_find("bt")) {
		assert_int_equal(target_resolve("bt", &t, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not implemented"));
	}
	assert_int_equal(target_resolve("native", &t, err, sizeof(err)), 0);
	target_probe(&t);
	assert_true(t.usable);
}

static const char *cause_of(sqlite3 *db, const char *wl, char *buf,
			    size_t len)
{
	sqlite3_stmt *s;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(db,
			       "SELECT status || ': ' || IFNULL(cause, '')"
			       " FROM cells WHERE workload = ? AND warmup = 0"
			       " ORDER BY id LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return buf;
	sqlite3_bind_text(s, 1, wl, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(buf, len, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return buf;
}

static void matrix_failingCells_becomeRowsAndMatrixGoesOn(void **state)
{
	(void)state;
	char err[512], path[128], golden[96], c[512];
	snprintf(path, sizeof(path), "%s/t.db", dir);
	snprintf(golden, sizeof(golden), "%s/golden", dir);
	sqlite3 *db;
	assert_int_equal(db_open(path, &db, err, sizeof(err)), 0);
	struct host_info h;
	memset(&h, 0, sizeof(h));
	struct db_run_meta meta = { .host = &h, .argv = "test" };
	struct target t[2];
	assert_int_equal(target_resolve("native", &t[0], err, sizeof(err)), 0);
	target_probe(&t[0]);
	assert_int_equal(target_resolve("qemu-kvm", &t[1], err, sizeof(err)), 0);
	target_probe(&t[1]); /* no guest image in the fake dir: unusable */
	assert_false(t[1].usable);
	struct workload_list all;
	assert_int_equal(workloads_load(NULL, &all, err, sizeof(err)), 0);
	struct matrix_spec m = {
		.targets = t, .ntargets = 2, .workloads = &all, .reps = 2,
		.warmup = 0, .params = "", .time_limit_s = 1.0, .cpu = -1,
		.quiet = true, .golden_dir = golden, .host_tsc_khz = 1000000,
		.db = db,
	};
	assert_int_equal(db_run_begin(db, &meta, &m.run_id, err, sizeof(err)),
			 0);
	struct matrix_summary sum;
	assert_int_equal(matrix_run(&m, &sum, err, sizeof(err)), 0);
	/* native: good x2 ok; crash, hang, garbled, wrongsum x2 failed;
	 * cpuid skipped once; qemu-kvm: one skipped row per workload. */
	assert_int_equal(sum.ok, 2);
	assert_int_equal(sum.failed, 8);
	assert_int_equal(sum.skipped, 1 + 6);
	assert_non_null(strstr(cause_of(db, "good", c, sizeof(c)), "ok"));
	assert_non_null(strstr(cause_of(db, "crash", c, sizeof(c)), "signal 11"));
	assert_non_null(strstr(cause_of(db, "hang", c, sizeof(c)), "timeout"));
	assert_non_null(strstr(cause_of(db, "garbled", c, sizeof(c)),
			       "malformed result line"));
	assert_non_null(strstr(cause_of(db, "wrongsum", c, sizeof(c)),
			       "checksum mismatch"));
	assert_non_null(strstr(cause_of(db, "cpuid", c, sizeof(c)),
			       "compute kernels"));
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT checksum_ok, value FROM cells JOIN samples ON"
		" samples.cell_id = cells.id WHERE workload = 'good' AND"
		" name = 'cycles_per_op'", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	assert_true(sqlite3_column_double(s, 1) == 200);
	sqlite3_finalize(s);

	/* Golden lines only for workloads whose successful cells agree. */
	char *buf = NULL;
	size_t len = 0;
	FILE *g = open_memstream(&buf, &len);
	assert_int_equal(export_golden(db, m.run_id, 0, g, err, sizeof(err)),
			 0);
	fclose(g);
	assert_non_null(strstr(buf, "good       7          0          0    "
				    "0x00000000000003e8  # native"));
	assert_null(strstr(buf, "\ncrash"));
	free(buf);
	workloads_free(&all);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(workloads_selectSuitesAndNames),
		cmocka_unit_test(target_unknownAndUnimplemented_saySo),
		cmocka_unit_test(matrix_failingCells_becomeRowsAndMatrixGoesOn),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
