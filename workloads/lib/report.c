/*
 * report.c - the result protocol: one "@vmb {json}\n" line per event.
 *
 * A line is built in a stack buffer of VMB_LINE_MAX bytes and written with
 * one vmb_port_write() call, so lines from several processes never
 * interleave. Field order follows docs/result-protocol.md.
 */
#include "vmb.h"

struct line {
	char buf[VMB_LINE_MAX];
	size_t pos;
};

static void line_flush(struct line *l)
{
	if (l->pos)
		vmb_port_write(l->buf, l->pos);
	l->pos = 0;
}

static void line_raw(struct line *l, const char *s)
{
	for (; *s; s++) {
		if (l->pos == sizeof(l->buf))
			line_flush(l);
		l->buf[l->pos++] = *s;
	}
}

static void line_quoted(struct line *l, const char *s)
{
	if (!s)
		s = "";
	line_raw(l, "\"");
	while (*s) {
		s += vmb_json_escape(l->buf, sizeof(l->buf), &l->pos, s);
		if (*s)
			line_flush(l);
	}
	line_raw(l, "\"");
}

/* Begin the line: prefix and the "ev" field. */
static void line_begin(struct line *l, const char *ev)
{
	l->pos = 0;
	line_raw(l, VMB_RESULT_PREFIX "{\"ev\":\"");
	line_raw(l, ev);
	line_raw(l, "\"");
}

static void line_key(struct line *l, const char *key)
{
	line_raw(l, ",");
	line_quoted(l, key);
	line_raw(l, ":");
}

static void line_str(struct line *l, const char *key, const char *val)
{
	line_key(l, key);
	line_quoted(l, val);
}

static void line_u64(struct line *l, const char *key, uint64_t v)
{
	char num[24];

	vmb_snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	line_key(l, key);
	line_raw(l, num);
}

static void line_int(struct line *l, const char *key, int v)
{
	char num[16];

	vmb_snprintf(num, sizeof(num), "%d", v);
	line_key(l, key);
	line_raw(l, num);
}

static void line_hex(struct line *l, const char *key, uint64_t v)
{
	char num[24];

	vmb_snprintf(num, sizeof(num), "\"0x%016llx\"", (unsigned long long)v);
	line_key(l, key);
	line_raw(l, num);
}

static void line_end(struct line *l)
{
	line_raw(l, "}\n");
	line_flush(l);
}

size_t vmb_json_escape(char *dst, size_t size, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[7];
	size_t used = 0, n;

	for (; p[used]; used++) {
		unsigned char c = p[used];

		n = 0;
		switch (c) {
		case '"': esc[n++] = '\\'; esc[n++] = '"'; break;
		case '\\': esc[n++] = '\\'; esc[n++] = '\\'; break;
		case '\n': esc[n++] = '\\'; esc[n++] = 'n'; break;
		case '\r': esc[n++] = '\\'; esc[n++] = 'r'; break;
		case '\t': esc[n++] = '\\'; esc[n++] = 't'; break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				/* Also >= 0x7f: the line stays valid UTF-8. */
				esc[n++] = '\\';
				esc[n++] = 'u';
				esc[n++] = '0';
				esc[n++] = '0';
				esc[n++] = hex[c >> 4];
				esc[n++] = hex[c & 15];
			} else {
				esc[n++] = (char)c;
			}
		}
		if (*pos + n > size)
			break;
		vmb_memcpy(dst + *pos, esc, n);
		*pos += n;
	}
	return used;
}

void vmb_report_boot(const char *entry, uint64_t ram_mb, uint64_t tsc_khz,
		     const char *cmdline)
{
	struct line l;

	line_begin(&l, "boot");
	line_u64(&l, "proto", 1);
	line_str(&l, "entry", entry);
	line_u64(&l, "ram_mb", ram_mb);
	line_u64(&l, "tsc_khz", tsc_khz);
	line_str(&l, "cmdline", cmdline);
	line_end(&l);
}

void vmb_report_start(const struct vmb_bench *b, const struct vmb_params *p)
{
	struct line l;

	line_begin(&l, "start");
	line_str(&l, "bench", b->name);
	line_str(&l, "suite", b->suite);
	line_str(&l, "mode", b->mode == VMB_MODE_USER ? "user" : "kernel");
	line_u64(&l, "iters", p->iters);
	line_u64(&l, "size", p->size);
	line_end(&l);
}

static void result_begin(struct line *l, const char *bench, uint32_t roi,
			 const char *metric, uint64_t ops, uint64_t cycles)
{
	line_begin(l, "result");
	line_str(l, "bench", bench);
	line_u64(l, "roi", roi);
	line_str(l, "metric", metric);
	line_u64(l, "ops", ops);
	line_u64(l, "cycles", cycles);
}

void vmb_report_result(const char *bench, uint32_t roi, const char *metric,
		       uint64_t ops, uint64_t cycles)
{
	struct line l;

	result_begin(&l, bench, roi, metric, ops, cycles);
	line_end(&l);
}

void vmb_report_result_x(const char *bench, uint32_t roi, const char *metric,
			 uint64_t ops, uint64_t cycles, const char *xkey,
			 uint64_t xval)
{
	struct line l;

	result_begin(&l, bench, roi, metric, ops, cycles);
	line_u64(&l, xkey, xval);
	line_end(&l);
}

void vmb_report_checksum(const char *bench, uint64_t value)
{
	struct line l;

	line_begin(&l, "checksum");
	line_str(&l, "bench", bench);
	line_hex(&l, "value", value);
	line_end(&l);
}

void vmb_report_error(const char *bench, const char *msg)
{
	struct line l;

	line_begin(&l, "error");
	line_str(&l, "bench", bench);
	line_str(&l, "msg", msg);
	line_end(&l);
}

void vmb_report_end(const char *bench, int status)
{
	struct line l;

	line_begin(&l, "end");
	line_str(&l, "bench", bench);
	line_int(&l, "status", status);
	line_end(&l);
}

void vmb_report_done(int status, unsigned benches)
{
	struct line l;

	line_begin(&l, "done");
	line_int(&l, "status", status);
	line_u64(&l, "benches", benches);
	line_end(&l);
}
