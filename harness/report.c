/*
 * report.c - text report of a run.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "runview.h"

#define REPORT_MAX_ENGINES 16
#define COLW 26

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

static int header_print(sqlite3 *db, int64_t id, FILE *f)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT started, git_rev, host_cpu, kernel,"
			       " kvm_backend, kvm_usable, kvm_why, pmu_usable,"
			       " pmu_why, tsc_khz, params, reps, warmup,"
			       " qemu_version FROM runs WHERE id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return -1;
	}
	fprintf(f, "vmbench run %lld, %s, revision %s\n", (long long)id,
		col(s, 0), col(s, 1));
	fprintf(f, "host: %s, %s, TSC %lld kHz\n", col(s, 2), col(s, 3),
		(long long)sqlite3_column_int64(s, 9));
	fprintf(f, "kvm: backend %s, /dev/kvm %s%s\n", col(s, 4),
		sqlite3_column_int(s, 5) ? "usable" : "not available here: ",
		col(s, 6));
	fprintf(f, "pmu: %s%s\n",
		sqlite3_column_int(s, 7) ? "usable" : "not available here: ",
		col(s, 8));
	fprintf(f, "qemu: %s\n", col(s, 13)[0] ? col(s, 13) : "not installed");
	fprintf(f, "parameters: \"%s\", %d repetitions after %d warm-up\n",
		col(s, 10), sqlite3_column_int(s, 11),
		sqlite3_column_int(s, 12));
	sqlite3_finalize(s);
	return 0;
}

/* Compact number: integers from 10^3 up, 4 significant digits below. */
static void num_fmt(char *buf, size_t len, double v)
{
	if (fabs(v) >= 1e3 && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.4g", v);
}

static void value_fmt(char *buf, size_t len, const struct series *s)
{
	char m[24], lo[24], hi[24];
	struct stats_summary st;
	if (!s || series_summary(s, &st) || st.n == 0) {
		snprintf(buf, len, "-");
		return;
	}
	num_fmt(m, sizeof(m), st.median);
	num_fmt(lo, sizeof(lo), st.ci_lo);
	num_fmt(hi, sizeof(hi), st.ci_hi);
	if (st.n == 1)
		snprintf(buf, len, "%s (n=1)", m);
	else
		snprintf(buf, len, "%s [%s,%s]%s", m, lo, hi,
			 st.wide ? "!" : "");
}

static void row_label(char *buf, size_t len, const struct series *s)
{
	if (!strcmp(s->workload, s->bench))
		snprintf(buf, len, "%s/%s", s->bench, s->metric);
	else
		snprintf(buf, len, "%s:%s/%s", s->workload, s->bench,
			 s->metric);
}

/* Is set->s[i] the first series of its (name, workload, bench, metric)? */
static bool row_first(const struct series_set *set, unsigned i)
{
	const struct series *s = &set->s[i];
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(set->s[j].name, s->name) &&
		    !strcmp(set->s[j].workload, s->workload) &&
		    !strcmp(set->s[j].bench, s->bench) &&
		    !strcmp(set->s[j].metric, s->metric))
			return false;
	return true;
}

/* One table: rows (workload, bench, metric) of (name), engines as columns. */
static void table_print(struct series_set *set, const char *name,
			const char *title, FILE *f)
{
	const char *eng[REPORT_MAX_ENGINES];
	unsigned ne = series_engines(set, eng, REPORT_MAX_ENGINES);
	bool any = false;
	char label[160], v[96];
	for (unsigned i = 0; i < set->n; i++) {
		struct series *s = &set->s[i];
		if (strcmp(s->name, name))
			continue;
		if (!row_first(set, i))
			continue;
		if (!any) {
			fprintf(f, "\n%s\n%-28s", title, "workload/metric");
			for (unsigned e = 0; e < ne; e++)
				fprintf(f, " %-*s", COLW, eng[e]);
			fprintf(f, "\n");
			any = true;
		}
		row_label(label, sizeof(label), s);
		fprintf(f, "%-28s", label);
		for (unsigned e = 0; e < ne; e++) {
			value_fmt(v, sizeof(v),
				  series_find(set, eng[e], s->workload,
					      s->bench, s->metric, name));
			fprintf(f, " %-*s", COLW, v);
		}
		fprintf(f, "\n");
	}
}

static double series_median(const struct series *s)
{
	return s && s->n ? stats_median(s->v, s->n) : NAN;
}

