/* TEMPORARY stand-in for the guest SDK: strings, formatting, reports. */
#include "vmb.h"

void *vmb_memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}
void *vmb_memset(void *d, int c, size_t n)
{
	char *dp = d;
	while (n--)
		*dp++ = (char)c;
	return d;
}
int vmb_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
size_t vmb_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
int vmb_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}
int vmb_strcmp(const char *a, const char *b) { return vmb_strncmp(a, b, (size_t)-1); }
size_t vmb_strlcpy(char *d, const char *s, size_t n)
{
	size_t l = vmb_strlen(s);
	if (n) {
		size_t c = l < n - 1 ? l : n - 1;
		vmb_memcpy(d, s, c);
		d[c] = 0;
	}
	return l;
}
int vmb_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * base + d;
	}
	if (*s == 'k' || *s == 'K')
		v <<= 10, s++;
	else if (*s == 'm' || *s == 'M')
		v <<= 20, s++;
	else if (*s == 'g' || *s == 'G')
		v <<= 30, s++;
	if (*s)
		return -1;
	*out = v;
	return 0;
}

struct out {
	char *buf;
	size_t n, len;
};
static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}
int vmb_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = {buf, n, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		int left = 0, zero = 0, width = 0, lng = 0;
		if (*fmt == '-')
			left = 1, fmt++;
		if (*fmt == '0')
			zero = 1, fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			lng = 1, fmt++;
		char tmp[24];
		const char *s = tmp;
		int len = 0, neg = 0;
		uint64_t v;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t sv = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			neg = sv < 0;
			v = neg ? -(uint64_t)sv : (uint64_t)sv;
			goto dec;
		}
		case 'u':
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
		dec:
			do
				tmp[sizeof(tmp) - 1 - len++] = '0' + v % 10;
			while (v /= 10);
			if (neg)
				tmp[sizeof(tmp) - 1 - len++] = '-';
			s = tmp + sizeof(tmp) - len;
			break;
		case 'p':
			lng = 1;
			/* fall through */
		case 'x':
		case 'X':
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			do
				tmp[sizeof(tmp) - 1 - len++] = "0123456789abcdef"[v & 15];
			while (v >>= 4);
			s = tmp + sizeof(tmp) - len;
			break;
		case 's':
			s = va_arg(ap, const char *);
			len = (int)vmb_strlen(s);
			break;
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			len = 1;
			break;
		default:
			tmp[0] = *fmt;
			len = 1;
		}
		if (!left)
			for (int i = len; i < width; i++)
				put(&o, zero ? '0' : ' ');
		for (int i = 0; i < len; i++)
			put(&o, s[i]);
		if (left)
			for (int i = len; i < width; i++)
				put(&o, ' ');
	}
	if (n)
		buf[o.len < n ? o.len : n - 1] = 0;
	return (int)o.len;
}
int vmb_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vmb_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
int vmb_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int r = vmb_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vmb_port_write(buf, vmb_strlen(buf));
	return r;
}

void vmb_report_boot(const char *entry, uint64_t ram_mb, uint64_t tsc_khz,
		     const char *cmdline)
{
	vmb_printf("@vmb {\"ev\":\"boot\",\"proto\":1,\"entry\":\"%s\",\"ram_mb\":%lu,\"tsc_khz\":%lu,\"cmdline\":\"%s\"}\n",
		   entry, ram_mb, tsc_khz, cmdline);
}
void vmb_report_start(const struct vmb_bench *b, const struct vmb_params *p)
{
	vmb_printf("@vmb {\"ev\":\"start\",\"bench\":\"%s\",\"suite\":\"%s\",\"mode\":\"%s\",\"iters\":%lu,\"size\":%lu}\n",
		   b->name, b->suite, b->mode == VMB_MODE_KERNEL ? "kernel" : "user", p->iters, p->size);
}
void vmb_report_result(const char *bench, uint32_t roi, const char *metric,
		       uint64_t ops, uint64_t cycles)
{
	vmb_printf("@vmb {\"ev\":\"result\",\"bench\":\"%s\",\"roi\":%u,\"metric\":\"%s\",\"ops\":%lu,\"cycles\":%lu}\n",
		   bench, roi, metric, ops, cycles);
}
void vmb_report_result_x(const char *bench, uint32_t roi, const char *metric,
			 uint64_t ops, uint64_t cycles, const char *xkey,
			 uint64_t xval)
{
	vmb_printf("@vmb {\"ev\":\"result\",\"bench\":\"%s\",\"roi\":%u,\"metric\":\"%s\",\"ops\":%lu,\"cycles\":%lu,\"%s\":%lu}\n",
		   bench, roi, metric, ops, cycles, xkey, xval);
}
void vmb_report_checksum(const char *bench, uint64_t value)
{
	vmb_printf("@vmb {\"ev\":\"checksum\",\"bench\":\"%s\",\"value\":\"0x%016lx\"}\n", bench, value);
}
void vmb_report_error(const char *bench, const char *msg)
{
	vmb_printf("@vmb {\"ev\":\"error\",\"bench\":\"%s\",\"msg\":\"%s\"}\n", bench, msg);
}
void vmb_report_end(const char *bench, int status)
{
	vmb_printf("@vmb {\"ev\":\"end\",\"bench\":\"%s\",\"status\":%d}\n", bench, status);
}
void vmb_report_done(int status, unsigned benches)
{
	vmb_printf("@vmb {\"ev\":\"done\",\"status\":%d,\"benches\":%u}\n", status, benches);
}

uint64_t vmb_hash64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}
uint64_t vmb_hash64_u64(uint64_t h, uint64_t v) { return vmb_hash64(h, &v, sizeof(v)); }
uint32_t vmb_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;
	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}
void vmb_rng_seed(struct vmb_rng *r, uint64_t seed) { r->s = seed; }
uint64_t vmb_rng_next(struct vmb_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
