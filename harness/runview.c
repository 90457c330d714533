/*
 * runview.c - stored samples to series.
 */
#include "runview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"

static int db_err(sqlite3 *db, char *err, size_t errlen)
{
	snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(db));
	return -1;
}

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

struct series *series_find(struct series_set *set, const char *engine,
			   const char *workload, const char *bench,
			   const char *metric, const char *name)
{
	for (unsigned i = set->n; i-- > 0;) {
		struct series *s = &set->s[i];
		if ((!engine || !strcmp(s->engine, engine)) &&
		    (!workload || !strcmp(s->workload, workload)) &&
		    (!bench || !strcmp(s->bench, bench)) &&
		    (!metric || !strcmp(s->metric, metric)) &&
		    (!name || !strcmp(s->name, name)))
			return s;
	}
	return NULL;
}

/* Add (v) to the series with these keys, creating it. */
static int series_add(struct series_set *set, const char *engine,
		      const char *workload, const char *bench,
		      const char *metric, const char *name, double x, double v)
{
	struct series *s = series_find(set, engine, workload, bench, metric,
				       name);
	if (s && s->x != x)
		s = NULL;
	if (!s) {
		struct series *p = realloc(set->s, (set->n + 1) * sizeof(*p));
		if (!p)
			return -1;
		set->s = p;
		s = &p[set->n++];
		memset(s, 0, sizeof(*s));
		str_copy(s->engine, sizeof(s->engine), engine);
		str_copy(s->workload, sizeof(s->workload), workload);
		str_copy(s->bench, sizeof(s->bench), bench);
		str_copy(s->metric, sizeof(s->metric), metric);
		str_copy(s->name, sizeof(s->name), name);
		s->x = x;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		double *v2 = realloc(s->v, cap * sizeof(*v2));
		if (!v2)
			return -1;
		s->v = v2;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

/*
 * A phase's metric label: the guest's metric name, plus "#roi" when the
 * same bench reports that metric for several regions in one boot (e.g. a
 * sweep), so each region stays its own series.
 */
#define METRIC_LABEL(a)                                                      \
	" " a ".metric || CASE WHEN (SELECT COUNT(DISTINCT m.roi) FROM"      \
	" samples m WHERE m.cell_id = " a ".cell_id AND m.bench = " a        \
	".bench AND m.metric = " a ".metric AND m.name = 'ops') > 1 THEN"    \
	" '#' || " a ".roi ELSE '' END "

/* Order engines and workloads as they were run (first cell id). */
#define ORDER_BY_RUN                                                         \
	" ORDER BY (SELECT MIN(id) FROM cells c2 WHERE c2.run_id = c.run_id" \
	" AND c2.engine = c.engine), (SELECT MIN(id) FROM cells c3 WHERE"    \
	" c3.run_id = c.run_id AND c3.workload = c.workload)"

int series_load(sqlite3 *db, int64_t run_id, const char *name_like,
		struct series_set *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *sql =
		"SELECT c.engine, c.workload, s.bench," METRIC_LABEL("s")
		", s.name, s.value FROM samples s JOIN cells c ON s.cell_id = c.id"
		" WHERE c.run_id = ? AND c.status = 'ok' AND c.warmup = 0"
		" AND s.available = 1 AND s.name LIKE ?" ORDER_BY_RUN
		", s.bench, s.roi, s.metric, s.name, c.rep";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(db, err, errlen);
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_text(s, 2, name_like, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (series_add(out, col(s, 0), col(s, 1), col(s, 2), col(s, 3),
			       col(s, 4), 0, sqlite3_column_double(s, 5))) {
			sqlite3_finalize(s);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_err(db, err, errlen);
}

#define SAME_PHASE(a, b)                                                     \
	" " a ".cell_id = " b ".cell_id AND " a ".bench = " b ".bench AND "  \
	a ".metric = " b ".metric AND " a ".roi = " b ".roi "

int series_trap_rates(sqlite3 *db, int64_t run_id, struct series_set *out,
		      char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *sql =
		"SELECT c.engine, c.workload, t.bench," METRIC_LABEL("t") ","
		" substr(t.name, 6), t.value, cy.value, ins.value, c.tsc_khz"
		" FROM samples t JOIN cells c ON t.cell_id = c.id"
		" JOIN samples cy ON" SAME_PHASE("cy", "t") "AND cy.name = 'cycles'"
		" LEFT JOIN samples ins ON" SAME_PHASE("ins", "t")
		" AND ins.name = 'insns' AND ins.available = 1"
		" WHERE c.run_id = ? AND c.status = 'ok' AND c.warmup = 0"
		" AND t.name LIKE 'trap.%' AND t.available = 1"
		" AND t.value > 0 AND cy.value > 0" ORDER_BY_RUN
		", t.bench, t.roi, t.metric, t.name, c.rep";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(db, err, errlen);
	sqlite3_bind_int64(s, 1, run_id);
	int rc;
	char name[80];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		double traps = sqlite3_column_double(s, 5);
		double secs = sqlite3_column_double(s, 6) /
			      (sqlite3_column_double(s, 8) * 1e3);
		snprintf(name, sizeof(name), "per_s.%s", col(s, 4));
		int bad = series_add(out, col(s, 0), col(s, 1), col(s, 2),
				     col(s, 3), name, 0, traps / secs);
		if (!bad && sqlite3_column_type(s, 7) != SQLITE_NULL &&
		    sqlite3_column_double(s, 7) > 0) {
			snprintf(name, sizeof(name), "per_kinsn.%s", col(s, 4));
			bad = series_add(out, col(s, 0), col(s, 1), col(s, 2),
					 col(s, 3), name, 0,
					 traps * 1000 /
						 sqlite3_column_double(s, 7));
		}
		if (bad) {
			sqlite3_finalize(s);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_err(db, err, errlen);
}

int series_tlb_reach(sqlite3 *db, int64_t run_id, struct series_set *out,
		     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *sql =
		"SELECT c.engine, c.workload, s.bench, s.metric, w.value,"
		" s.value FROM samples s JOIN cells c ON s.cell_id = c.id"
		" JOIN samples w ON" SAME_PHASE("w", "s") "AND w.name = 'ws_bytes'"
		" WHERE c.run_id = ? AND c.status = 'ok' AND c.warmup = 0"
		" AND s.name = 'cycles_per_op' AND s.available = 1"
		ORDER_BY_RUN ", s.bench, s.metric, w.value, c.rep";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(db, err, errlen);
	sqlite3_bind_int64(s, 1, run_id);
	int rc;
	char name[64];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		double ws = sqlite3_column_double(s, 4);
		snprintf(name, sizeof(name), "ws=%.0f", ws);
		if (series_add(out, col(s, 0), col(s, 1), col(s, 2), col(s, 3),
			       name, ws, sqlite3_column_double(s, 5))) {
			sqlite3_finalize(s);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_err(db, err, errlen);
}

unsigned series_engines(const struct series_set *set, const char **names,
			unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < set->n; i++) {
		unsigned j = 0;
		while (j < n && strcmp(names[j], set->s[i].engine))
			j++;
		if (j == n && n < max)
			names[n++] = set->s[i].engine;
	}
	return n;
}

int series_summary(const struct series *s, struct stats_summary *out)
{
	return stats_summarize(s->v, s->n, STATS_DEFAULT_SEED,
			       STATS_BOOTSTRAP_ROUNDS, out);
}

void series_set_free(struct series_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		free(set->s[i].v);
	free(set->s);
	memset(set, 0, sizeof(*set));
}
