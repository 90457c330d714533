/*
 * pagefault - demand-zero page faults: map `iters` fresh pages and write
 * one byte to each (each write is one fault that allocates and zeroes a
 * page). Checksum: the first 16 bytes of every page afterwards (the byte
 * written, then zeros: a non-zero-filled page changes it).
 */
#include "vmb.h"
#include "vmb_sys.h"

#define PAGE 4096

static int pagefault_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;
	volatile uint8_t *mem = vmb_sys_mmap(n * PAGE);

	if (!mem) {
		vmb_report_error("pagefault", "mmap failed");
		return 1;
	}
	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		mem[i * PAGE] = (uint8_t)(i * 7 + 1);
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("pagefault", roi, "fault", n, t1 - t0);

	uint64_t h = VMB_HASH64_INIT;
	for (uint64_t i = 0; i < n; i++)
		h = vmb_hash64(h, (const void *)(mem + i * PAGE), 16);
	vmb_report_checksum("pagefault", h);
	return vmb_sys_munmap((void *)mem, n * PAGE) != 0;
}

const struct vmb_bench bench_pagefault = {
	.name = "pagefault", .suite = "micro", .mode = VMB_MODE_USER,
	.default_iters = 4096, .run = pagefault_run,
};
