/*
 * resultparse.c - `@vmb` result lines to structs, with jansson.
 */
#include "resultparse.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmb_abi.h"

/* Grow (*arr) of (*n) elements of (size) by one zeroed slot. */
static void *slot_add(void **arr, unsigned *n, size_t size)
{
	void *p = realloc(*arr, (*n + 1) * size);
	if (!p)
		return NULL;
	*arr = p;
	void *s = (char *)p + *n * size;
	memset(s, 0, size);
	(*n)++;
	return s;
}

/* Record an error for (line); -1 only when memory runs out. */
static int error_add(struct rp_output *o, unsigned line, const char *fmt, ...)
{
	struct rp_error *e = slot_add((void **)&o->errors, &o->nerrors,
				      sizeof(*e));
	if (!e)
		return -1;
	e->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* Field accessors: 0 on success, else (why) names the field problem. */
static int field_uint(json_t *o, const char *k, uint64_t *v, char *why,
		      size_t wl)
{
	json_t *j = json_object_get(o, k);
	if (!j) {
		snprintf(why, wl, "missing field \"%s\"", k);
		return -1;
	}
	/* Reals appear only when the line was re-read because an integer
	 * exceeded int64 (see line_parse): accept integral values. */
	if (json_is_real(j) && json_real_value(j) >= 0 &&
	    json_real_value(j) < 18446744073709551616.0 &&
	    json_real_value(j) == (double)(uint64_t)json_real_value(j)) {
		*v = (uint64_t)json_real_value(j);
		return 0;
	}
	if (!json_is_integer(j) || json_integer_value(j) < 0) {
		snprintf(why, wl, "field \"%s\" is not a non-negative integer",
			 k);
		return -1;
	}
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int field_str(json_t *o, const char *k, char *v, size_t vl, char *why,
		     size_t wl)
{
	json_t *j = json_object_get(o, k);
	if (!j || !json_is_string(j)) {
		snprintf(why, wl, "%s field \"%s\"",
			 j ? "non-string" : "missing", k);
		return -1;
	}
	snprintf(v, vl, "%s", json_string_value(j));
	return 0;
}

/* A "0x..." hex string (values that may exceed 2^53). */
static int field_hex(json_t *o, const char *k, uint64_t *v, char *why,
		     size_t wl)
{
	char s[40];
	if (field_str(o, k, s, sizeof(s), why, wl))
		return -1;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 16);
	if (strncmp(s, "0x", 2) || *end || errno || end == s + 2) {
		snprintf(why, wl, "field \"%s\" is not a 0x hex string: \"%s\"",
			 k, s);
		return -1;
	}
	*v = x;
	return 0;
}

/* The bench being started/ended: the last with that name. */
static struct rp_bench *bench_get(struct rp_output *o, const char *name)
{
	for (unsigned i = o->nbenches; i-- > 0;)
		if (!strcmp(o->benches[i].bench, name))
			return &o->benches[i];
	return NULL;
}

static const char *const result_keys[] = { "ev", "bench", "roi", "metric",
					   "ops", "cycles", NULL };

static bool key_is_standard(const char *k)
{
	for (unsigned i = 0; result_keys[i]; i++)
		if (!strcmp(k, result_keys[i]))
			return true;
	return false;
}

static int ev_result(struct rp_output *o, json_t *j, unsigned line, char *why,
		     size_t wl)
{
	struct rp_result r = { .line = line };
	uint64_t roi;
	if (field_str(j, "bench", r.bench, sizeof(r.bench), why, wl) ||
	    field_uint(j, "roi", &roi, why, wl) ||
	    field_str(j, "metric", r.metric, sizeof(r.metric), why, wl) ||
	    field_uint(j, "ops", &r.ops, why, wl) ||
	    field_uint(j, "cycles", &r.cycles, why, wl))
		return 1;
	r.roi = (uint32_t)roi;
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		if (key_is_standard(k) || !json_is_integer(v) ||
		    r.nextra == RP_MAX_EXTRA)
			continue;
		snprintf(r.extra[r.nextra].name, RP_NAME, "%s", k);
		r.extra[r.nextra++].value = json_integer_value(v);
	}
	struct rp_result *s = slot_add((void **)&o->results, &o->nresults,
				       sizeof(*s));
	if (!s)
		return -1;
	*s = r;
	return 0;
}

