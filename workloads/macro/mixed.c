/*
 * mixed.c - macro workload `mixed`: a "compile-like" load.
 *
 * Each iteration is one "build": the parent forks MIXED_JOBS children,
 * does one job itself (the "link"), then waits for the children in fork
 * order. A job maps fresh memory (page faults), generates a source text,
 * lexes it and builds a symbol table (compute), and makes a few system
 * calls; a child returns the low 7 bits of its digest as its exit status.
 * size = bytes of memory per job, ops = jobs.
 *
 * Checksum: the parent's digests and every child's exit status, combined
 * in fork order, so it does not depend on how the children were scheduled.
 */
#include "macro.h"

#define MIXED_SALT 0x6d69786564ull /* "mixed" */
#define MIXED_JOBS 4
#define MIXED_MIN_SIZE 8192u
#define MIXED_STATUS_BAD 0xff	/* a child that could not run its job */

static uint64_t ident_hash(const uint8_t *s, size_t len)
{
	return vmb_hash64(VMB_HASH64_INIT, s, len) | 1; /* 0 = empty slot */
}

static int is_ident(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9');
}

/* Generate (n) bytes of text: words from a vocabulary of 4096 (a symbol
 * table worth filling) separated by punctuation. */
static void source_gen(uint8_t *t, size_t n, struct vmb_rng *r)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz_01234";
	static const char sep[] = " ;(),=+*\n{}";
	size_t i = 0;

	while (i < n) {
		uint64_t v = vmb_rng_next(r);
		uint64_t w = vmb_hash64_u64(VMB_HASH64_INIT, v & 4095);
		unsigned len = 2 + (unsigned)(w & 7);

		w >>= 3;
		for (unsigned k = 0; k < len && i < n; k++, w >>= 5)
			t[i++] = (uint8_t)alphabet[w & 31];
		if (i < n)
			t[i++] = (uint8_t)sep[(v >> 12) % (sizeof(sep) - 1)];
	}
}

/* Insert (h) into the open-addressed table (tab) of (mask + 1) slots;
 * returns 1 if it was new. A full table just stops accepting symbols. */
static int symtab_insert(uint64_t *tab, size_t mask, uint64_t h)
{
	for (size_t i = h & mask, probes = 0; probes <= mask;
	     i = (i + 1) & mask, probes++) {
		if (tab[i] == h)
			return 0;
		if (tab[i] == 0) {
			tab[i] = h;
			return 1;
		}
	}
	return 0;
}

uint64_t mixed_job(uint8_t *mem, size_t size, uint64_t seed)
{
	size_t text_len = size / 2, slots = 1, start = 0;
	uint64_t *tab, d = VMB_HASH64_INIT, uses = 0, syms = 0;
	struct vmb_rng r;

	while (slots * 2 * sizeof(*tab) <= size - text_len)
		slots *= 2;
	tab = (uint64_t *)(void *)(mem + size - slots * sizeof(*tab));
	vmb_memset(tab, 0, slots * sizeof(*tab));
	vmb_rng_seed(&r, seed);
	source_gen(mem, text_len, &r);
	for (size_t i = 0; i <= text_len; i++) {
		if (i < text_len && is_ident(mem[i]))
			continue;
		if (i > start) {
			syms += (uint64_t)symtab_insert(
				tab, slots - 1, ident_hash(mem + start, i - start));
			uses++;
		}
		start = i + 1;
	}
	for (size_t i = 0; i < slots; i++)
		d = vmb_hash64_u64(d, tab[i]);
	return vmb_hash64_u64(vmb_hash64_u64(d, syms), uses);
}

static uint64_t job_seed(uint64_t base, uint64_t round, unsigned job)
{
	return vmb_hash64_u64(vmb_hash64_u64(base, round), job);
}

/* The child's side: run one job in fresh memory and exit with its digest. */
static _Noreturn void child_run(size_t size, uint64_t seed)
{
	uint8_t *mem = vmb_sys_mmap(size);
	uint64_t d;

	if (!mem)
		vmb_sys_exit(MIXED_STATUS_BAD);
	vmb_sys_getpid();
	vmb_sys_yield();
	d = mixed_job(mem, size, seed);
	vmb_sys_munmap(mem, size);
	vmb_sys_exit((int)(d & 0x7f));
}

/* Wait for the (n) children in (pids), in order, folding their statuses into
 * (*h). Returns 0, or -1 (error reported) if one failed. */
static int children_reap(const long *pids, unsigned n, uint64_t *h)
{
	int ret = 0;

	for (unsigned j = 0; j < n; j++) {
		int st = -1;
		long w = vmb_sys_wait(pids[j], &st);

		if (w != pids[j] || st < 0 || st > 0x7f) {
			char msg[96];

			vmb_snprintf(msg, sizeof(msg),
				     "job %u: wait returned %ld, status %d", j,
				     w, st);
			vmb_report_error("mixed", msg);
			ret = -1;
		}
		*h = vmb_hash64_u64(vmb_hash64_u64(*h, j), (uint64_t)st);
	}
	return ret;
}

/* One build: fork the children, run the link job, reap. */
static int build_run(uint8_t *mem, size_t size, uint64_t seed, uint64_t round,
		     uint64_t *h)
{
	long pids[MIXED_JOBS];
	unsigned n = 0;

	for (; n < MIXED_JOBS; n++) {
		pids[n] = vmb_sys_fork();
		if (pids[n] == 0)
			child_run(size, job_seed(seed, round, n));
		if (pids[n] < 0) {
			vmb_report_error("mixed", "fork failed");
			children_reap(pids, n, h);
			return -1;
		}
	}
	*h = vmb_hash64_u64(*h, mixed_job(mem, size,
					  job_seed(seed, round, MIXED_JOBS)));
	return children_reap(pids, n, h);
}

static int mixed_bench(const struct vmb_params *p)
{
	size_t size = (size_t)p->size;
	uint64_t seed = macro_seed(p, MIXED_SALT), h = VMB_HASH64_INIT, t0, t1;
	uint64_t it = 0;
	uint8_t *mem;
	uint32_t roi;
	int ret = 0;

	if (size < MIXED_MIN_SIZE) {
		vmb_report_error("mixed", "size must be >= 8192 bytes");
		return 1;
	}
	mem = macro_alloc("mixed", size);
	if (!mem)
		return 1;

	roi = vmb_port_roi_begin();
	t0 = vmb_rdtsc();
	for (; it < p->iters && ret == 0; it++)
		ret = build_run(mem, size, seed, it, &h);
	t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);

	vmb_sys_munmap(mem, size);
	if (ret)
		return 1;
	vmb_report_result("mixed", roi, "job", it * (MIXED_JOBS + 1), t1 - t0);
	vmb_report_checksum("mixed", h);
	return 0;
}

const struct vmb_bench bench_mixed = {
	.name = "mixed",
	.suite = "macro",
	.mode = VMB_MODE_USER,
	.default_iters = 50,
	.default_size = 1u << 20,
	.run = mixed_bench,
};
