/*
 * x2apic.c - the local APIC in x2APIC mode (registers as MSRs 0x800+).
 *
 * Register offsets below are the MSR numbers (xAPIC MMIO offset >> 4).
 * Time is host TSC ticks, passed in by the caller; the timer is stored as
 * the TSC of its next expiry, and the current count is derived from it.
 */
#include "machine/x2apic.h"

#include <stdbool.h>
#include <string.h>

#define MSR_ID 0x802
#define MSR_VERSION 0x803
#define MSR_TPR 0x808
#define MSR_PPR 0x80a
#define MSR_EOI 0x80b
#define MSR_LDR 0x80d
#define MSR_SVR 0x80f
#define MSR_ISR0 0x810
#define MSR_TMR0 0x818
#define MSR_IRR0 0x820
#define MSR_ESR 0x828
#define MSR_ICR 0x830
#define MSR_LVT_TIMER 0x832
#define MSR_LVT_THERMAL 0x833
#define MSR_LVT_PERF 0x834
#define MSR_LVT_LINT0 0x835
#define MSR_LVT_LINT1 0x836
#define MSR_LVT_ERROR 0x837
#define MSR_TIMER_INITIAL 0x838
#define MSR_TIMER_CURRENT 0x839
#define MSR_TIMER_DIVIDE 0x83e
#define MSR_SELF_IPI 0x83f

#define APIC_VERSION 0x00050014u /* version 0x14, max LVT index 5 */
#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_VECTOR 0xffu

/* KVM's apic_lvt_mask[]: the bits each LVT keeps on a write. */
#define LVT_BASE_MASK (LVT_MASKED | (1u << 12) | LVT_VECTOR)
#define LVT_MODE_MASK 0x700u
#define LVT_LINT_MASK (LVT_BASE_MASK | LVT_MODE_MASK | 0xe000u)

#define ICR_SHORTHAND(v) (((v) >> 18) & 3)
#define ICR_DELIVERY(v) (((v) >> 8) & 7)
#define ICR_LOGICAL (1ull << 11)
#define ICR_PENDING (1ull << 12)

void x2apic_init(struct x2apic *apic, uint64_t tsc_khz)
{
	memset(apic, 0, sizeof(*apic));
	apic->tsc_khz = tsc_khz ? tsc_khz : 1000000;
	apic->svr = 0xff;
	apic->lvt_timer = apic->lvt_thermal = apic->lvt_perf = LVT_MASKED;
	apic->lvt_lint0 = apic->lvt_lint1 = apic->lvt_error = LVT_MASKED;
}

/* ---- vectors ------------------------------------------------------------ */

static void vec_set(uint32_t *r, int v) { r[v >> 5] |= 1u << (v & 31); }
static void vec_clear(uint32_t *r, int v) { r[v >> 5] &= ~(1u << (v & 31)); }

/* Highest vector set in (r), or -1. */
static int vec_highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

/* Vectors 0-15 are illegal for interrupts and are not accepted. */
static void apic_accept(struct x2apic *apic, uint32_t vector)
{
	if ((vector & 0xff) >= 16)
		vec_set(apic->irr, (int)(vector & 0xff));
}

static uint32_t apic_ppr(const struct x2apic *apic)
{
	int isr = vec_highest(apic->isr);
	uint32_t isrv = isr < 0 ? 0 : (uint32_t)isr;

	if ((apic->tpr & 0xf0) >= (isrv & 0xf0))
		return apic->tpr & 0xff;
	return isrv & 0xf0;
}

/* ---- timer --------------------------------------------------------------- */

/* Divide configuration bits 3,1,0 -> 2, 4, ..., 128, 1. */
static uint64_t timer_divisor(const struct x2apic *apic)
{
	uint32_t v = ((apic->divide_config & 8) >> 1) | (apic->divide_config & 3);

	return 1ull << ((v + 1) & 7);
}

static uint64_t ns_to_tsc(const struct x2apic *apic, uint64_t ns)
{
	uint64_t t = (uint64_t)((unsigned __int128)ns * apic->tsc_khz / 1000000);

	return t ? t : 1;
}

static uint64_t tsc_to_ns(const struct x2apic *apic, uint64_t tsc)
{
	return (uint64_t)((unsigned __int128)tsc * 1000000 / apic->tsc_khz);
}

