/*
 * history.c - a metric over stored runs.
 */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"

struct history_key {
	char bench[48], metric[48], sample[64];
};

static int spec_parse(const char *spec, struct history_key *k, char *err,
		      size_t errlen)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->sample, sizeof(k->sample), "cycles_per_op");
	char buf[160];
	str_copy(buf, sizeof(buf), spec);
	char *colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		str_copy(k->sample, sizeof(k->sample), colon + 1);
	}
	char *slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		str_copy(k->metric, sizeof(k->metric), slash + 1);
	}
	str_copy(k->bench, sizeof(k->bench), buf);
	if (!k->bench[0] || !k->sample[0]) {
		snprintf(err, errlen, "bad metric '%s' (want BENCH[/METRIC]"
				      "[:SAMPLE])", spec);
		return -1;
	}
	return 0;
}

static int point_close(struct history *h, double *v, size_t n)
{
	if (!h->n || !n)
		return 0;
	return stats_summarize(v, n, STATS_DEFAULT_SEED,
			       STATS_BOOTSTRAP_ROUNDS, &h->p[h->n - 1].st);
}

int history_load(sqlite3 *db, const char *spec, const char *engine,
		 struct history *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct history_key k;
	if (spec_parse(spec, &k, err, errlen))
		return -1;
	const char *sql =
		"SELECT r.id, r.started, r.git_rev, c.engine, s.metric, s.value"
		" FROM samples s JOIN cells c ON s.cell_id = c.id"
		" JOIN runs r ON c.run_id = r.id"
		" WHERE s.bench = ?1 AND (?2 = '' OR s.metric = ?2)"
		" AND s.name = ?3 AND (?4 IS NULL OR c.engine = ?4)"
		" AND c.status = 'ok' AND c.warmup = 0 AND s.available = 1"
		" ORDER BY r.id, c.engine, s.metric";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(s, 1, k.bench, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, k.metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, k.sample, -1, SQLITE_TRANSIENT);
	if (engine)
		sqlite3_bind_text(s, 4, engine, -1, SQLITE_TRANSIENT);
	double *v = NULL;
	size_t n = 0, cap = 0;
	int rc, bad = 0;
	while (!bad && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *eng = (const char *)sqlite3_column_text(s, 3);
		const char *met = (const char *)sqlite3_column_text(s, 4);
		struct history_point *last = out->n ? &out->p[out->n - 1] : NULL;
		if (!last || last->run_id != id || strcmp(last->engine, eng) ||
		    strcmp(last->metric, met)) {
			bad = point_close(out, v, n);
			n = 0;
			struct history_point *p =
				realloc(out->p, (out->n + 1) * sizeof(*p));
			if (!p) {
				bad = 1;
				break;
			}
			out->p = p;
			p = &out->p[out->n++];
			memset(p, 0, sizeof(*p));
			p->run_id = id;
			str_copy(p->started, sizeof(p->started), (const char *)sqlite3_column_text(s, 1));
			str_copy(p->git_rev, sizeof(p->git_rev), (const char *)sqlite3_column_text(s, 2));
			str_copy(p->engine, sizeof(p->engine), eng);
			str_copy(p->metric, sizeof(p->metric), met);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			double *v2 = realloc(v, cap * sizeof(*v2));
			if (!v2) {
				bad = 1;
				break;
			}
			v = v2;
		}
		v[n++] = sqlite3_column_double(s, 5);
	}
	if (!bad)
		bad = point_close(out, v, n);
	free(v);
	sqlite3_finalize(s);
	if (bad || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
		snprintf(err, errlen, "%s",
			 bad ? "out of memory" : sqlite3_errmsg(db));
		history_free(out);
		return -1;
	}
	return 0;
}

void history_free(struct history *h)
{
	free(h->p);
	memset(h, 0, sizeof(*h));
}
