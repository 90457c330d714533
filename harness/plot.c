/*
 * plot.c - data files + rendered templates + gnuplot.
 */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "history.h"
#include "paths.h"
#include "runview.h"
#include "strutil.h"

#define PLOT_MAX_ENGINES 16
#define PLOT_MAX_KINDS 32

struct subst {
	const char *key;	/* "@KEY@" */
	char value[1024];
};

/* Render scripts/plot/(name).gp into (dir)/(name).gp with (s)[n]. */
static int template_render(const char *name, const char *dir,
			   const struct subst *s, unsigned n, char *err,
			   size_t errlen)
{
	char src[PATHS_MAX], rel[64], dst[PATHS_MAX];
	snprintf(rel, sizeof(rel), "scripts/plot/%s.gp", name);
	paths_src_file(src, sizeof(src), rel);
	snprintf(dst, sizeof(dst), "%s/%s.gp", dir, name);
	FILE *in = fopen(src, "r");
	if (!in) {
		snprintf(err, errlen, "plot template %s: %s", src,
			 strerror(errno));
		return -1;
	}
	FILE *out = fopen(dst, "w");
	if (!out) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		fclose(in);
		return -1;
	}
	char line[2048];
	while (fgets(line, sizeof(line), in)) {
		for (char *p = line; *p; p++) {
			unsigned i = 0;
			while (i < n && strncmp(p, s[i].key, strlen(s[i].key)))
				i++;
			if (i == n) {
				fputc(*p, out);
				continue;
			}
			fputs(s[i].value, out);
			p += strlen(s[i].key) - 1;
		}
	}
	fclose(in);
	return fclose(out) ? -1 : 0;
}

