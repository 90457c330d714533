/*
 * timer - timer interrupt delivery: arm the APIC timer one-shot with a
 * tiny count and spin (IF=1) until its interrupt has been handled; one op
 * is arm + expiry + delivery + handler + EOI + IRET. The periodic
 * preemption timer is restored afterwards. Checksum: the number of
 * interrupts waited for.
 */
#include "apic.h"
#include "trap.h"
#include "vmb.h"
#include "x86.h"

#define ONESHOT_COUNT 64	/* ~1 us at 62.5 MHz */

static int timer_run(const struct vmb_params *p)
{
	uint64_t n = p->iters;

	apic_timer_set(0, 0);	/* stop the periodic timer */
	uint32_t roi = vmb_port_roi_begin();
	uint64_t t0 = vmb_rdtsc();
	sti();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t want = timer_ticks + 1;
		apic_timer_set(0, ONESHOT_COUNT);
		while (timer_ticks < want)
			__asm__ volatile("pause");
	}
	cli();
	uint64_t t1 = vmb_rdtsc();
	vmb_port_roi_end(roi);
	apic_timer_set(1, APIC_PREEMPT_COUNT);
	vmb_report_result("timer", roi, "irq", n, t1 - t0);
	vmb_report_checksum("timer", vmb_hash64_u64(VMB_HASH64_INIT, n));
	return 0;
}

const struct vmb_bench bench_timer = {
	.name = "timer", .suite = "micro", .mode = VMB_MODE_KERNEL,
	.default_iters = 10000, .run = timer_run,
};
