/*
 * vmb.h - TEMPORARY stand-in for the guest SDK (workloads/lib/, owned by the
 * sdk branch). Same API; deleted once the real SDK lands in main.
 */
#ifndef VMB_H
#define VMB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vmb_abi.h"
#include "vmb_bench.h"

void vmb_port_write(const char *buf, size_t len);
uint32_t vmb_port_roi_begin(void);
void vmb_port_roi_end(uint32_t id);

void *vmb_memcpy(void *d, const void *s, size_t n);
void *vmb_memset(void *d, int c, size_t n);
int vmb_memcmp(const void *a, const void *b, size_t n);
size_t vmb_strlen(const char *s);
int vmb_strcmp(const char *a, const char *b);
int vmb_strncmp(const char *a, const char *b, size_t n);
size_t vmb_strlcpy(char *d, const char *s, size_t n);
int vmb_parse_u64(const char *s, uint64_t *out);

int vmb_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int vmb_snprintf(char *buf, size_t n, const char *fmt, ...);
int vmb_printf(const char *fmt, ...);

static inline uint64_t vmb_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

void vmb_report_boot(const char *entry, uint64_t ram_mb, uint64_t tsc_khz,
		     const char *cmdline);
void vmb_report_start(const struct vmb_bench *b, const struct vmb_params *p);
void vmb_report_result(const char *bench, uint32_t roi, const char *metric,
		       uint64_t ops, uint64_t cycles);
void vmb_report_result_x(const char *bench, uint32_t roi, const char *metric,
			 uint64_t ops, uint64_t cycles, const char *xkey,
			 uint64_t xval);
void vmb_report_checksum(const char *bench, uint64_t value);
void vmb_report_error(const char *bench, const char *msg);
void vmb_report_end(const char *bench, int status);
void vmb_report_done(int status, unsigned benches);

#define VMB_HASH64_INIT 0xcbf29ce484222325ull
uint64_t vmb_hash64(uint64_t h, const void *p, size_t n);
uint64_t vmb_hash64_u64(uint64_t h, uint64_t v);
uint32_t vmb_crc32(uint32_t crc, const void *p, size_t n);
struct vmb_rng {
	uint64_t s;
};
void vmb_rng_seed(struct vmb_rng *r, uint64_t seed);
uint64_t vmb_rng_next(struct vmb_rng *r);

#endif
