/*
 * pio - cost of a port I/O exit: 32-bit OUT to, then IN from, the null
 * port 0x504 (no device behind it; the value read is ignored, since QEMU
 * returns all-ones and vmbench engines may return anything).
 * Checksum: the number of accesses.
 */
#include "vmb.h"
#include "x86.h"

static int pio_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;

	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		outl(VMB_PORT_NULL, (uint32_t)i);
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("pio", roi, "out", n, t1 - t0);

	roi = vmb_port_roi_begin();
	t0 = vmb_rdtsc();
	for (uint64_t i = 0; i < n; i++)
		(void)inl(VMB_PORT_NULL);
	t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	vmb_report_result("pio", roi, "in", n, t1 - t0);

	vmb_report_checksum("pio", vmb_hash64_u64(VMB_HASH64_INIT, 2 * n));
	return 0;
}

const struct vmb_bench bench_pio = {
	.name = "pio", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 100000, .run = pio_run,
};