/* One period of the timer in bus ns (1 ns per bus tick at 1 GHz). */
static uint64_t timer_period_ns(const struct x2apic *apic)
{
	uint64_t ns = (uint64_t)apic->initial_count * timer_divisor(apic);

	if ((apic->lvt_timer & LVT_TIMER_PERIODIC) && ns < X2APIC_MIN_PERIOD_NS)
		ns = X2APIC_MIN_PERIOD_NS;
	return ns;
}

static void timer_arm(struct x2apic *apic, uint64_t now)
{
	apic->timer_start = now;
	apic->timer_deadline = apic->initial_count ?
		now + ns_to_tsc(apic, timer_period_ns(apic)) : 0;
}

void x2apic_update(struct x2apic *apic, uint64_t now)
{
	uint64_t period, k;

	if (!apic->timer_deadline || now < apic->timer_deadline)
		return;
	if (!(apic->lvt_timer & LVT_MASKED))
		apic_accept(apic, apic->lvt_timer & LVT_VECTOR);
	if (!(apic->lvt_timer & LVT_TIMER_PERIODIC)) {
		apic->timer_fires++;
		apic->timer_deadline = 0;
		return;
	}
	/* every period that ended by (now) fired; they coalesce in IRR */
	period = ns_to_tsc(apic, timer_period_ns(apic));
	k = (now - apic->timer_deadline) / period + 1;
	apic->timer_fires += k;
	apic->timer_start = apic->timer_deadline + (k - 1) * period;
	apic->timer_deadline = apic->timer_start + period;
}

/* Counts left in the current period (the deadline is always its end). */
static uint32_t timer_current(const struct x2apic *apic, uint64_t now)
{
	uint64_t left;

	if (!apic->initial_count || !apic->timer_deadline ||
	    now >= apic->timer_deadline)
		return 0;
	left = tsc_to_ns(apic, apic->timer_deadline - now) /
	       timer_divisor(apic);
	return left < apic->initial_count ? (uint32_t)left : apic->initial_count;
}

/* A new divider rescales the time left in the current period. */
static void timer_divide_set(struct x2apic *apic, uint32_t val, uint64_t now)
{
	uint64_t old = timer_divisor(apic), left;

	apic->divide_config = val & 0xb;
	if (!apic->timer_deadline || timer_divisor(apic) == old)
		return;
	left = apic->timer_deadline > now ? apic->timer_deadline - now : 0;
	left = (uint64_t)((unsigned __int128)left * timer_divisor(apic) / old);
	apic->timer_deadline = now + (left ? left : 1);
}

/* ---- registers ----------------------------------------------------------- */

static void svr_write(struct x2apic *apic, uint32_t val)
{
	apic->svr = val & 0x3ff;
	if (apic->svr & SVR_ENABLE)
		return;
	apic->lvt_timer |= LVT_MASKED;
	apic->lvt_thermal |= LVT_MASKED;
	apic->lvt_perf |= LVT_MASKED;
	apic->lvt_lint0 |= LVT_MASKED;
	apic->lvt_lint1 |= LVT_MASKED;
	apic->lvt_error |= LVT_MASKED;
}

static uint32_t lvt_value(const struct x2apic *apic, uint32_t val,
			  uint32_t mask)
{
	if (!(apic->svr & SVR_ENABLE))
		val |= LVT_MASKED;
	return val & mask;
}

/* Does x2APIC destination (dest) name this CPU (ID 0, LDR 1)? */
static bool icr_dest_self(uint64_t icr)
{
	uint32_t dest = (uint32_t)(icr >> 32);

	if (dest == 0xffffffffu) /* broadcast */
		return true;
	if (!(icr & ICR_LOGICAL))
		return dest == 0;
	return (dest >> 16) == 0 && (dest & 1);
}

/* One CPU: fixed IPIs that reach ourselves (shorthand self or all, or a
 * destination naming us) land in IRR; anything else has no target. */
static void icr_write(struct x2apic *apic, uint64_t val)
{
	unsigned sh = ICR_SHORTHAND(val);

	apic->icr = val & ~ICR_PENDING;
	if (ICR_DELIVERY(val) != 0)
		return;
	if (sh == 1 || sh == 2 || (sh == 0 && icr_dest_self(val)))
		apic_accept(apic, (uint32_t)val & LVT_VECTOR);
}

