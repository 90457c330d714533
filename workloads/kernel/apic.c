/*
 * apic.c - local APIC in x2APIC or xAPIC mode, timer and EOI.
 */
#include "apic.h"
#include "memlayout.h"
#include "trap.h"
#include "x86.h"

#define APIC_EOI 0x0B0
#define APIC_SVR 0x0F0
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_DIV 0x3E0

#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_EXTD (1u << 10)
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define SVR_ENABLE (1u << 8)
#define DIV_16 0x3

static int x2apic;

static void apic_write(uint32_t reg, uint32_t val)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), val);
	else
		*(volatile uint32_t *)(DEV_XAPIC + reg) = val;
}

int apic_is_x2apic(void)
{
	return x2apic;
}

void apic_init(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	x2apic = (r[2] >> 21) & 1;
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_EN;
	if (x2apic)
		base |= APIC_BASE_EXTD;
	wrmsr(MSR_APIC_BASE, base);

	apic_write(APIC_SVR, SVR_ENABLE | T_SPURIOUS);
	apic_write(APIC_LVT_LINT0, LVT_MASKED);
	apic_write(APIC_LVT_LINT1, LVT_MASKED);
	apic_write(APIC_LVT_ERROR, LVT_MASKED);
	apic_write(APIC_TIMER_DIV, DIV_16);
	apic_timer_set(1, APIC_PREEMPT_COUNT);
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_timer_set(int periodic, uint32_t count)
{
	apic_write(APIC_LVT_TIMER, T_TIMER | (periodic ? LVT_PERIODIC : 0));
	apic_write(APIC_TIMER_INIT, count);
}