/* Slowdown of each engine against native and against the fastest. */
static void slowdown_print(struct series_set *set, FILE *f)
{
	const char *eng[REPORT_MAX_ENGINES];
	unsigned ne = series_engines(set, eng, REPORT_MAX_ENGINES);
	bool any = false;
	char label[160];
	for (unsigned i = 0; i < set->n; i++) {
		struct series *s = &set->s[i];
		if (strcmp(s->name, "ns_per_op") || !row_first(set, i))
			continue;
		double fastest = INFINITY;
		for (unsigned e = 0; e < ne; e++) {
			double m = series_median(series_find(
				set, eng[e], s->workload, s->bench, s->metric,
				"ns_per_op"));
			if (m > 0 && m < fastest)
				fastest = m;
		}
		double native = series_median(series_find(
			set, "native", s->workload, s->bench, s->metric,
			"ns_per_op"));
		if (!any) {
			fprintf(f, "\nslowdown (ns/op ratio): vs native | vs "
				   "fastest engine\n%-28s", "workload/metric");
			for (unsigned e = 0; e < ne; e++)
				fprintf(f, " %-*s", COLW, eng[e]);
			fprintf(f, "\n");
			any = true;
		}
		row_label(label, sizeof(label), s);
		fprintf(f, "%-28s", label);
		for (unsigned e = 0; e < ne; e++) {
			double m = series_median(series_find(
				set, eng[e], s->workload, s->bench, s->metric,
				"ns_per_op"));
			char v[96], nat[24], fast[24];
			if (native > 0 && m > 0)
				num_fmt(nat, sizeof(nat), m / native);
			else
				snprintf(nat, sizeof(nat), "-");
			num_fmt(fast, sizeof(fast), m / fastest);
			if (m > 0)
				snprintf(v, sizeof(v), "%s%s | %sx", nat,
					 native > 0 ? "x" : "", fast);
			else
				snprintf(v, sizeof(v), "-");
			fprintf(f, " %-*s", COLW, v);
		}
		fprintf(f, "\n");
	}
}

int report_exit_kind_matches(const char *bench, const char *kind)
{
	return strstr(bench, kind) != NULL;
}

static void world_switch_print(struct series_set *set, FILE *f)
{
	static const char *const kinds[] = { "pio", "mmio", "cpuid",
					     "hypercall", NULL };
	const char *eng[REPORT_MAX_ENGINES];
	unsigned ne = series_engines(set, eng, REPORT_MAX_ENGINES);
	bool any = false;
	for (unsigned k = 0; kinds[k]; k++) {
		const struct series *row = NULL;
		for (unsigned i = 0; i < set->n && !row; i++)
			if (!strcmp(set->s[i].name, "cycles_per_op") &&
			    report_exit_kind_matches(set->s[i].bench, kinds[k]))
				row = &set->s[i];
		if (!row)
			continue;
		if (!any) {
			fprintf(f, "\nworld-switch cost per exit kind "
				   "(cycles per exit, median [95%% CI])\n"
				   "%-28s", "exit kind (bench)");
			for (unsigned e = 0; e < ne; e++)
				fprintf(f, " %-*s", COLW, eng[e]);
			fprintf(f, "\n");
			any = true;
		}
		char label[96], v[96];
		snprintf(label, sizeof(label), "%s (%s)", kinds[k], row->bench);
		fprintf(f, "%-28s", label);
		for (unsigned e = 0; e < ne; e++) {
			value_fmt(v, sizeof(v),
				  series_find(set, eng[e], row->workload,
					      row->bench, row->metric,
					      "cycles_per_op"));
			fprintf(f, " %-*s", COLW, v);
		}
		fprintf(f, "\n");
	}
}

static void rates_print(sqlite3 *db, int64_t id, FILE *f)
{
	struct series_set r;
	char err[256];
	if (series_trap_rates(db, id, &r, err, sizeof(err)) || r.n == 0) {
		fprintf(f, "\ntrap rates: no engine counters in this run "
			   "(peers have none)\n");
		series_set_free(&r);
		return;
	}
	fprintf(f, "\ntrap rates by cause (median over repetitions)\n");
	fprintf(f, "%-10s %-28s %-20s %14s %14s\n", "engine",
		"workload/metric", "cause", "per second", "per 1000 insns");
	for (unsigned i = 0; i < r.n; i++) {
		struct series *s = &r.s[i];
		if (strncmp(s->name, "per_s.", 6))
			continue;
		char label[160], kin[80], pk[24];
		row_label(label, sizeof(label), s);
		snprintf(kin, sizeof(kin), "per_kinsn.%s", s->name + 6);
		struct series *k = series_find(&r, s->engine, s->workload,
					       s->bench, s->metric, kin);
		if (k)
			snprintf(pk, sizeof(pk), "%.4g", series_median(k));
		else
			snprintf(pk, sizeof(pk), "n/a");
		fprintf(f, "%-10s %-28s %-20s %14.4g %14s\n", s->engine, label,
			s->name + 6, series_median(s), pk);
	}
	series_set_free(&r);
}

