/*
 * mprotect - PTE permission flips: a region of `size` pages (all present)
 * is made read-only and then read-write again, `iters` times; each call
 * rewrites `size` PTEs and INVLPGs each, and one store after each flip
 * checks that the page is writable again. Ops = mprotect calls.
 * Checksum: the return values and the region's contents afterwards.
 */
#include "vmb.h"
#include "vmb_sys.h"

#define PAGE 4096

static int mprotect_run(const struct vmb_params *p)
{
	uint64_t n = p->iters, pages = p->size;
	volatile uint64_t *mem = vmb_sys_mmap(pages * PAGE);
	long acc = 0;

	if (!mem) {
		vmb_report_error("mprotect", "mmap failed");
		return 1;
	}
	for (uint64_t i = 0; i < pages; i++)
		mem[i * (PAGE / 8)] = i;
	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++) {
		acc += vmb_sys_mprotect((void *)mem, pages * PAGE, VMB_PROT_READ);
		acc += vmb_sys_mprotect((void *)mem, pages * PAGE,
					VMB_PROT_READ | VMB_PROT_WRITE);
		mem[(i % pages) * (PAGE / 8) + 1] += i;
	}
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("mprotect", roi, "call", 2 * n, t1 - t0);

	uint64_t h = vmb_hash64_u64(VMB_HASH64_INIT, (uint64_t)acc);
	for (uint64_t i = 0; i < pages; i++)
		h = vmb_hash64(h, (const void *)(mem + i * (PAGE / 8)), 16);
	vmb_report_checksum("mprotect", h);
	vmb_sys_munmap((void *)mem, pages * PAGE);
	return acc != 0;
}

const struct vmb_bench bench_mprotect = {
	.name = "mprotect", .suite = "micro", .mode = VMB_MODE_USER,
	.default_iters = 10000, .default_size = 16, .run = mprotect_run,
};
