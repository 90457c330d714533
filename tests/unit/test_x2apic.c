/*
 * Unit tests for engines/machine/x2apic.c. Time is explicit: with a 1 GHz
 * TSC one tick is one bus nanosecond, so expected deadlines are readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "machine/x2apic.h"

#define TPR 0x808
#define PPR 0x80a
#define EOI 0x80b
#define SVR 0x80f
#define ISR0 0x810
#define IRR0 0x820
#define ESR 0x828
#define ICR 0x830
#define LVTT 0x832
#define LINT0 0x835
#define TMICT 0x838
#define TMCCT 0x839
#define TDCR 0x83e
#define SELF_IPI 0x83f
#define PERIODIC (1u << 17)
#define MASKED (1u << 16)
#define DIV1 0xb
#define DIV2 0x0

static int apic_setup(void **state)
{
	struct x2apic *a = malloc(sizeof(*a));

	if (!a)
		return -1;
	x2apic_init(a, 1000000); /* 1 GHz TSC */
	*state = a;
	return 0;
}

static int apic_teardown(void **state)
{
	free(*state);
	return 0;
}

static uint64_t rd(struct x2apic *a, uint32_t msr, uint64_t now)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(x2apic_msr_read(a, msr, now, &v), 0);
	return v;
}

static void wr(struct x2apic *a, uint32_t msr, uint64_t now, uint64_t v)
{
	assert_int_equal(x2apic_msr_write(a, msr, now, v), 0);
}

static void irr_has(struct x2apic *a, int vector, uint64_t now, bool want)
{
	uint64_t v = rd(a, IRR0 + vector / 32, now);

	assert_int_equal(!!(v & (1ull << (vector % 32))), want);
}

static void reset_registersAndFaults(void **state)
{
	struct x2apic *a = *state;
	uint64_t v;

	assert_int_equal(rd(a, 0x802, 0), 0);		/* ID */
	assert_int_equal(rd(a, 0x803, 0), 0x00050014);	/* version */
	assert_int_equal(rd(a, 0x80d, 0), 1);		/* LDR */
	assert_int_equal(rd(a, SVR, 0), 0xff);
	assert_int_equal(rd(a, LVTT, 0), MASKED);
	assert_int_equal(rd(a, LINT0, 0), MASKED);
	assert_int_equal(rd(a, PPR, 0), 0);
	assert_int_equal(rd(a, TMCCT, 0), 0);
	assert_int_equal(x2apic_pending_vector(a), -1);
	assert_int_equal(x2apic_next_event(a), 0);
	/* write-only, read-only, holes and reserved bits */
	assert_int_equal(x2apic_msr_read(a, EOI, 0, &v), -1);
	assert_int_equal(x2apic_msr_read(a, SELF_IPI, 0, &v), -1);
	assert_int_equal(x2apic_msr_read(a, 0x801, 0, &v), -1);
	assert_int_equal(x2apic_msr_read(a, 0x82f, 0, &v), -1); /* no CMCI */
	assert_int_equal(x2apic_msr_write(a, 0x802, 0, 1), -1);
	assert_int_equal(x2apic_msr_write(a, PPR, 0, 0), -1);
	assert_int_equal(x2apic_msr_write(a, IRR0, 0, 0), -1);
	assert_int_equal(x2apic_msr_write(a, TMCCT, 0, 0), -1);
	assert_int_equal(x2apic_msr_write(a, TPR, 0, 1ull << 32), -1);
	assert_int_equal(x2apic_msr_write(a, EOI, 0, 1), -1);
	assert_int_equal(x2apic_msr_write(a, ESR, 0, 4), -1);
	wr(a, ESR, 0, 0);
}

static void svr_disabled_forcesLvtMasked(void **state)
{
	struct x2apic *a = *state;

	wr(a, LVTT, 0, 0x40);
	assert_int_equal(rd(a, LVTT, 0), MASKED | 0x40);
	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, 0x40);
	wr(a, LINT0, 0, 0x700);
	assert_int_equal(rd(a, LVTT, 0), 0x40);
	wr(a, SVR, 0, 0xff); /* software disable masks every LVT */
	assert_int_equal(rd(a, LVTT, 0), MASKED | 0x40);
	assert_int_equal(rd(a, LINT0, 0), MASKED | 0x700);
	wr(a, SVR, 0, 0xfffff1ff); /* only bits 9:0 stick */
	assert_int_equal(rd(a, SVR, 0), 0x1ff);
	wr(a, LVTT, 0, 0xffffffff); /* no TSC-deadline mode: bit 18 drops */
	assert_int_equal(rd(a, LVTT, 0), 0x310ff);
}