static int ev_start(struct rp_output *o, json_t *j, char *why, size_t wl)
{
	struct rp_bench b = { 0 };
	if (field_str(j, "bench", b.bench, sizeof(b.bench), why, wl))
		return 1;
	/* suite/mode/iters/size are informative: tolerate their absence. */
	char tmp[8];
	if (field_str(j, "suite", b.suite, sizeof(b.suite), tmp, sizeof(tmp)))
		b.suite[0] = '\0';
	if (field_str(j, "mode", b.mode, sizeof(b.mode), tmp, sizeof(tmp)))
		b.mode[0] = '\0';
	field_uint(j, "iters", &b.iters, tmp, sizeof(tmp));
	field_uint(j, "size", &b.size, tmp, sizeof(tmp));
	struct rp_bench *s = slot_add((void **)&o->benches, &o->nbenches,
				      sizeof(*s));
	if (!s)
		return -1;
	*s = b;
	return 0;
}

static int ev_checksum(struct rp_output *o, json_t *j, char *why, size_t wl)
{
	char name[RP_NAME];
	uint64_t v;
	if (field_str(j, "bench", name, sizeof(name), why, wl) ||
	    field_hex(j, "value", &v, why, wl))
		return 1;
	struct rp_bench *b = bench_get(o, name);
	if (!b) {
		snprintf(why, wl, "checksum for \"%s\" without a start event",
			 name);
		return 1;
	}
	b->has_checksum = true;
	b->checksum = v;
	return 0;
}

static int ev_end_or_error(struct rp_output *o, json_t *j, bool is_end,
			   char *why, size_t wl)
{
	char name[RP_NAME];
	if (field_str(j, "bench", name, sizeof(name), why, wl))
		return 1;
	struct rp_bench *b = bench_get(o, name);
	if (!b) {
		snprintf(why, wl, "%s for \"%s\" without a start event",
			 is_end ? "end" : "error", name);
		return 1;
	}
	if (!is_end)
		return field_str(j, "msg", b->error, sizeof(b->error), why,
				 wl) ? 1 : 0;
	uint64_t st;
	if (field_uint(j, "status", &st, why, wl))
		return 1;
	b->ended = true;
	b->status = (int)st;
	return 0;
}

static int ev_fault(struct rp_output *o, json_t *j, unsigned line, char *why,
		    size_t wl)
{
	struct rp_fault f = { .line = line };
	uint64_t vec = 0, cpl = 0;
	if (field_uint(j, "vector", &vec, why, wl))
		return 1;
	f.vector = (unsigned)vec;
	char tmp[8];
	if (field_str(j, "name", f.name, sizeof(f.name), tmp, sizeof(tmp)))
		snprintf(f.name, sizeof(f.name), "vec%u", f.vector);
	field_hex(j, "rip", &f.rip, tmp, sizeof(tmp));
	field_hex(j, "cr2", &f.cr2, tmp, sizeof(tmp));
	/* The error code is a hex string; older guests printed an integer
	 * (exact only below 2^53 once re-read as a double, see line_parse). */
	if (field_hex(j, "error", &f.error, tmp, sizeof(tmp)))
		field_uint(j, "error", &f.error, tmp, sizeof(tmp));
	field_uint(j, "cpl", &cpl, tmp, sizeof(tmp));
	f.cpl = (unsigned)cpl;
	struct rp_fault *s = slot_add((void **)&o->faults, &o->nfaults,
				      sizeof(*s));
	if (!s)
		return -1;
	*s = f;
	return 0;
}

static int ev_boot(struct rp_output *o, json_t *j, char *why, size_t wl)
{
	char tmp[8];
	if (field_uint(j, "tsc_khz", &o->boot_tsc_khz, why, wl))
		return 1;
	field_uint(j, "ram_mb", &o->boot_ram_mb, tmp, sizeof(tmp));
	field_str(j, "entry", o->boot_entry, sizeof(o->boot_entry), tmp,
		  sizeof(tmp));
	o->has_boot = true;
	return 0;
}

