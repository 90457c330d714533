/*
 * stats.h - summary statistics and significance tests for run samples.
 *
 * Benchmark samples are few (3..30) and skewed, so the summaries are
 * order statistics: median, min/max, a percentile bootstrap confidence
 * interval of the median (seeded RNG: the same samples always give the
 * same interval), and the coefficient of variation to flag runs whose
 * spread is too wide to trust. Two sample sets are compared with the
 * Mann-Whitney U test (normal approximation, tie correction).
 */
#ifndef VMB_STATS_H
#define VMB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A spread above this coefficient of variation is flagged "wide". */
#define STATS_CV_WIDE 0.10
#define STATS_BOOTSTRAP_ROUNDS 2000
#define STATS_DEFAULT_SEED 0x766d6265u

struct stats_summary {
	size_t n;
	double median, min, max, mean;
	double stddev;		/* sample standard deviation (n-1) */
	double cv;		/* stddev / mean; 0 when n < 2 or mean == 0 */
	double ci_lo, ci_hi;	/* bootstrap 95% CI of the median */
	bool wide;		/* cv > STATS_CV_WIDE: do not trust */
};

/* Deterministic generator (splitmix64) for the bootstrap. */
struct stats_rng {
	uint64_t state;
};
void stats_rng_seed(struct stats_rng *r, uint64_t seed);
uint64_t stats_rng_next(struct stats_rng *r);

/* Median of (x)[0..n) without modifying it; NaN when n == 0. */
double stats_median(const double *x, size_t n);

/* The (q) quantile, 0..1, of sorted (x) with linear interpolation. */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/*
 * Summarise (x)[0..n) into (out), bootstrapping the median with (rounds)
 * resamples from (seed). n == 0 gives n = 0 and NaNs. Returns 0, or -1
 * when memory runs out.
 */
int stats_summarize(const double *x, size_t n, uint64_t seed,
		    unsigned rounds, struct stats_summary *out);

struct stats_mwu {
	double u1;		/* U statistic of sample a */
	double u2;		/* n1*n2 - u1 */
	double z;		/* normal approximation, continuity-corrected */
	double p;		/* two-sided p-value */
};

/*
 * Mann-Whitney U test of (a)[0..na) against (b)[0..nb): ranks with ties
 * averaged, tie-corrected variance, continuity correction, two-sided p.
 * Returns 0, or -1 when a sample is empty or memory runs out.
 */
int stats_mann_whitney(const double *a, size_t na, const double *b,
		       size_t nb, struct stats_mwu *out);

#endif /* VMB_STATS_H */
