/*
 * compare.c - per-metric change with a significance test.
 */
#include "compare.h"

#include <string.h>

#include "runview.h"
#include "stats.h"

static const char *row_verdict(const struct series *b, const struct series *n,
			       const struct compare_opts *o, double change,
			       double p, struct compare_result *res)
{
	bool significant = p < o->alpha;
	if (change > o->threshold && significant) {
		res->regressions++;
		return "REGRESSION";
	}
	if (change < -o->threshold && significant) {
		res->improvements++;
		return "improved";
	}
	if ((change > o->threshold || change < -o->threshold) &&
	    (b->n < 4 || n->n < 4))
		return "changed? too few samples";
	return "same";
}

int compare_runs(sqlite3 *db, int64_t base, int64_t cur,
		 const struct compare_opts *o, FILE *f,
		 struct compare_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	struct series_set sb, sn;
	if (series_load(db, base, o->metric, &sb, err, errlen))
		return -1;
	if (series_load(db, cur, o->metric, &sn, err, errlen)) {
		series_set_free(&sb);
		return -1;
	}
	fprintf(f, "%s: run %lld -> run %lld (threshold %.1f%%, alpha %.3g)\n",
		o->metric, (long long)base, (long long)cur, o->threshold * 100,
		o->alpha);
	fprintf(f, "%-10s %-28s %12s %12s %9s %8s  %s\n", "engine",
		"workload/metric", "base", "new", "change", "p", "verdict");
	for (unsigned i = 0; i < sn.n; i++) {
		struct series *n = &sn.s[i];
		struct series *b = series_find(&sb, n->engine, n->workload,
					       n->bench, n->metric, n->name);
		char label[160];
		snprintf(label, sizeof(label), "%s/%s", n->bench, n->metric);
		if (!b) {
			res->unmatched++;
			fprintf(f, "%-10s %-28s %12s %12.4g %9s %8s  new\n",
				n->engine, label, "-",
				stats_median(n->v, n->n), "", "");
			continue;
		}
		res->rows++;
		double mb = stats_median(b->v, b->n);
		double mn = stats_median(n->v, n->n);
		double change = mb != 0 ? (mn - mb) / mb : 0;
		struct stats_mwu u;
		double p = stats_mann_whitney(b->v, b->n, n->v, n->n, &u) ?
				   1 : u.p;
		fprintf(f, "%-10s %-28s %12.4g %12.4g %+8.1f%% %8.3g  %s\n",
			n->engine, label, mb, mn, change * 100, p,
			row_verdict(b, n, o, change, p, res));
	}
	for (unsigned i = 0; i < sb.n; i++)
		if (!series_find(&sn, sb.s[i].engine, sb.s[i].workload,
				 sb.s[i].bench, sb.s[i].metric, sb.s[i].name)) {
			res->unmatched++;
			fprintf(f, "%-10s %s/%s: only in the base run\n",
				sb.s[i].engine, sb.s[i].bench, sb.s[i].metric);
		}
	fprintf(f, "%u compared, %u regressions, %u improvements, %u "
		   "unmatched\n",
		res->rows, res->regressions, res->improvements,
		res->unmatched);
	series_set_free(&sb);
	series_set_free(&sn);
	return 0;
}
