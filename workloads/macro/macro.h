/*
 * macro.h - the macro workloads' compute kernels, and helpers their bench
 * wrappers share.
 *
 * Each workloads/macro/NAME.c holds one compute kernel (plain functions of
 * their arguments: no I/O, no system calls, no globals) and, at the end, the
 * bench wrapper `bench_NAME` that sets up memory, runs the kernel inside a
 * region of interest and reports. The kernels are declared here so that the
 * native host build and the unit tests call exactly the code the guest runs.
 *
 * Every checksum depends only on (iters, size, seed).
 */
#ifndef VMB_MACRO_H
#define VMB_MACRO_H

#include "../lib/vmb.h"
#include "../lib/vmb_sys.h"

/* ---- sort.c: size = elements ------------------------------------------- */
/* Fill (a) with (n) numbers from (r). */
void sort_fill(uint64_t *a, size_t n, struct vmb_rng *r);
/* Sort (a) ascending in place: quicksort (median of three, insertion sort
 * below 16 elements, recursion on the smaller side only). */
void sort_run(uint64_t *a, size_t n);
/* Returns 1 if (a) is ascending. */
int sort_check(const uint64_t *a, size_t n);

/* ---- crc.c: size = bytes -------------------------------------------------- */
struct crc_state {
	uint32_t crc;
	uint64_t hash;
};
/* Fill (buf) with (n) bytes from (r). */
void crc_fill(uint8_t *buf, size_t n, struct vmb_rng *r);
/* Fold (n) bytes of (buf) into (st): CRC-32 and FNV-1a 64 both. */
void crc_run(struct crc_state *st, const uint8_t *buf, size_t n);

/* ---- matmul.c: size = matrix dimension ----------------------------------- */
void matmul_fill(uint32_t *m, size_t n, struct vmb_rng *r);
/* (c) = (a) x (b), n x n row-major, arithmetic modulo 2^32. (c) must not
 * overlap (a) or (b). */
void matmul_run(uint32_t *c, const uint32_t *a, const uint32_t *b, size_t n);

/* ---- fsm.c: size = bytes of text ----------------------------------------- */
/* Fill (text) with (n) bytes of C-like source: identifiers, numbers,
 * strings, comments, punctuation, white space. */
void fsm_text_gen(char *text, size_t n, struct vmb_rng *r);
/* Tokenize (text) with a table-driven DFA; returns the token stream's hash
 * (type and length of every token, folded into (h)); counts tokens into
 * (*tokens). */
uint64_t fsm_run(uint64_t h, const char *text, size_t n, uint64_t *tokens);

/* ---- tlb_reach.c: size = largest working set in bytes --------------------- */
/* Link the first (pages) pages at (base) into one random cycle (Sattolo's
 * algorithm), one pointer per page at a page-dependent cache line. */
void tlb_chain_build(uint8_t *base, size_t pages, struct vmb_rng *r);
/* Follow the chain from page 0 for (accesses) loads; returns the index of
 * the page reached. */
uint64_t tlb_chase(const uint8_t *base, uint64_t accesses);

/* ---- mixed.c: size = bytes of memory per job ------------------------------ */
/* One "compile job": generate a source of (size) bytes into (mem), lex it,
 * build a symbol table, hash the result. Pure: the same (seed, size) gives
 * the same digest. */
uint64_t mixed_job(uint8_t *mem, size_t size, uint64_t seed);

/* ---- helpers for the bench wrappers ---------------------------------------- */

/* The generator seed of bench (salt) for this run. */
static inline uint64_t macro_seed(const struct vmb_params *p, uint64_t salt)
{
	return vmb_hash64_u64(vmb_hash64_u64(VMB_HASH64_INIT, salt), p->seed);
}

/* Map (len) bytes for (bench); on failure report an error and return NULL. */
static inline void *macro_alloc(const char *bench, uint64_t len)
{
	void *p = len ? vmb_sys_mmap((size_t)len) : NULL;

	if (!p) {
		char msg[120];

		vmb_snprintf(msg, sizeof(msg),
			     "mmap of %llu bytes failed: use a smaller size= "
			     "or give the guest more RAM",
			     (unsigned long long)len);
		vmb_report_error(bench, msg);
	}
	return p;
}

/* Multiply two sizes, reporting an error on overflow or over 1 TiB. */
static inline int macro_bytes(const char *bench, uint64_t a, uint64_t b,
			      uint64_t *out)
{
	if (a && b > (1ull << 40) / a) {
		vmb_report_error(bench, "size too large");
		return -1;
	}
	*out = a * b;
	return 0;
}

#endif /* VMB_MACRO_H */
