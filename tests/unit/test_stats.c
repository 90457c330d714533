/*
 * test_stats.c - statistics with known values: medians, summaries, the
 * bootstrap interval's coverage in a seeded simulation, Mann-Whitney U.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stats.h"

static void median_odd_even_empty(void **state)
{
	(void)state;
	double odd[] = { 5, 1, 3 };
	double even[] = { 4, 1, 3, 2 };
	assert_true(stats_median(odd, 3) == 3);
	assert_true(stats_median(even, 4) == 2.5);
	assert_true(isnan(stats_median(odd, 0)));
	/* The input is not reordered. */
	assert_true(odd[0] == 5 && odd[1] == 1 && odd[2] == 3);
}

static void summary_known_sample_flagsWide(void **state)
{
	(void)state;
	double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct stats_summary s;
	assert_int_equal(stats_summarize(x, 8, 1, 500, &s), 0);
	assert_int_equal(s.n, 8);
	assert_true(s.median == 4.5);
	assert_true(s.min == 2 && s.max == 9);
	assert_true(s.mean == 5);
	/* Sample stddev: sqrt(32/7). */
	assert_true(fabs(s.stddev - sqrt(32.0 / 7)) < 1e-12);
	assert_true(fabs(s.cv - sqrt(32.0 / 7) / 5) < 1e-12);
	assert_true(s.wide);
	assert_true(s.ci_lo <= s.median && s.median <= s.ci_hi);
	assert_true(s.ci_lo >= 2 && s.ci_hi <= 9);
}

static void summary_tight_sample_notWide(void **state)
{
	(void)state;
	double x[] = { 100, 101, 99, 100, 100 };
	struct stats_summary s;
	assert_int_equal(stats_summarize(x, 5, 1, 500, &s), 0);
	assert_false(s.wide);
	assert_true(s.cv < 0.01);
}

static void summary_single_and_empty(void **state)
{
	(void)state;
	double x[] = { 42 };
	struct stats_summary s;
	assert_int_equal(stats_summarize(x, 1, 1, 100, &s), 0);
	assert_true(s.median == 42 && s.ci_lo == 42 && s.ci_hi == 42);
	assert_true(s.cv == 0);
	assert_int_equal(stats_summarize(x, 0, 1, 100, &s), 0);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.median));
}

static void bootstrap_sameSeed_sameInterval(void **state)
{
	(void)state;
	double x[] = { 3, 9, 1, 7, 5, 8, 2 };
	struct stats_summary a, b;
	stats_summarize(x, 7, 77, 1000, &a);
	stats_summarize(x, 7, 77, 1000, &b);
	assert_true(a.ci_lo == b.ci_lo && a.ci_hi == b.ci_hi);
}

/*
 * Seeded simulation: samples of 25 from Uniform(0, 1) (true median 0.5).
 * A 95% percentile-bootstrap interval of the median must cover 0.5 in
 * most trials; allow for the method's known under-coverage at small n.
 */
static void bootstrap_coversTrueMedian_inSimulation(void **state)
{
	(void)state;
	struct stats_rng r;
	stats_rng_seed(&r, 12345);
	int covered = 0, trials = 200;
	double x[25];
	for (int t = 0; t < trials; t++) {
		for (int i = 0; i < 25; i++)
			x[i] = (double)(stats_rng_next(&r) >> 11) / 9007199254740992.0;
		struct stats_summary s;
		assert_int_equal(stats_summarize(x, 25, (uint64_t)t, 500, &s), 0);
		covered += s.ci_lo <= 0.5 && 0.5 <= s.ci_hi;
	}
	assert_true(covered >= trials * 88 / 100);
	assert_true(covered <= trials); /* and it is not vacuous: */
	assert_true(covered > 0);
}

static void mannwhitney_separated_knownValues(void **state)
{
	(void)state;
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	struct stats_mwu u;
	assert_int_equal(stats_mann_whitney(a, 5, b, 5, &u), 0);
	assert_true(u.u1 == 0 && u.u2 == 25);
	/* z = (0 - 12.5 + 0.5) / sqrt(25 * 11 / 12) */
	assert_true(fabs(u.z - -2.5067182457620487) < 1e-9);
	assert_true(fabs(u.p - 0.012185780355344818) < 1e-9);
}

static void mannwhitney_ties_knownValues(void **state)
{
	(void)state;
	/* Ranks by hand: R1 = 1 + 3 + 3 + 5.5 + 7.5 = 20, U1 = 5; tie term
	 * 24 + 3 * 6 = 42; var = 30/12 * (12 - 42/110). */
	double a[] = { 1, 2, 2, 3, 4 }, b[] = { 2, 3, 4, 5, 6, 6 };
	struct stats_mwu u;
	assert_int_equal(stats_mann_whitney(a, 5, b, 6, &u), 0);
	assert_true(u.u1 == 5 && u.u2 == 25);
	assert_true(fabs(u.z - -1.7627248078029136) < 1e-9);
	assert_true(fabs(u.p - 0.07794691458872482) < 1e-9);
}

static void mannwhitney_identical_pIsOne(void **state)
{
	(void)state;
	double a[] = { 3, 3, 3 }, b[] = { 3, 3 };
	struct stats_mwu u;
	assert_int_equal(stats_mann_whitney(a, 3, b, 2, &u), 0);
	assert_true(u.p == 1);
	assert_int_equal(stats_mann_whitney(a, 0, b, 2, &u), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(median_odd_even_empty),
		cmocka_unit_test(summary_known_sample_flagsWide),
		cmocka_unit_test(summary_tight_sample_notWide),
		cmocka_unit_test(summary_single_and_empty),
		cmocka_unit_test(bootstrap_sameSeed_sameInterval),
		cmocka_unit_test(bootstrap_coversTrueMedian_inSimulation),
		cmocka_unit_test(mannwhitney_separated_knownValues),
		cmocka_unit_test(mannwhitney_ties_knownValues),
		cmocka_unit_test(mannwhitney_identical_pIsOne),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