static void oneShot_firesOnceAtDeadline(void **state)
{
	struct x2apic *a = *state;

	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, 0x40);
	wr(a, TDCR, 0, DIV1);
	wr(a, TMICT, 100, 1000);
	assert_int_equal(x2apic_next_event(a), 1100);
	assert_int_equal(rd(a, TMICT, 350), 1000);
	assert_int_equal(rd(a, TMCCT, 350), 750);
	x2apic_update(a, 1099);
	assert_int_equal(x2apic_pending_vector(a), -1);
	x2apic_update(a, 1100);
	assert_int_equal(x2apic_pending_vector(a), 0x40);
	assert_int_equal(a->timer_fires, 1);
	assert_int_equal(x2apic_next_event(a), 0);
	assert_int_equal(rd(a, TMCCT, 1200), 0);
	x2apic_update(a, 100000);
	assert_int_equal(a->timer_fires, 1);

	x2apic_ack(a, 0x40);
	assert_int_equal(x2apic_pending_vector(a), -1);
	irr_has(a, 0x40, 1200, false);
	assert_int_equal(rd(a, ISR0 + 2, 1200), 1);
	assert_int_equal(rd(a, PPR, 1200), 0x40);
	wr(a, EOI, 1200, 0);
	assert_int_equal(rd(a, ISR0 + 2, 1200), 0);
	assert_int_equal(rd(a, PPR, 1200), 0);
}

static void periodic_rearmsAndCoalesces(void **state)
{
	struct x2apic *a = *state;

	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, PERIODIC | 0x41);
	wr(a, TDCR, 0, DIV2);
	wr(a, TMICT, 0, 500000); /* 1 ms */
	assert_int_equal(x2apic_next_event(a), 1000000);
	x2apic_update(a, 1000000);
	assert_int_equal(x2apic_pending_vector(a), 0x41);
	assert_int_equal(x2apic_next_event(a), 2000000);
	x2apic_ack(a, 0x41);
	wr(a, EOI, 1000001, 0);
	/* a long stall: four more periods end, one interrupt is pending */
	x2apic_update(a, 5500000);
	assert_int_equal(a->timer_fires, 5);
	assert_int_equal(x2apic_next_event(a), 6000000);
	assert_int_equal(x2apic_pending_vector(a), 0x41);
	assert_int_equal(rd(a, TMCCT, 5750000), 125000);
	/* writing 0 stops it */
	wr(a, TMICT, 5800000, 0);
	assert_int_equal(x2apic_next_event(a), 0);
	assert_int_equal(rd(a, TMCCT, 5800001), 0);
}

static void periodic_shortPeriod_clampedLikeKvm(void **state)
{
	struct x2apic *a = *state;

	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, PERIODIC | 0x42);
	wr(a, TDCR, 0, DIV1);
	wr(a, TMICT, 0, 10);
	assert_int_equal(x2apic_next_event(a), X2APIC_MIN_PERIOD_NS);
	/* one-shot timers are not clamped */
	wr(a, LVTT, 0, 0x42);
	wr(a, TMICT, 0, 10);
	assert_int_equal(x2apic_next_event(a), 10);
}

static void masked_timer_expiresWithoutInterrupt(void **state)
{
	struct x2apic *a = *state;

	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, MASKED | 0x43);
	wr(a, TDCR, 0, DIV1);
	wr(a, TMICT, 0, 50);
	x2apic_update(a, 60);
	assert_int_equal(x2apic_pending_vector(a), -1);
	assert_int_equal(x2apic_next_event(a), 0);
}

static void divide_changeRescalesTimeLeft(void **state)
{
	struct x2apic *a = *state;

	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, 0x44);
	wr(a, TDCR, 0, DIV1);
	wr(a, TMICT, 0, 1000);
	wr(a, TDCR, 400, DIV2); /* 600 counts left, now 2 ns each */
	assert_int_equal(x2apic_next_event(a), 1600);
	assert_int_equal(rd(a, TMCCT, 400), 600);
	assert_int_equal(rd(a, TDCR, 400), DIV2);
	wr(a, TDCR, 400, 0xff); /* reserved bits drop */
	assert_int_equal(rd(a, TDCR, 400), 0xb);
}

