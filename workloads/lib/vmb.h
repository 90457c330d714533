/*
 * vmb.h - the guest SDK: what every workload (and the guest kernel) uses.
 *
 * One small library serves three environments. Only the port layer (the
 * three vmb_port_* functions below) differs between them:
 *   - guest kernel (CPL0): the kernel provides them with port I/O;
 *   - guest user programs (CPL3): workloads/lib/port_user.c, via syscalls;
 *   - the native host build: workloads/native/port_native.c (stdout).
 * Everything else here is freestanding C (no floating point, no SSE) and
 * compiles unchanged in all three, and hosted for the unit tests.
 *
 * The result protocol (docs/result-protocol.md): every vmb_report_* call
 * emits exactly one "@vmb {json}\n" line with one vmb_port_write() call (a
 * line longer than VMB_LINE_MAX bytes, which only a huge command line can
 * cause, is written in several calls but stays one line). String values
 * are JSON-escaped; bytes >= 0x7f are written as \u00XX, so every line is
 * valid JSON whatever the input.
 *
 * Nothing here allocates memory or keeps state between calls, except the
 * port layer's region-of-interest counter.
 */
#ifndef VMB_H
#define VMB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vmb_abi.h"
#include "vmb_bench.h"

#define VMB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VMB_PAGE_SIZE 4096ull

#ifdef __GNUC__
#define VMB_PRINTF(fmt_idx, arg_idx) \
	__attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define VMB_PRINTF(fmt_idx, arg_idx)
#endif

/* ---- Port layer: each environment provides these ------------------------ */

/* Write (len) bytes of (buf) to the console (debug port 0xE9 in the guest). */
void vmb_port_write(const char *buf, size_t len);

/*
 * Mark the start of a measured phase (a 32-bit write of
 * VMB_ROI_VALUE(id, VMB_ROI_BEGIN) to port 0x500). Returns the region id,
 * >= 1, that the phase's result line must carry. Call it just before the
 * first timed operation, and vmb_port_roi_end(id) just after the last.
 */
uint32_t vmb_port_roi_begin(void);
void vmb_port_roi_end(uint32_t id);

/* ---- libc subset (string.c, parse.c) ------------------------------------ */

void *vmb_memcpy(void *dst, const void *src, size_t n);
void *vmb_memmove(void *dst, const void *src, size_t n);
void *vmb_memset(void *dst, int c, size_t n);
int vmb_memcmp(const void *a, const void *b, size_t n);
size_t vmb_strlen(const char *s);
int vmb_strcmp(const char *a, const char *b);
int vmb_strncmp(const char *a, const char *b, size_t n);
/*
 * Copy (src) into (dst) of (size) bytes, always NUL-terminated when size > 0.
 * Returns strlen(src); a result >= size means the copy was truncated.
 */
size_t vmb_strlcpy(char *dst, const char *src, size_t size);

/*
 * Parse the NUL-terminated (s) as an unsigned 64-bit number into (*out):
 * decimal or 0x-prefixed hex, optionally followed by one suffix k/K, m/M or
 * g/G (times 2^10, 2^20, 2^30). Returns 0, or -1 (and leaves *out alone)
 * when (s) is empty, has any other character, or overflows 64 bits.
 */
int vmb_parse_u64(const char *s, uint64_t *out);

/* ---- Formatting (fmt.c) --------------------------------------------------
 * Conversions: %d %i %u %x %X %p %s %c %%, length modifiers l, ll, z,
 * flags '-' (left-justify) and '0' (zero-pad), a field width (digits or *),
 * and a precision for %s (".N" or ".*": at most N bytes). %p prints
 * "0x" + hex. A NULL %s prints "(null)". No floating point.
 */

/*
 * Format into (buf) of (n) bytes, NUL-terminated when n > 0. Returns the
 * length the full output has (not counting the NUL), as C's snprintf does:
 * the output was truncated when the result is >= n.
 */
int vmb_snprintf(char *buf, size_t n, const char *fmt, ...) VMB_PRINTF(3, 4);
int vmb_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

/*
 * Format to the console through vmb_port_write (in chunks of at most
 * VMB_PRINTF_CHUNK bytes). Returns the number of bytes written.
 */
#define VMB_PRINTF_CHUNK 128
int vmb_printf(const char *fmt, ...) VMB_PRINTF(1, 2);
int vmb_vprintf(const char *fmt, va_list ap);

/* ---- Timing --------------------------------------------------------------- */

/* The TSC, fenced on both sides so no load or store crosses the read. */
static inline uint64_t vmb_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence"
			 : "=a"(lo), "=d"(hi)
			 :
			 : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* ---- Result protocol (report.c) -------------------------------------------
 * Each function emits exactly one result line (docs/result-protocol.md).
 * Checksums are printed as "0x" + 16 hex digits.
 */
#define VMB_LINE_MAX 512

/* `boot`: first line of a boot; (entry) is "vmbench", "pvh" or "native". */
void vmb_report_boot(const char *entry, uint64_t ram_mb, uint64_t tsc_khz,
		     const char *cmdline);
/* `start`: bench name, suite and mode from (b), iters and size from (p). */
void vmb_report_start(const struct vmb_bench *b, const struct vmb_params *p);
/* `result`: (ops) operations took (cycles) TSC ticks in region (roi). */
void vmb_report_result(const char *bench, uint32_t roi, const char *metric,
		       uint64_t ops, uint64_t cycles);
/* `result` with one extra integer field (xkey):(xval), e.g. "ws_bytes". */
void vmb_report_result_x(const char *bench, uint32_t roi, const char *metric,
			 uint64_t ops, uint64_t cycles, const char *xkey,
			 uint64_t xval);
void vmb_report_checksum(const char *bench, uint64_t value);
void vmb_report_error(const char *bench, const char *msg);
void vmb_report_end(const char *bench, int status);
/* `done`: the last line before the exit port; (benches) is how many ran. */
void vmb_report_done(int status, unsigned benches);

/*
 * Append to (dst) of (size) bytes, at offset (*pos), the JSON string body of
 * (s) (escaped, without the quotes). Stops before the byte that would not
 * fit in full (escapes are never split) and returns the number of bytes of
 * (s) consumed, so the caller can flush and continue.
 */
size_t vmb_json_escape(char *dst, size_t size, size_t *pos, const char *s);

/* ---- Deterministic helpers (hash.c) ---------------------------------------- */

#define VMB_HASH64_INIT 0xcbf29ce484222325ull /* FNV-1a offset basis */

/* FNV-1a 64 of (n) bytes at (p), continuing from (h). */
uint64_t vmb_hash64(uint64_t h, const void *p, size_t n);
/* vmb_hash64 of the 8 little-endian bytes of (v). */
uint64_t vmb_hash64_u64(uint64_t h, uint64_t v);

/*
 * CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) of (n) bytes at (p),
 * continuing from (crc): start with 0, as zlib's crc32(). "123456789" gives
 * 0xCBF43926.
 */
uint32_t vmb_crc32(uint32_t crc, const void *p, size_t n);

/* splitmix64: a tiny deterministic generator, the same on every engine. */
struct vmb_rng {
	uint64_t s;
};
void vmb_rng_seed(struct vmb_rng *r, uint64_t seed);
uint64_t vmb_rng_next(struct vmb_rng *r);
/* A number in [0, bound) for bound >= 1 (modulo; bias is irrelevant here). */
uint64_t vmb_rng_below(struct vmb_rng *r, uint64_t bound);

#endif /* VMB_H */
