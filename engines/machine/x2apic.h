/*
 * x2apic.h - the local APIC in x2APIC mode, as a device model for engines
 * that do not have an in-kernel one (interp, bt; kvm uses KVM's).
 *
 * Registers are reached through MSRs 0x800-0x8ff. The model implements what
 * the guest needs: ID, version, TPR, EOI, SVR, the LVT timer (one-shot and
 * periodic; TSC-deadline is not advertised), initial/current count, divide
 * configuration, ISR/IRR for the timer vector and self-IPI. Time is passed
 * in explicitly as host TSC ticks (now), so the model has no clock of its
 * own and is testable. The timer counts at the machine's APIC bus clock,
 * X2APIC_BUS_HZ (1 GHz, KVM's choice), divided by the divide configuration.
 *
 * Where the SDM leaves room, the model does what KVM's in-kernel APIC
 * does, so a guest sees the same on every engine: LVT writes keep only
 * the defined bits (no #GP), LVTs are forced masked while SVR bit 8 is
 * clear, a periodic timer period is at least X2APIC_MIN_PERIOD_NS (KVM's
 * min_timer_period_us default), changing the divider rescales the time
 * left, and the version register reads 0x00050014 (6 LVTs, no directed EOI).
 */
#ifndef VMB_X2APIC_H
#define VMB_X2APIC_H

#include <stdbool.h>
#include <stdint.h>

#define X2APIC_BUS_HZ 1000000000ull
#define X2APIC_MIN_PERIOD_NS 200000ull

struct x2apic {
	uint64_t tsc_khz;	/* converts TSC ticks to bus ticks */
	uint32_t tpr, svr, lvt_timer, lvt_lint0, lvt_lint1, lvt_error;
	uint32_t lvt_thermal, lvt_perf;
	uint64_t icr;		/* last ICR write (delivery status always 0) */
	uint32_t initial_count, divide_config;
	uint64_t timer_start;	/* TSC at the last (re)arm */
	uint64_t timer_deadline; /* TSC of the next expiry, 0 = disarmed */
	uint32_t irr[8], isr[8]; /* 256 vectors */
	uint64_t timer_fires;	/* for counters */
};

/* Reset (apic) to power-on state for a machine whose TSC runs at (tsc_khz)
 * (0 is taken as 1 GHz): SVR 0xff (software-disabled), every LVT masked,
 * timer disarmed, IRR/ISR empty. */
void x2apic_init(struct x2apic *apic, uint64_t tsc_khz);

/*
 * RDMSR/WRMSR of an x2APIC register at time (now). Return 0, or -1 when the
 * access must raise #GP in the guest (reserved register, read of a
 * write-only register, reserved bits set).
 */
int x2apic_msr_read(struct x2apic *apic, uint32_t msr, uint64_t now,
		    uint64_t *val);
int x2apic_msr_write(struct x2apic *apic, uint32_t msr, uint64_t now,
		     uint64_t val);

/* Advance the timer to (now): latch expiries into IRR, re-arm if periodic. */
void x2apic_update(struct x2apic *apic, uint64_t now);

/*
 * The highest-priority pending vector deliverable now (above ISR and TPR),
 * or -1. The engine checks it at instruction-block boundaries when IF=1.
 */
int x2apic_pending_vector(const struct x2apic *apic);

/* The guest accepted (vector): move it from IRR to ISR. */
void x2apic_ack(struct x2apic *apic, int vector);

/* TSC of the next timer event, or 0 when none (HLT sleeps until then). */
uint64_t x2apic_next_event(const struct x2apic *apic);

#endif /* VMB_X2APIC_H */
