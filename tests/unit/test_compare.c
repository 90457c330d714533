/*
 * test_compare.c - regression detection and `vmbench compare` exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "compare.h"
#include "db.h"

struct fixture {
	char dir[64], path[128];
	sqlite3 *db;
	int64_t base, same, slower, faster, few_base, few;
};

static int64_t run_with(sqlite3 *db, const double *v, int n)
{
	struct host_info h;
	memset(&h, 0, sizeof(h));
	struct db_run_meta m = { .host = &h, .argv = "t", .reps = n };
	int64_t run, cid;
	char err[256];
	if (db_run_begin(db, &m, &run, err, sizeof(err)))
		return -1;
	for (int i = 0; i < n; i++) {
		struct sample s = { .roi = 1, .available = true, .value = v[i] };
		strcpy(s.bench, "cpuid");
		strcpy(s.metric, "op");
		strcpy(s.name, "cycles_per_op");
		struct cell_record r = { .status = CELL_OK, .exit_status = 0,
					 .checksum_ok = -1, .samples = &s,
					 .nsamples = 1 };
		struct db_cell c = { .engine = "interp", .workload = "cpuid",
				     .rep = i + 1 };
		if (db_cell_insert(db, run, &c, &r, 0, &cid, err, sizeof(err)))
			return -1;
	}
	return run;
}

static int setup(void **state)
{
	static const double base[] = { 100, 101, 99, 100, 102, 98 };
	static const double same[] = { 101, 99, 100, 100, 101, 99 };
	static const double slower[] = { 120, 121, 119, 122, 118, 120 };
	static const double faster[] = { 80, 81, 79, 80, 82, 78 };
	static const double few_base[] = { 100, 101, 99 };
	static const double few[] = { 150, 151, 149 };
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/vmb-test-cmp-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	char err[256];
	if (db_open(f->path, &f->db, err, sizeof(err)))
		return -1;
	f->base = run_with(f->db, base, 6);
	f->same = run_with(f->db, same, 6);
	f->slower = run_with(f->db, slower, 6);
	f->faster = run_with(f->db, faster, 6);
	f->few_base = run_with(f->db, few_base, 3);
	f->few = run_with(f->db, few, 3);
	*state = f;
	return f->few > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];
	db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	int rc = system(cmd);
	free(f);
	return rc ? -1 : 0;
}

static struct compare_result cmp_from(struct fixture *f, int64_t base,
				      int64_t cur)
{
	struct compare_opts o = { "cycles_per_op", 0.05, 0.05 };
	struct compare_result r;
	char err[256];
	FILE *devnull = fopen("/dev/null", "w");
	assert_int_equal(compare_runs(f->db, base, cur, &o, devnull, &r, err,
				      sizeof(err)), 0);
	fclose(devnull);
	return r;
}

static struct compare_result cmp(struct fixture *f, int64_t cur)
{
	return cmp_from(f, f->base, cur);
}

static void sameSamples_noRegression(void **state)
{
	struct compare_result r = cmp(*state, ((struct fixture *)*state)->same);
	assert_int_equal(r.rows, 1);
	assert_int_equal(r.regressions, 0);
	assert_int_equal(r.improvements, 0);
}

static void twentyPercentSlower_regression(void **state)
{
	struct compare_result r = cmp(*state, ((struct fixture *)*state)->slower);
	assert_int_equal(r.regressions, 1);
}

static void faster_improvementNotRegression(void **state)
{
	struct compare_result r = cmp(*state, ((struct fixture *)*state)->faster);
	assert_int_equal(r.regressions, 0);
	assert_int_equal(r.improvements, 1);
}

static void threeSamples_cannotBeSignificant(void **state)
{
	struct fixture *f = *state;
	/* 3 vs 3 fully separated: p = 0.08 at best under the normal
	 * approximation, so a 50% slowdown is only "changed?". */
	struct compare_result r = cmp_from(f, f->few_base, f->few);
	assert_int_equal(r.rows, 1);
	assert_int_equal(r.regressions, 0);
}

static int cli(struct fixture *f, int64_t a, int64_t b, const char *extra)
{
	char sa[24], sb[24];
	snprintf(sa, sizeof(sa), "%lld", (long long)a);
	snprintf(sb, sizeof(sb), "%lld", (long long)b);
	char *argv[8] = { "compare", "--db", f->path, sa, sb };
	int argc = 5;
	if (extra) {
		argv[argc++] = "--threshold";
		argv[argc++] = (char *)extra;
	}
	argv[argc] = NULL;
	return cmd_compare(argc, argv);
}

static void cli_exitCodes(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(cli(f, f->base, f->same, NULL), CLI_OK);
	assert_int_equal(cli(f, f->base, f->slower, NULL), CLI_FAILED);
	/* A 30% threshold tolerates the 20% slowdown. */
	assert_int_equal(cli(f, f->base, f->slower, "0.3"), CLI_OK);
	assert_int_equal(cli(f, f->base, 9999, NULL), CLI_ERROR);
	char *bad[] = { "compare", "--db", f->path, "1", NULL };
	assert_int_equal(cmd_compare(4, bad), CLI_ERROR);
	char *missing[] = { "compare", "--db", "/nonexistent/x.db", "1", "2",
			    NULL };
	assert_int_equal(cmd_compare(5, missing), CLI_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sameSamples_noRegression),
		cmocka_unit_test(twentyPercentSlower_regression),
		cmocka_unit_test(faster_improvementNotRegression),
		cmocka_unit_test(threeSamples_cannotBeSignificant),
		cmocka_unit_test(cli_exitCodes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
