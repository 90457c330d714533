/*
 * apic.h - the local APIC timer.
 *
 * vmbench engines advertise x2APIC (CPUID.1:ECX[21]) and the registers are
 * MSRs 0x800 + (offset >> 4); QEMU's TCG has no x2APIC, so there the same
 * registers are reached through the xAPIC MMIO page at 0xFEE00000, mapped
 * uncached at DEV_XAPIC. The timer counts the 1 GHz APIC bus clock (the
 * vmbench machine's and QEMU's), divided by 16 here.
 */
#ifndef KERNEL_APIC_H
#define KERNEL_APIC_H

#include <stdint.h>

#define APIC_TIMER_HZ (1000000000ull / 16)
#define APIC_PREEMPT_COUNT (APIC_TIMER_HZ / 100) /* 10 ms quantum */

/*
 * Enable the APIC (x2APIC mode when available), mask LINT0/LINT1/error and
 * start the periodic preemption timer on vector T_TIMER. Needs the kernel
 * page tables and the IDT. On a PC booted by firmware (QEMU, PVH) the 8259
 * PICs must already be masked (entry.S does it first thing) so that no
 * ExtINT request is left pending once LINT0 is masked here.
 */
void apic_init(void);

/* 1 when the registers are reached through x2APIC MSRs. */
int apic_is_x2apic(void);

/* Signal end of interrupt. */
void apic_eoi(void);

/* Program the timer: (periodic) or one-shot, counting down from (count). */
void apic_timer_set(int periodic, uint32_t count);

#endif