static void divide_allEncodings(void **state)
{
	struct x2apic *a = *state;
	static const struct { uint32_t dcr; uint64_t div; } d[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};

	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, 0x45);
	for (unsigned i = 0; i < 8; i++) {
		wr(a, TDCR, 0, d[i].dcr);
		wr(a, TMICT, 0, 100);
		assert_int_equal(x2apic_next_event(a), 100 * d[i].div);
	}
}

static void tscFrequency_scalesDeadline(void **state)
{
	struct x2apic *a = *state;

	x2apic_init(a, 2500000); /* 2.5 GHz: 2.5 ticks per bus ns */
	wr(a, SVR, 0, 0x1ff);
	wr(a, LVTT, 0, 0x46);
	wr(a, TDCR, 0, DIV1);
	wr(a, TMICT, 1000, 1000);
	assert_int_equal(x2apic_next_event(a), 1000 + 2500);
	assert_int_equal(rd(a, TMCCT, 1000 + 1250), 500);
}

static void tpr_andIsr_gateDelivery(void **state)
{
	struct x2apic *a = *state;

	wr(a, SVR, 0, 0x1ff);
	wr(a, SELF_IPI, 0, 0x35);
	wr(a, TPR, 0, 0x30);
	assert_int_equal(x2apic_pending_vector(a), -1);
	assert_int_equal(rd(a, PPR, 0), 0x30);
	wr(a, TPR, 0, 0x2f);
	assert_int_equal(x2apic_pending_vector(a), 0x35);
	wr(a, TPR, 0, 0);
	wr(a, SELF_IPI, 0, 0x60);
	wr(a, SELF_IPI, 0, 0x50);
	assert_int_equal(x2apic_pending_vector(a), 0x60);
	x2apic_ack(a, 0x60);
	assert_int_equal(x2apic_pending_vector(a), -1); /* 0x50 below ISR */
	assert_int_equal(rd(a, PPR, 0), 0x60);
	wr(a, SELF_IPI, 0, 0x70); /* higher class preempts */
	assert_int_equal(x2apic_pending_vector(a), 0x70);
	wr(a, EOI, 0, 0);
	assert_int_equal(x2apic_pending_vector(a), 0x70);
	x2apic_ack(a, 0x70);
	wr(a, EOI, 0, 0);
	assert_int_equal(x2apic_pending_vector(a), 0x50);
}

static void ipi_selfPaths_andDropped(void **state)
{
	struct x2apic *a = *state;

	wr(a, SVR, 0, 0x1ff);
	wr(a, ICR, 0, (1ull << 18) | 0x81);	/* shorthand self */
	irr_has(a, 0x81, 0, true);
	wr(a, ICR, 0, 0x82);			/* physical dest 0 */
	irr_has(a, 0x82, 0, true);
	wr(a, ICR, 0, (1ull << 32) | 0x83);	/* dest 1: nobody */
	irr_has(a, 0x83, 0, false);
	wr(a, ICR, 0, (3ull << 18) | 0x84);	/* all but self */
	irr_has(a, 0x84, 0, false);
	wr(a, ICR, 0, (1ull << 32) | (1ull << 11) | 0x85); /* logical, LDR 1 */
	irr_has(a, 0x85, 0, true);
	wr(a, ICR, 0, (1ull << 18) | (4u << 8) | 0x86); /* NMI: not modelled */
	irr_has(a, 0x86, 0, false);
	assert_int_equal(rd(a, ICR, 0), (1ull << 18) | (4u << 8) | 0x86);
	wr(a, SELF_IPI, 0, 0x0f);		/* illegal vector */
	irr_has(a, 0x0f, 0, false);
	wr(a, SELF_IPI, 0, 0x1f0);		/* bits above 7 ignored */
	irr_has(a, 0xf0, 0, true);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, apic_setup, apic_teardown)
	const struct CMUnitTest tests[] = {
		T(reset_registersAndFaults),
		T(svr_disabled_forcesLvtMasked),
		T(oneShot_firesOnceAtDeadline),
		T(periodic_rearmsAndCoalesces),
		T(periodic_shortPeriod_clampedLikeKvm),
		T(masked_timer_expiresWithoutInterrupt),
		T(divide_changeRescalesTimeLeft),
		T(divide_allEncodings),
		T(tscFrequency_scalesDeadline),
		T(tpr_andIsr_gateDelivery),
		T(ipi_selfPaths_andDropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