/* Run `gnuplot (name).gp` in (dir); 0 when it exits 0. */
static int gnuplot_run(const char *dir, const char *name, char *err,
		       size_t errlen)
{
	char gp[96];
	snprintf(gp, sizeof(gp), "%s.gp", name);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (chdir(dir))
			_exit(126);
		execlp("gnuplot", "gnuplot", gp, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		snprintf(err, errlen, "gnuplot not found (install gnuplot-nox)");
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, errlen, "gnuplot %s/%s failed (status %d)", dir,
			 gp, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	return 0;
}

struct chart {
	const struct plot_opts *o;
	FILE *log;
	char *err;
	size_t errlen;
	int drawn;
};

static FILE *data_open(struct chart *c, const char *name)
{
	char p[PATHS_MAX];
	snprintf(p, sizeof(p), "%s/%s.dat", c->o->dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		snprintf(c->err, c->errlen, "%s: %s", p, strerror(errno));
	return f;
}

/* Render and draw chart (name); (s) holds the chart's own keys. */
static int chart_draw(struct chart *c, const char *name, const char *title,
		      struct subst *s, unsigned n)
{
	const char *ext = c->o->svg ? "svg" : "png";
	struct subst all[12];
	unsigned k = 0;
	all[k].key = "@TERM@";
	snprintf(all[k++].value, sizeof(all[0].value), "%s",
		 c->o->svg ? "svg size 1100,600 dynamic noenhanced" :
			     "pngcairo size 1100,600 font ',10' noenhanced");
	all[k].key = "@OUT@";
	snprintf(all[k++].value, sizeof(all[0].value), "%s.%s", name, ext);
	all[k].key = "@DATA@";
	snprintf(all[k++].value, sizeof(all[0].value), "%s.dat", name);
	all[k].key = "@TITLE@";
	snprintf(all[k++].value, sizeof(all[0].value), "%s", title);
	for (unsigned i = 0; i < n && k < 12; i++)
		all[k++] = s[i];
	if (template_render(name, c->o->dir, all, k, c->err, c->errlen) ||
	    gnuplot_run(c->o->dir, name, c->err, c->errlen))
		return -1;
	fprintf(c->log, "  %s/%s.%s (data %s.dat, script %s.gp)\n", c->o->dir,
		name, ext, name, name);
	c->drawn++;
	return 0;
}

static void skip_note(struct chart *c, const char *name, const char *why)
{
	fprintf(c->log, "  %s: not drawn: %s\n", name, why);
}

/* Distinct row keys of series named (name): index list into set. */
static unsigned rows_of(const struct series_set *set, const char *name,
			unsigned *rows, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < set->n && n < max; i++) {
		const struct series *s = &set->s[i];
		if (strcmp(s->name, name))
			continue;
		bool seen = false;
		for (unsigned j = 0; j < n && !seen; j++) {
			const struct series *r = &set->s[rows[j]];
			seen = !strcmp(r->workload, s->workload) &&
			       !strcmp(r->bench, s->bench) &&
			       !strcmp(r->metric, s->metric);
		}
		if (!seen)
			rows[n++] = i;
	}
	return n;
}

static int cost_chart(struct chart *c, struct series_set *set)
{
	const char *eng[PLOT_MAX_ENGINES];
	unsigned ne = series_engines(set, eng, PLOT_MAX_ENGINES);
	unsigned rows[256];
	unsigned nr = rows_of(set, "cycles_per_op", rows, 256);
	if (!nr) {
		skip_note(c, "cost", "no per-operation result in this run");
		return 0;
	}
	FILE *f = data_open(c, "cost");
	if (!f)
		return -1;
	fprintf(f, "\"workload\"");
	for (unsigned e = 0; e < ne; e++)
		fprintf(f, " \"%s\" lo hi", eng[e]);
	fprintf(f, "\n");
	for (unsigned r = 0; r < nr; r++) {
		const struct series *row = &set->s[rows[r]];
		fprintf(f, "\"%s/%s\"", row->bench, row->metric);
		for (unsigned e = 0; e < ne; e++) {
			struct stats_summary st;
			struct series *s = series_find(set, eng[e],
						       row->workload, row->bench,
						       row->metric,
						       "cycles_per_op");
			if (s && !series_summary(s, &st) && st.median > 0)
				fprintf(f, " %g %g %g", st.median, st.ci_lo,
					st.ci_hi);
			else
				fprintf(f, " ? ? ?");
		}
		fprintf(f, "\n");
	}
	fclose(f);
	struct subst s = { "@NSERIES@", "" };
	snprintf(s.value, sizeof(s.value), "%u", ne);
	return chart_draw(c, "cost",
			  "Per-operation cost by engine (median, 95% CI)", &s,
			  1);
}

static int trapmix_chart(struct chart *c, sqlite3 *db, int64_t id)
{
	struct series_set t;
	if (series_load(db, id, "trap.%", &t, c->err, c->errlen))
		return -1;
	struct series_set ops;
	if (series_load(db, id, "ops", &ops, c->err, c->errlen)) {
		series_set_free(&t);
		return -1;
	}
	/* Causes that occur at all, in taxonomy order as first seen. */
	const char *kinds[PLOT_MAX_KINDS];
	unsigned nk = 0;
	for (unsigned i = 0; i < t.n && nk < PLOT_MAX_KINDS; i++) {
		if (stats_median(t.s[i].v, t.s[i].n) <= 0)
			continue;
		unsigned j = 0;
		while (j < nk && strcmp(kinds[j], t.s[i].name))
			j++;
		if (j == nk)
			kinds[nk++] = t.s[i].name;
	}
	int rc = 0;
	if (!nk) {
		skip_note(c, "trapmix", "no engine trap counters in this run "
					"(peers have none)");
		goto out;
	}
	FILE *f = data_open(c, "trapmix");
	if (!f) {
		rc = -1;
		goto out;
	}
	fprintf(f, "\"engine:workload\"");
	for (unsigned k = 0; k < nk; k++)
		fprintf(f, " \"%s\"", kinds[k] + 5);
	fprintf(f, "\n");
	for (unsigned i = 0; i < ops.n; i++) {
		struct series *o = &ops.s[i];
		double nops = stats_median(o->v, o->n);
		if (!series_find(&t, o->engine, o->workload, o->bench,
				 o->metric, NULL) || !(nops > 0))
			continue;
		fprintf(f, "\"%s:%s/%s\"", o->engine, o->bench, o->metric);
		for (unsigned k = 0; k < nk; k++) {
			struct series *s = series_find(&t, o->engine,
						       o->workload, o->bench,
						       o->metric, kinds[k]);
			fprintf(f, " %g",
				s ? stats_median(s->v, s->n) / nops : 0.0);
		}
		fprintf(f, "\n");
	}
	fclose(f);
	struct subst s = { "@NCOLS@", "" };
	snprintf(s.value, sizeof(s.value), "%u", nk + 1);
	rc = chart_draw(c, "trapmix", "Trap mix: traps per operation by cause",
			&s, 1);
out:
	series_set_free(&t);
	series_set_free(&ops);
	return rc;
}

static int slowdown_chart(struct chart *c, struct series_set *set)
{
	const char *eng[PLOT_MAX_ENGINES], *others[PLOT_MAX_ENGINES];
	unsigned ne = series_engines(set, eng, PLOT_MAX_ENGINES), no = 0;
	for (unsigned e = 0; e < ne; e++)
		if (strcmp(eng[e], "native"))
			others[no++] = eng[e];
	unsigned rows[256], nr = 0;
	for (unsigned i = 0; i < set->n && nr < 256; i++)
		if (!strcmp(set->s[i].engine, "native") &&
		    !strcmp(set->s[i].name, "ns_per_op"))
			rows[nr++] = i;
	if (!nr || !no) {
		skip_note(c, "slowdown", nr ? "no engine besides native" :
					      "no native run in this run");
		return 0;
	}
	FILE *f = data_open(c, "slowdown");
	if (!f)
		return -1;
	fprintf(f, "\"workload\"");
	for (unsigned e = 0; e < no; e++)
		fprintf(f, " \"%s\"", others[e]);
	fprintf(f, "\n");
	for (unsigned r = 0; r < nr; r++) {
		const struct series *nat = &set->s[rows[r]];
		double base = stats_median(nat->v, nat->n);
		fprintf(f, "\"%s/%s\"", nat->bench, nat->metric);
		for (unsigned e = 0; e < no; e++) {
			struct series *s = series_find(set, others[e],
						       nat->workload, nat->bench,
						       nat->metric, "ns_per_op");
			double m = s ? stats_median(s->v, s->n) : NAN;
			if (m > 0 && base > 0)
				fprintf(f, " %g", m / base);
			else
				fprintf(f, " ?");
		}
		fprintf(f, "\n");
	}
	fclose(f);
	struct subst s = { "@NCOLS@", "" };
	snprintf(s.value, sizeof(s.value), "%u", no + 1);
	return chart_draw(c, "slowdown", "Slowdown vs native (ns per op)", &s,
			  1);
}

static int tlb_chart(struct chart *c, sqlite3 *db, int64_t id)
{
	struct series_set t;
	if (series_tlb_reach(db, id, &t, c->err, c->errlen))
		return -1;
	const char *eng[PLOT_MAX_ENGINES];
	unsigned ne = series_engines(&t, eng, PLOT_MAX_ENGINES);
	int rc = 0;
	if (!ne) {
		skip_note(c, "tlb", "no result with ws_bytes (TLB-reach sweep) "
				    "in this run");
		goto out;
	}
	FILE *f = data_open(c, "tlb");
	if (!f) {
		rc = -1;
		goto out;
	}
	struct subst s[2] = { { "@NAMES@", "" }, { "@NSERIES@", "" } };
	for (unsigned e = 0; e < ne; e++) {
		fprintf(f, "%s# %s\n", e ? "\n\n" : "", eng[e]);
		size_t n = strlen(s[0].value);
		snprintf(s[0].value + n, sizeof(s[0].value) - n, "%s%s",
			 e ? " " : "", eng[e]);
		for (unsigned i = 0; i < t.n; i++) {
			struct stats_summary st;
			if (strcmp(t.s[i].engine, eng[e]) ||
			    series_summary(&t.s[i], &st))
				continue;
			fprintf(f, "%.0f %g %g %g\n", t.s[i].x, st.median,
				st.ci_lo, st.ci_hi);
		}
	}
	fclose(f);
	snprintf(s[1].value, sizeof(s[1].value), "%u", ne);
	rc = chart_draw(c, "tlb", "TLB reach: cycles per access by working set",
			s, 2);
out:
	series_set_free(&t);
	return rc;
}

static int history_chart(struct chart *c, sqlite3 *db, const char *metric)
{
	struct history h;
	if (history_load(db, metric, NULL, &h, c->err, c->errlen))
		return -1;
	const char *eng[PLOT_MAX_ENGINES];
	unsigned ne = 0;
	for (unsigned i = 0; i < h.n; i++) {
		unsigned j = 0;
		while (j < ne && strcmp(eng[j], h.p[i].engine))
			j++;
		if (j == ne && ne < PLOT_MAX_ENGINES)
			eng[ne++] = h.p[i].engine;
	}
	int rc = 0;
	if (!ne) {
		skip_note(c, "history", "no stored measurement of the metric");
		goto out;
	}
	FILE *f = data_open(c, "history");
	if (!f) {
		rc = -1;
		goto out;
	}
	struct subst s[3] = { { "@NAMES@", "" }, { "@NSERIES@", "" },
			      { "@YLABEL@", "" } };
	for (unsigned e = 0; e < ne; e++) {
		fprintf(f, "%s# %s\n", e ? "\n\n" : "", eng[e]);
		size_t n = strlen(s[0].value);
		snprintf(s[0].value + n, sizeof(s[0].value) - n, "%s%s",
			 e ? " " : "", eng[e]);
		for (unsigned i = 0; i < h.n; i++)
			if (!strcmp(h.p[i].engine, eng[e]))
				fprintf(f, "%lld %g %g %g\n",
					(long long)h.p[i].run_id,
					h.p[i].st.median, h.p[i].st.ci_lo,
					h.p[i].st.ci_hi);
	}
	fclose(f);
	snprintf(s[1].value, sizeof(s[1].value), "%u", ne);
	str_copy(s[2].value, sizeof(s[2].value), metric);
	char title[160];
	snprintf(title, sizeof(title), "History of %s", metric);
	rc = chart_draw(c, "history", title, s, 3);
out:
	history_free(&h);
	return rc;
}

int plot_run(sqlite3 *db, int64_t run_id, const struct plot_opts *opts,
	     FILE *log, char *err, size_t errlen)
{
	struct chart c = { opts, log, err, errlen, 0 };
	if (mkdir(opts->dir, 0777) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", opts->dir, strerror(errno));
		return -1;
	}
	struct series_set set;
	if (series_load(db, run_id, "%_per_op", &set, err, errlen))
		return -1;
	int rc = cost_chart(&c, &set);
	if (!rc)
		rc = slowdown_chart(&c, &set);
	series_set_free(&set);
	if (!rc)
		rc = trapmix_chart(&c, db, run_id);
	if (!rc)
		rc = tlb_chart(&c, db, run_id);
	if (!rc && opts->history)
		rc = history_chart(&c, db, opts->history);
	return rc ? -1 : c.drawn;
}