static int ev_done(struct rp_output *o, json_t *j, char *why, size_t wl)
{
	uint64_t st, n = 0;
	char tmp[8];
	if (field_uint(j, "status", &st, why, wl))
		return 1;
	field_uint(j, "benches", &n, tmp, sizeof(tmp));
	o->has_done = true;
	o->done_status = (int)st;
	o->done_benches = (unsigned)n;
	return 0;
}

/* One event object: 0 ok, 1 protocol error (why), -1 out of memory. */
static int event_parse(struct rp_output *o, json_t *j, unsigned line,
		       char *why, size_t wl)
{
	char ev[32];
	if (!json_is_object(j)) {
		snprintf(why, wl, "not a JSON object");
		return 1;
	}
	if (field_str(j, "ev", ev, sizeof(ev), why, wl))
		return 1;
	if (!strcmp(ev, "result"))
		return ev_result(o, j, line, why, wl);
	if (!strcmp(ev, "start"))
		return ev_start(o, j, why, wl);
	if (!strcmp(ev, "checksum"))
		return ev_checksum(o, j, why, wl);
	if (!strcmp(ev, "end") || !strcmp(ev, "error"))
		return ev_end_or_error(o, j, ev[1] == 'n', why, wl);
	if (!strcmp(ev, "fault"))
		return ev_fault(o, j, line, why, wl);
	if (!strcmp(ev, "boot"))
		return ev_boot(o, j, why, wl);
	if (!strcmp(ev, "done"))
		return ev_done(o, j, why, wl);
	snprintf(why, wl, "unknown event \"%s\"", ev);
	return 1;
}

/* Handle one console line [s, s+n) numbered (line). */
static int line_parse(struct rp_output *o, const char *s, size_t n,
		      unsigned line, bool complete)
{
	const size_t plen = strlen(VMB_RESULT_PREFIX);
	const char *p = memmem(s, n, VMB_RESULT_PREFIX, plen);
	if (!p)
		return 0;
	if (!complete)
		return error_add(o, line, "truncated result line (no newline)");
	json_error_t jerr;
	const char *js = p + plen;
	size_t jlen = n - (size_t)(js - s);
	json_t *j = json_loadb(js, jlen, 0, &jerr);
	/* jansson stops at int64: read such a line again with integers as
	 * doubles so e.g. a fault's 64-bit error code does not hide it. */
	if (!j && strstr(jerr.text, "too big"))
		j = json_loadb(js, jlen, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!j)
		return error_add(o, line, "malformed JSON: %s (column %d)",
				 jerr.text, jerr.column);
	char why[200] = "";
	int rc = event_parse(o, j, line, why, sizeof(why));
	json_decref(j);
	if (rc > 0)
		return error_add(o, line, "%s", why);
	return rc;
}

int rp_parse(const char *buf, size_t len, struct rp_output *out)
{
	unsigned line = 0;
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
		line++;
		if (n && buf[i + n - 1] == '\r')
			n--;
		if (line_parse(out, buf + i, n, line, nl != NULL))
			return -1;
		if (!nl) {
			out->truncated = true;
			snprintf(out->truncated_why, sizeof(out->truncated_why),
				 "output ends mid-line (line %u)", line);
		}
		i += (nl ? (size_t)(nl - (buf + i)) + 1 : len - i);
	}
	if (!out->has_done && !out->truncated) {
		out->truncated = true;
		snprintf(out->truncated_why, sizeof(out->truncated_why),
			 "no \"done\" event after %u lines", line);
	}
	return 0;
}

void rp_free(struct rp_output *out)
{
	free(out->benches);
	free(out->results);
	free(out->faults);
	free(out->errors);
	memset(out, 0, sizeof(*out));
}

const struct rp_bench *rp_bench_find(const struct rp_output *out,
				     const char *name)
{
	for (unsigned i = 0; i < out->nbenches; i++)
		if (!strcmp(out->benches[i].bench, name))
			return &out->benches[i];
	return NULL;
}

bool rp_result_extra(const struct rp_result *r, const char *name, int64_t *v)
{
	for (unsigned i = 0; i < r->nextra; i++)
		if (!strcmp(r->extra[i].name, name)) {
			*v = r->extra[i].value;
			return true;
		}
	return false;
}