int x2apic_msr_read(struct x2apic *apic, uint32_t msr, uint64_t now,
		    uint64_t *val)
{
	x2apic_update(apic, now);
	if (msr >= MSR_ISR0 && msr < MSR_ISR0 + 8) {
		*val = apic->isr[msr - MSR_ISR0];
		return 0;
	}
	if (msr >= MSR_TMR0 && msr < MSR_TMR0 + 8) {
		*val = 0; /* edge-triggered only */
		return 0;
	}
	if (msr >= MSR_IRR0 && msr < MSR_IRR0 + 8) {
		*val = apic->irr[msr - MSR_IRR0];
		return 0;
	}
	switch (msr) {
	case MSR_ID: *val = 0; return 0;
	case MSR_VERSION: *val = APIC_VERSION; return 0;
	case MSR_TPR: *val = apic->tpr; return 0;
	case MSR_PPR: *val = apic_ppr(apic); return 0;
	case MSR_LDR: *val = 1; return 0; /* cluster 0, bit (ID & 15) */
	case MSR_SVR: *val = apic->svr; return 0;
	case MSR_ESR: *val = 0; return 0;
	case MSR_ICR: *val = apic->icr; return 0;
	case MSR_LVT_TIMER: *val = apic->lvt_timer; return 0;
	case MSR_LVT_THERMAL: *val = apic->lvt_thermal; return 0;
	case MSR_LVT_PERF: *val = apic->lvt_perf; return 0;
	case MSR_LVT_LINT0: *val = apic->lvt_lint0; return 0;
	case MSR_LVT_LINT1: *val = apic->lvt_lint1; return 0;
	case MSR_LVT_ERROR: *val = apic->lvt_error; return 0;
	case MSR_TIMER_INITIAL: *val = apic->initial_count; return 0;
	case MSR_TIMER_CURRENT: *val = timer_current(apic, now); return 0;
	case MSR_TIMER_DIVIDE: *val = apic->divide_config; return 0;
	default: return -1; /* EOI and SELF IPI are write-only; holes */
	}
}

int x2apic_msr_write(struct x2apic *apic, uint32_t msr, uint64_t now,
		     uint64_t val)
{
	uint32_t v = (uint32_t)val;

	x2apic_update(apic, now);
	if (msr == MSR_ICR) {
		icr_write(apic, val);
		return 0;
	}
	if (val >> 32)
		return -1;
	switch (msr) {
	case MSR_TPR: apic->tpr = v & 0xff; return 0;
	case MSR_EOI:
		if (v)
			return -1;
		if (vec_highest(apic->isr) >= 0)
			vec_clear(apic->isr, vec_highest(apic->isr));
		return 0;
	case MSR_SVR: svr_write(apic, v); return 0;
	case MSR_ESR: return v ? -1 : 0;
	case MSR_LVT_TIMER:
		apic->lvt_timer = lvt_value(apic, v, LVT_BASE_MASK |
						     LVT_TIMER_PERIODIC);
		return 0;
	case MSR_LVT_THERMAL:
		apic->lvt_thermal = lvt_value(apic, v, LVT_BASE_MASK | LVT_MODE_MASK);
		return 0;
	case MSR_LVT_PERF:
		apic->lvt_perf = lvt_value(apic, v, LVT_BASE_MASK | LVT_MODE_MASK);
		return 0;
	case MSR_LVT_LINT0: apic->lvt_lint0 = lvt_value(apic, v, LVT_LINT_MASK); return 0;
	case MSR_LVT_LINT1: apic->lvt_lint1 = lvt_value(apic, v, LVT_LINT_MASK); return 0;
	case MSR_LVT_ERROR: apic->lvt_error = lvt_value(apic, v, LVT_BASE_MASK); return 0;
	case MSR_TIMER_INITIAL:
		apic->initial_count = v;
		timer_arm(apic, now);
		return 0;
	case MSR_TIMER_DIVIDE: timer_divide_set(apic, v, now); return 0;
	case MSR_SELF_IPI: apic_accept(apic, v & LVT_VECTOR); return 0;
	default: return -1; /* read-only registers and holes */
	}
}

int x2apic_pending_vector(const struct x2apic *apic)
{
	int v = vec_highest(apic->irr);

	if (v < 0 || (uint32_t)(v & 0xf0) <= (apic_ppr(apic) & 0xf0))
		return -1;
	return v;
}

void x2apic_ack(struct x2apic *apic, int vector)
{
	if (vector < 0 || vector > 255)
		return;
	vec_clear(apic->irr, vector);
	vec_set(apic->isr, vector);
}

uint64_t x2apic_next_event(const struct x2apic *apic)
{
	return apic->timer_deadline;
}
