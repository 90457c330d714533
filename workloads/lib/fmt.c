/*
 * fmt.c - printf-style formatting into a buffer or onto the console.
 *
 * One formatter writes into a `struct out`: either a caller's buffer
 * (vmb_snprintf: excess output is counted, not stored) or a small chunk
 * buffer that is handed to vmb_port_write whenever it fills (vmb_printf),
 * so printing needs no large stack buffer.
 */
#include "vmb.h"

struct out {
	char *buf;
	size_t cap;	/* bytes buf can hold (a NUL is added after them) */
	size_t pos;	/* bytes held */
	size_t total;	/* bytes produced, held or not */
	int console;	/* 1: flush to the console when full */
};

struct spec {
	int left;	/* '-' */
	int zero;	/* '0' */
	int width;
	int prec;	/* -1: none */
	int size;	/* 0 int, 1 long, 2 long long, 3 size_t */
};

static void out_flush(struct out *o)
{
	if (o->console && o->pos)
		vmb_port_write(o->buf, o->pos);
	o->pos = 0;
}

static void out_char(struct out *o, char c)
{
	o->total++;
	if (o->pos == o->cap) {
		if (!o->console)
			return;
		out_flush(o);
	}
	o->buf[o->pos++] = c;
}

static void out_pad(struct out *o, char c, int n)
{
	for (; n > 0; n--)
		out_char(o, c);
}

/* Print (len) bytes of (s) in a field of sp->width. */
static void out_field(struct out *o, const struct spec *sp, const char *s,
		      size_t len)
{
	int pad = sp->width > (int)len ? sp->width - (int)len : 0;

	if (!sp->left)
		out_pad(o, ' ', pad);
	for (size_t i = 0; i < len; i++)
		out_char(o, s[i]);
	if (sp->left)
		out_pad(o, ' ', pad);
}

/* Print (v) in (base) with an optional sign or prefix, padded per (sp). */
static void out_number(struct out *o, const struct spec *sp, uint64_t v,
		       unsigned base, int upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, plen = (int)vmb_strlen(prefix), pad;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	pad = sp->width - n - plen;
	if (!sp->left && !sp->zero)
		out_pad(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		out_char(o, prefix[i]);
	if (!sp->left && sp->zero)
		out_pad(o, '0', pad);
	while (n)
		out_char(o, tmp[--n]);
	if (sp->left)
		out_pad(o, ' ', pad);
}

static const char *spec_parse(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){.prec = -1};
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->zero = 1;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = 1;
			sp->width = -sp->width;
		}
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp->width = sp->width * 10 + (*f - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			sp->prec = sp->prec * 10 + (*f - '0');
	}
	if (*f == 'z') {
		sp->size = 3;
		f++;
	} else if (*f == 'l') {
		sp->size = 1;
		if (*++f == 'l') {
			sp->size = 2;
			f++;
		}
	}
	if (sp->left)
		sp->zero = 0;
	return f;
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 1: return va_arg(*ap, long);
	case 2: return va_arg(*ap, long long);
	case 3: return (int64_t)va_arg(*ap, size_t);
	default: return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->size) {
	case 1: return va_arg(*ap, unsigned long);
	case 2: return va_arg(*ap, unsigned long long);
	case 3: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static void out_string(struct out *o, const struct spec *sp, const char *s)
{
	size_t len;

	if (!s)
		s = "(null)";
	len = vmb_strlen(s);
	if (sp->prec >= 0 && (size_t)sp->prec < len)
		len = (size_t)sp->prec;
	out_field(o, sp, s, len);
}

/* One conversion (c) with its spec; returns 0, or -1 if (c) is unknown. */
static int out_conv(struct out *o, const struct spec *sp, char c, va_list *ap)
{
	int64_t sv;
	char ch;

	switch (c) {
	case 'd':
	case 'i':
		sv = arg_signed(sp, ap);
		if (sv < 0)
			out_number(o, sp, 0 - (uint64_t)sv, 10, 0, "-");
		else
			out_number(o, sp, (uint64_t)sv, 10, 0, "");
		return 0;
	case 'u':
		out_number(o, sp, arg_unsigned(sp, ap), 10, 0, "");
		return 0;
	case 'x':
	case 'X':
		out_number(o, sp, arg_unsigned(sp, ap), 16, c == 'X', "");
		return 0;
	case 'p':
		out_number(o, sp, (uintptr_t)va_arg(*ap, void *), 16, 0, "0x");
		return 0;
	case 's':
		out_string(o, sp, va_arg(*ap, const char *));
		return 0;
	case 'c':
		ch = (char)va_arg(*ap, int);
		out_field(o, sp, &ch, 1);
		return 0;
	case '%':
		out_char(o, '%');
		return 0;
	default:
		return -1;
	}
}

static void out_format(struct out *o, const char *fmt, va_list *ap)
{
	struct spec sp;
	const char *start;

	while (*fmt) {
		if (*fmt != '%') {
			out_char(o, *fmt++);
			continue;
		}
		start = fmt;
		fmt = spec_parse(fmt + 1, &sp, ap);
		if (*fmt && out_conv(o, &sp, *fmt, ap) == 0) {
			fmt++;
			continue;
		}
		/* Unknown conversion: print it as written, so it shows. */
		for (; start < fmt; start++)
			out_char(o, *start);
		if (*fmt)
			out_char(o, *fmt++);
	}
}

int vmb_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .cap = n ? n - 1 : 0};
	va_list aq;

	va_copy(aq, ap);
	out_format(&o, fmt, &aq);
	va_end(aq);
	if (n)
		buf[o.pos] = '\0';
	return (int)o.total;
}

int vmb_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vmb_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int vmb_vprintf(const char *fmt, va_list ap)
{
	char chunk[VMB_PRINTF_CHUNK];
	struct out o = {.buf = chunk, .cap = sizeof(chunk), .console = 1};
	va_list aq;

	va_copy(aq, ap);
	out_format(&o, fmt, &aq);
	va_end(aq);
	out_flush(&o);
	return (int)o.total;
}

int vmb_printf(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vmb_vprintf(fmt, ap);
	va_end(ap);
	return r;
}
