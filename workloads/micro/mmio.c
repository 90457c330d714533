/*
 * mmio - cost of an MMIO exit: 32-bit stores to, then loads from, the null
 * MMIO page (guest-physical 0xC0000000, mapped uncached at DEV_MMIO_NULL).
 * Loaded values are ignored. Checksum: the number of accesses.
 */
#include "memlayout.h"
#include "vmb.h"

static int mmio_run(const struct vmb_params *p)
{
	volatile uint32_t *reg = (volatile uint32_t *)DEV_MMIO_NULL;
	uint64_t n = p->iters;

	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		*reg = (uint32_t)i;
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("mmio", roi, "store", n, t1 - t0);

	roi = vmb_port_roi_begin();
	t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		(void)*reg;
	t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("mmio", roi, "load", n, t1 - t0);

	vmb_report_checksum("mmio", vmb_hash64_u64(VMB_HASH64_INIT, 2 * n));
	return 0;
}

const struct vmb_bench bench_mmio = {
	.name = "mmio", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 100000, .run = mmio_run,
};
