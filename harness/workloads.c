/*
 * workloads.c - read build/guest/workloads.txt, expand selections.
 */
#include "workloads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "strutil.h"

static int workload_append(struct workload_list *l, const struct workload *w)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->w[i].name, w->name))
			return 0;
	struct workload *p = realloc(l->w, (l->n + 1) * sizeof(*p));
	if (!p)
		return -1;
	l->w = p;
	l->w[l->n++] = *w;
	return 0;
}

/* The suite lists the guest build reads (workloads/Makefile). */
static const struct {
	const char *mk;		/* relative to the source root */
	bool native;		/* macro/native.mk builds this list natively */
} suite_mks[] = {
	{ "workloads/micro/micro.mk", false },
	{ "workloads/macro/macro.mk", true },
	{ "workloads/proc/proc.mk", false },
};

/* "MICRO_KERNEL += name": suite and mode from the variable name. */
static int mk_line_parse(const char *line, struct workload *w)
{
	char var[32], op[4];
	if (sscanf(line, " %31[A-Z_] %3s %47s", var, op, w->name) != 3 ||
	    strcmp(op, "+="))
		return -1;
	if (!strncmp(var, "MICRO_", 6))
		str_copy(w->suite, sizeof(w->suite), "micro");
	else if (!strncmp(var, "MACRO_", 6))
		str_copy(w->suite, sizeof(w->suite), "macro");
	else
		return -1; /* TEST_*: guest tests, never benchmarks */
	str_copy(w->mode, sizeof(w->mode),
		 strstr(var, "_KERNEL") ? "kernel" : "user");
	return 0;
}

/*
 * Without an exported list, read the suite .mk files the guest image is
 * built from. Returns 0 when at least one file was read.
 */
static int workloads_from_mk(struct workload_list *out, char *err,
			     size_t errlen)
{
	bool any = false;
	for (size_t i = 0; i < sizeof(suite_mks) / sizeof(suite_mks[0]); i++) {
		char p[PATHS_MAX], line[256];
		paths_src_file(p, sizeof(p), suite_mks[i].mk);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		any = true;
		while (fgets(line, sizeof(line), f)) {
			struct workload w = { 0 };
			if (line[0] == '#' || mk_line_parse(line, &w))
				continue;
			w.native = suite_mks[i].native;
			if (workload_append(out, &w)) {
				fclose(f);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		fclose(f);
	}
	if (!any)
		snprintf(err, errlen, "no workload list: neither %s/%s nor "
			 "%s/workloads/SUITE/SUITE.mk found (build the guest: make "
			 "guest)", paths_guest_dir(), PATHS_WORKLOADS,
			 paths_src_root());
	return any ? 0 : -1;
}

int workloads_load(const char *path, struct workload_list *out, char *err,
		   size_t errlen)
{
	char def[PATHS_MAX];
	memset(out, 0, sizeof(*out));
	if (!path) {
		paths_guest_file(def, sizeof(def), PATHS_WORKLOADS);
		path = def;
		if (access(path, R_OK) && !getenv("VMB_GUEST_DIR"))
			return workloads_from_mk(out, err, errlen);
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s (build the guest: make guest)",
			 path, strerror(errno));
		return -1;
	}
	char line[512];
	unsigned lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		struct workload w = { 0 };
		char native[16] = "";
		int n = sscanf(line, "%47s %15s %15s %15s", w.name, w.suite,
			       w.mode, native);
		if (n <= 0)
			continue;
		if (n < 2) {
			snprintf(err, errlen, "%s:%u: expected \"name suite\"",
				 path, lineno);
			fclose(f);
			workloads_free(out);
			return -1;
		}
		w.native = !strcmp(native, "native");
		if (workload_append(out, &w)) {
			snprintf(err, errlen, "out of memory");
			fclose(f);
			workloads_free(out);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

void workloads_free(struct workload_list *l)
{
	free(l->w);
	memset(l, 0, sizeof(*l));
}

const struct workload *workloads_find(const struct workload_list *l,
				      const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->w[i].name, name))
			return &l->w[i];
	return NULL;
}

static int suite_add(const struct workload_list *l, const char *suite,
		     struct workload_list *out)
{
	for (unsigned i = 0; i < l->n; i++)
		if ((!strcmp(suite, "all") || !strcmp(l->w[i].suite, suite)) &&
		    workload_append(out, &l->w[i]))
			return -1;
	return 0;
}

int workloads_select(const struct workload_list *l, const char *spec,
		     struct workload_list *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	char *copy = strdup(spec), *save = NULL;
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all") || !strcmp(tok, "micro") ||
		    !strcmp(tok, "macro")) {
			if (l->n == 0) {
				snprintf(err, errlen,
					 "suite \"%s\" needs the workload list "
					 "(build/guest/workloads.txt)", tok);
				rc = -1;
			} else {
				rc = suite_add(l, tok, out);
			}
			continue;
		}
		const struct workload *w = workloads_find(l, tok);
		struct workload tmp = { 0 };
		if (!w && l->n) {
			snprintf(err, errlen,
				 "unknown workload \"%s\" (vmbench list shows "
				 "them)", tok);
			rc = -1;
			continue;
		}
		if (!w) {
			str_copy(tmp.name, sizeof(tmp.name), tok);
			w = &tmp;
		}
		rc = workload_append(out, w);
	}
	free(copy);
	if (!rc && out->n == 0) {
		snprintf(err, errlen, "no workload selected by \"%s\"", spec);
		rc = -1;
	}
	if (rc)
		workloads_free(out);
	return rc;
}