static void tlb_print(sqlite3 *db, int64_t id, FILE *f)
{
	struct series_set t;
	char err[256];
	if (series_tlb_reach(db, id, &t, err, sizeof(err)) || t.n == 0) {
		series_set_free(&t);
		return;
	}
	fprintf(f, "\nTLB reach: cycles per access by working set\n");
	for (unsigned i = 0; i < t.n; i++)
		fprintf(f, "%-10s %-20s %12.0f bytes %10.4g\n", t.s[i].engine,
			t.s[i].bench, t.s[i].x, series_median(&t.s[i]));
	series_set_free(&t);
}

static void cells_print(sqlite3 *db, int64_t id, FILE *f)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT status, COUNT(*) FROM cells WHERE run_id"
			       " = ? GROUP BY status ORDER BY status",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		fprintf(f, "cells:");
		while (sqlite3_step(s) == SQLITE_ROW)
			fprintf(f, " %d %s", sqlite3_column_int(s, 1),
				col(s, 0));
		fprintf(f, "\n");
		sqlite3_finalize(s);
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT engine, MIN(technique), MAX(engine_detail)"
			       " FROM cells WHERE run_id = ? GROUP BY engine"
			       " ORDER BY MIN(id)",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		while (sqlite3_step(s) == SQLITE_ROW)
			fprintf(f, "  %-9s %s%s%s\n", col(s, 0), col(s, 1),
				col(s, 2)[0] ? "; " : "", col(s, 2));
		sqlite3_finalize(s);
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT engine, workload, warmup, rep, status,"
			       " cause FROM cells WHERE run_id = ? AND status"
			       " != 'ok' ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, id);
	bool any = false;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!any)
			fprintf(f, "\ncells that did not succeed\n");
		any = true;
		fprintf(f, "  %-9s %-14s %s%-3d %s: %s\n", col(s, 0), col(s, 1),
			sqlite3_column_int(s, 2) ? "w" : "r",
			sqlite3_column_int(s, 3), col(s, 4), col(s, 5));
	}
	sqlite3_finalize(s);
}

/* Do all targets agree on each workload's checksum? And golden? */
static void checksums_print(sqlite3 *db, int64_t id, FILE *f)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT workload, params, COUNT(DISTINCT checksum),"
			       " group_concat(DISTINCT engine || '=' || checksum),"
			       " MAX(checksum_ok = 1), MAX(checksum_ok = 0)"
			       " FROM cells WHERE run_id = ? AND checksum IS NOT"
			       " NULL GROUP BY workload, params ORDER BY MIN(id)",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, id);
	unsigned n = 0, agree = 0, golden = 0, differ = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		n++;
		golden += sqlite3_column_int(s, 4) == 1;
		differ += sqlite3_column_int(s, 5) == 1;
		if (sqlite3_column_int(s, 2) == 1) {
			agree++;
			continue;
		}
		fprintf(f, "  checksum disagreement: %s (%s): %s\n", col(s, 0),
			col(s, 1), col(s, 3));
	}
	sqlite3_finalize(s);
	if (n)
		fprintf(f, "checksums: %u workloads, %u identical on every "
			   "target; golden reference matched for %u, differed "
			   "for %u, absent for %u\n",
			n, agree, golden, differ, n - golden - differ);
}

static void unavailable_print(sqlite3 *db, int64_t id, FILE *f)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT s.name, group_concat(DISTINCT c.engine),"
			       " s.why FROM samples s JOIN cells c ON"
			       " s.cell_id = c.id WHERE c.run_id = ? AND"
			       " s.available = 0 GROUP BY s.name, s.why"
			       " ORDER BY s.name",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, id);
	bool any = false;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!any)
			fprintf(f, "\nmetrics not available here\n");
		any = true;
		fprintf(f, "  %-24s (%s): %s\n", col(s, 0), col(s, 1),
			col(s, 2));
	}
	sqlite3_finalize(s);
}

int report_print(sqlite3 *db, int64_t id, FILE *f, char *err, size_t errlen)
{
	if (header_print(db, id, f)) {
		snprintf(err, errlen, "run %lld not found", (long long)id);
		return -1;
	}
	cells_print(db, id, f);
	checksums_print(db, id, f);
	struct series_set set;
	if (series_load(db, id, "%_per_op", &set, err, errlen))
		return -1;
	if (set.n == 0)
		fprintf(f, "\nno successful measurement in this run\n");
	table_print(&set, "cycles_per_op",
		    "cycles per operation, median [95% CI] (! = CV > 10%)", f);
	table_print(&set, "ns_per_op",
		    "ns per operation, median [95% CI] (! = CV > 10%)", f);
	slowdown_print(&set, f);
	world_switch_print(&set, f);
	series_set_free(&set);
	rates_print(db, id, f);
	tlb_print(db, id, f);
	unavailable_print(db, id, f);
	return 0;
}

int report_file_write(sqlite3 *db, int64_t run_id, const char *dir,
		      char *err, size_t errlen)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/report.txt", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = report_print(db, run_id, f, err, errlen);
	if (fclose(f) && !rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}
