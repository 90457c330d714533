/*
 * stats.c - medians, bootstrap intervals, Mann-Whitney U.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void stats_rng_seed(struct stats_rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t stats_rng_next(struct stats_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int double_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

static double median_sorted(const double *s, size_t n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double stats_quantile_sorted(const double *s, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	if (i + 1 >= n)
		return s[n - 1];
	return s[i] + (pos - (double)i) * (s[i + 1] - s[i]);
}

double stats_median(const double *x, size_t n)
{
	if (n == 0)
		return NAN;
	double *s = malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), double_cmp);
	double m = median_sorted(s, n);
	free(s);
	return m;
}

/* Percentile bootstrap of the median into (lo, hi). */
static int bootstrap_median(const double *x, size_t n, uint64_t seed,
			    unsigned rounds, double *lo, double *hi)
{
	double *meds = malloc(rounds * sizeof(*meds));
	double *re = malloc(n * sizeof(*re));
	if (!meds || !re) {
		free(meds);
		free(re);
		return -1;
	}
	struct stats_rng r;
	stats_rng_seed(&r, seed);
	for (unsigned k = 0; k < rounds; k++) {
		for (size_t i = 0; i < n; i++)
			re[i] = x[stats_rng_next(&r) % n];
		qsort(re, n, sizeof(*re), double_cmp);
		meds[k] = median_sorted(re, n);
	}
	qsort(meds, rounds, sizeof(*meds), double_cmp);
	*lo = stats_quantile_sorted(meds, rounds, 0.025);
	*hi = stats_quantile_sorted(meds, rounds, 0.975);
	free(meds);
	free(re);
	return 0;
}

int stats_summarize(const double *x, size_t n, uint64_t seed,
		    unsigned rounds, struct stats_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n == 0) {
		out->median = out->min = out->max = out->mean = NAN;
		out->ci_lo = out->ci_hi = NAN;
		return 0;
	}
	double *s = malloc(n * sizeof(*s));
	if (!s)
		return -1;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), double_cmp);
	out->median = median_sorted(s, n);
	out->min = s[0];
	out->max = s[n - 1];
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->mean = sum / (double)n;
	if (n > 1) {
		double ss = 0;
		for (size_t i = 0; i < n; i++)
			ss += (s[i] - out->mean) * (s[i] - out->mean);
		out->stddev = sqrt(ss / (double)(n - 1));
		if (out->mean != 0)
			out->cv = out->stddev / fabs(out->mean);
	}
	out->wide = out->cv > STATS_CV_WIDE;
	int rc = 0;
	if (n == 1) {
		out->ci_lo = out->ci_hi = s[0];
	} else {
		rc = bootstrap_median(s, n, seed, rounds ? rounds : 1,
				      &out->ci_lo, &out->ci_hi);
	}
	free(s);
	return rc;
}

struct ranked {
	double v;
	int group;
};

static int ranked_cmp(const void *pa, const void *pb)
{
	return double_cmp(&((const struct ranked *)pa)->v,
			  &((const struct ranked *)pb)->v);
}

int stats_mann_whitney(const double *a, size_t na, const double *b,
		       size_t nb, struct stats_mwu *out)
{
	memset(out, 0, sizeof(*out));
	if (na == 0 || nb == 0)
		return -1;
	size_t n = na + nb;
	struct ranked *r = malloc(n * sizeof(*r));
	if (!r)
		return -1;
	for (size_t i = 0; i < na; i++)
		r[i] = (struct ranked){ a[i], 0 };
	for (size_t i = 0; i < nb; i++)
		r[na + i] = (struct ranked){ b[i], 1 };
	qsort(r, n, sizeof(*r), ranked_cmp);

	/* Ranks are 1-based; a run of ties shares its average rank. */
	double rank_sum_a = 0, tie_term = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && r[j + 1].v == r[i].v)
			j++;
		double t = (double)(j - i + 1);
		double avg = ((double)(i + 1) + (double)(j + 1)) / 2;
		for (size_t k = i; k <= j; k++)
			if (r[k].group == 0)
				rank_sum_a += avg;
		tie_term += t * t * t - t;
		i = j + 1;
	}
	free(r);

	double n1 = (double)na, n2 = (double)nb, nn = (double)n;
	out->u1 = rank_sum_a - n1 * (n1 + 1) / 2;
	out->u2 = n1 * n2 - out->u1;
	double mu = n1 * n2 / 2;
	double var = n1 * n2 / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
	if (var <= 0) {
		/* Every value tied: no evidence of a difference. */
		out->z = 0;
		out->p = 1;
		return 0;
	}
	double d = out->u1 - mu;
	double cc = d > 0 ? 0.5 : d < 0 ? -0.5 : 0;
	out->z = (d - cc) / sqrt(var);
	out->p = erfc(fabs(out->z) / sqrt(2));
	if (out->p > 1)
		out->p = 1;
	return 0;
}
