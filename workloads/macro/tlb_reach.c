/*
 * tlb_reach.c - macro workload `tlb_reach`: latency of dependent loads
 * over growing working sets, one page per load.
 *
 * Working sets double from 4 KiB up to (size) bytes (default 256 MiB; a
 * size that is not a power of two is the last set). For each set, the
 * pages are linked into one random cycle and a pointer chase makes (iters)
 * dependent loads, each on a different page, so once the set outgrows the
 * TLBs nearly every load needs a page walk. One `result` line per working
 * set, with "ws_bytes"; ops = loads. The memory is mapped once and touched
 * before any timing, so no page fault falls inside a measured phase. The
 * default size needs a guest with more RAM than that (512 MiB will do).
 *
 * The pointer of page i sits at a cache line that depends on i, so pages do
 * not all compete for the same cache set. Checksum: the page each chase
 * ends on, for every working set.
 */
#include "macro.h"

#define TLB_SALT 0x746c62ull /* "tlb" */
#define TLB_PAGE 4096u
#define TLB_MIN_WS 4096u

static size_t slot_offset(size_t page)
{
	return ((page * 0x9e37u) & 63u) * 64u;
}

static uint8_t **slot(uint8_t *base, size_t page)
{
	return (uint8_t **)(void *)(base + page * TLB_PAGE + slot_offset(page));
}

void tlb_chain_build(uint8_t *base, size_t pages, struct vmb_rng *r)
{
	/* The slots first hold page numbers: next[i] = i, shuffled by
	 * Sattolo's algorithm into a single cycle. */
	for (size_t i = 0; i < pages; i++)
		*(uint64_t *)(void *)slot(base, i) = i;
	for (size_t i = pages - 1; i > 0; i--) {
		size_t j = (size_t)vmb_rng_below(r, i);
		uint64_t *si = (uint64_t *)(void *)slot(base, i);
		uint64_t *sj = (uint64_t *)(void *)slot(base, j);
		uint64_t t = *si;

		*si = *sj;
		*sj = t;
	}
	/* Then each page number becomes the address of that page's slot. */
	for (size_t i = 0; i < pages; i++) {
		uint8_t **s = slot(base, i);

		*s = (uint8_t *)slot(base, *(uint64_t *)(void *)s);
	}
}

uint64_t tlb_chase(const uint8_t *base, uint64_t accesses)
{
	uint8_t *p = (uint8_t *)slot((uint8_t *)base, 0);

	for (uint64_t k = 0; k < accesses; k++)
		p = *(uint8_t **)(void *)p;
	return (uint64_t)(p - base) / TLB_PAGE;
}

/* Write every page once so that demand-zero faults happen now. */
static void pages_touch(uint8_t *base, size_t bytes)
{
	for (size_t off = 0; off < bytes; off += TLB_PAGE)
		base[off] = 1;
}

static uint64_t ws_next(uint64_t ws, uint64_t max)
{
	if (ws == max)
		return 0;
	return ws * 2 > max ? max : ws * 2;
}

static int tlb_bench(const struct vmb_params *p)
{
	uint64_t max = p->size & ~(uint64_t)(TLB_PAGE - 1);
	uint64_t h = VMB_HASH64_INIT, end, t0, t1;
	struct vmb_rng r;
	uint8_t *base;
	uint32_t roi;

	if (max < TLB_MIN_WS) {
		vmb_report_error("tlb_reach", "size must be >= 4096 bytes");
		return 1;
	}
	base = macro_alloc("tlb_reach", max);
	if (!base)
		return 1;
	pages_touch(base, max);
	vmb_rng_seed(&r, macro_seed(p, TLB_SALT));

	for (uint64_t ws = TLB_MIN_WS; ws; ws = ws_next(ws, max)) {
		tlb_chain_build(base, ws / TLB_PAGE, &r);
		roi = vmb_port_roi_begin();
		t0 = vmb_rdtsc();
		end = tlb_chase(base, p->iters);
		t1 = vmb_rdtsc();
		vmb_port_roi_end(roi);
		vmb_report_result_x("tlb_reach", roi, "access", p->iters,
				    t1 - t0, "ws_bytes", ws);
		h = vmb_hash64_u64(vmb_hash64_u64(h, ws), end);
	}
	vmb_report_checksum("tlb_reach", h);
	vmb_sys_munmap(base, max);
	return 0;
}

const struct vmb_bench bench_tlb_reach = {
	.name = "tlb_reach",
	.suite = "macro",
	.mode = VMB_MODE_USER,
	.default_iters = 1u << 20,
	.default_size = 256u << 20,
	.run = tlb_bench,
};
