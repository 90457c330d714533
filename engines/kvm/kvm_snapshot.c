/*
 * kvm_snapshot.c - engine_ops.snapshot/restore of the kvm engine, in the
 * shared blob format (machine/snapshot.h; see kvm_engine.h for what is
 * exact and what is not).
 *
 * The vCPU's state is read and written through KVM: registers (kvm_state.c),
 * the in-kernel LAPIC's register page (converted to and from struct
 * x2apic here), the MP state (halted), the vCPU events (interrupt shadow)
 * and the TSC offset. RAM is the memfd KVM maps as memory slot 0, so
 * snapshot_load() writes it directly; the slot is then deleted and added
 * again so KVM drops every shadow page built from the old page tables.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

#include "kvm/kvm_engine.h"
#include "kvm/kvm_state.h"
#include "machine/snapshot.h"

/* The xAPIC register page layout KVM_GET/SET_LAPIC use (x2APIC MSR
 * 0x800 + n is at offset n << 4). */
#define LAPIC_TPR 0x080
#define LAPIC_SVR 0x0f0
#define LAPIC_ISR 0x100
#define LAPIC_IRR 0x200
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TMICT 0x380
#define LAPIC_TMCCT 0x390
#define LAPIC_TDCR 0x3e0
#define LVT_TIMER_PERIODIC (1u << 17)

static uint32_t lapic_reg(const struct kvm_lapic_state *l, unsigned off)
{
	uint32_t v;

	memcpy(&v, &l->regs[off], sizeof(v));
	return v;
}

static void lapic_reg_set(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
	memcpy(&l->regs[off], &v, sizeof(v));
}

/* The divide configuration as a divisor (SDM: 011b = 1, else 2^(v+1)). */
static uint64_t tdcr_divisor(uint32_t tdcr)
{
	uint32_t v = ((tdcr & 8) >> 1) | (tdcr & 3);

	return 1ull << ((v + 1) & 7);
}

static uint64_t ns_to_tsc(uint64_t ns, uint64_t tsc_khz)
{
	return (uint64_t)((unsigned __int128)ns * tsc_khz / 1000000);
}

static uint64_t tsc_to_ns(uint64_t tsc, uint64_t tsc_khz)
{
	return (uint64_t)((unsigned __int128)tsc * 1000000 / tsc_khz);
}

/* One timer period in ns as KVM computes it (bus 1 GHz, periodic at
 * least X2APIC_MIN_PERIOD_NS, as the model does). */
static uint64_t timer_period_ns(uint32_t tmict, uint32_t tdcr, uint32_t lvt)
{
	uint64_t ns = (uint64_t)tmict * tdcr_divisor(tdcr);

	if ((lvt & LVT_TIMER_PERIODIC) && ns && ns < X2APIC_MIN_PERIOD_NS)
		ns = X2APIC_MIN_PERIOD_NS;
	return ns;
}

/* KVM's LAPIC page, read at host TSC (now), as the machine's model. */
static void lapic_to_x2apic(const struct kvm_lapic_state *l, uint64_t now,
			    uint64_t tsc_khz, struct x2apic *a)
{
	uint32_t tmcct = lapic_reg(l, LAPIC_TMCCT);
	uint64_t period;

	x2apic_init(a, tsc_khz);
	a->tpr = lapic_reg(l, LAPIC_TPR);
	a->svr = lapic_reg(l, LAPIC_SVR);
	a->lvt_timer = lapic_reg(l, LAPIC_LVT_TIMER);
	a->lvt_thermal = lapic_reg(l, LAPIC_LVT_THERMAL);
	a->lvt_perf = lapic_reg(l, LAPIC_LVT_PERF);
	a->lvt_lint0 = lapic_reg(l, LAPIC_LVT_LINT0);
	a->lvt_lint1 = lapic_reg(l, LAPIC_LVT_LINT1);
	a->lvt_error = lapic_reg(l, LAPIC_LVT_ERROR);
	a->icr = (uint64_t)lapic_reg(l, LAPIC_ICR_HI) << 32 |
		 lapic_reg(l, LAPIC_ICR_LO);
	a->initial_count = lapic_reg(l, LAPIC_TMICT);
	a->divide_config = lapic_reg(l, LAPIC_TDCR) & 0xb;
	for (unsigned i = 0; i < 8; i++) {
		a->isr[i] = lapic_reg(l, LAPIC_ISR + 0x10 * i);
		a->irr[i] = lapic_reg(l, LAPIC_IRR + 0x10 * i);
	}
	a->timer_start = a->timer_deadline = 0;
	if (!a->initial_count)
		return;
	period = timer_period_ns(a->initial_count, a->divide_config,
				 a->lvt_timer);
	if (tmcct)
		a->timer_deadline = now + ns_to_tsc((uint64_t)tmcct *
						    tdcr_divisor(a->divide_config),
						    tsc_khz);
	else if (a->lvt_timer & LVT_TIMER_PERIODIC)
		a->timer_deadline = now;	/* at the end of a period */
	else
		return;			/* one-shot that has fired */
	if (!a->timer_deadline)
		a->timer_deadline = 1;
	a->timer_start = a->timer_deadline - ns_to_tsc(period, tsc_khz);
}

/*
 * The model's state into (l) (KVM_GET_LAPIC output: ID and the rest kept),
 * at host TSC (now). KVM_SET_LAPIC restarts the timer from TMCCT with TMICT
 * as the period, so TMCCT carries the time left, rounded up to a count.
 */
static void x2apic_to_lapic(const struct x2apic *a, uint64_t now,
			    uint64_t tsc_khz, struct kvm_lapic_state *l)
{
	uint64_t div = tdcr_divisor(a->divide_config), left, count = 0;
	uint32_t tmict = a->initial_count;

	lapic_reg_set(l, LAPIC_TPR, a->tpr);
	lapic_reg_set(l, LAPIC_SVR, a->svr);
	lapic_reg_set(l, LAPIC_LVT_TIMER, a->lvt_timer);
	lapic_reg_set(l, LAPIC_LVT_THERMAL, a->lvt_thermal);
	lapic_reg_set(l, LAPIC_LVT_PERF, a->lvt_perf);
	lapic_reg_set(l, LAPIC_LVT_LINT0, a->lvt_lint0);
	lapic_reg_set(l, LAPIC_LVT_LINT1, a->lvt_lint1);
	lapic_reg_set(l, LAPIC_LVT_ERROR, a->lvt_error);
	lapic_reg_set(l, LAPIC_ICR_LO, (uint32_t)a->icr);
	lapic_reg_set(l, LAPIC_ICR_HI, (uint32_t)(a->icr >> 32));
	lapic_reg_set(l, LAPIC_TDCR, a->divide_config);
	for (unsigned i = 0; i < 8; i++) {
		lapic_reg_set(l, LAPIC_ISR + 0x10 * i, a->isr[i]);
		lapic_reg_set(l, LAPIC_IRR + 0x10 * i, a->irr[i]);
		/* all edge-triggered: the model has no level interrupts */
		lapic_reg_set(l, 0x180 + 0x10 * i, 0);
	}
	if (tmict && a->timer_deadline) {
		left = a->timer_deadline > now ?
		       tsc_to_ns(a->timer_deadline - now, tsc_khz) : 0;
		count = (left + div - 1) / div;
		if (!count)
			count = 1;	/* due now: fires at once */
		if (count > tmict)
			count = tmict;
	} else if (!(a->lvt_timer & LVT_TIMER_PERIODIC)) {
		/* A one-shot that has fired: a non-zero TMICT would make
		 * KVM_SET_LAPIC start it again. */
		tmict = 0;
	}
	lapic_reg_set(l, LAPIC_TMICT, tmict);
	lapic_reg_set(l, LAPIC_TMCCT, (uint32_t)count);
}

/* Finish what the last exit left pending in KVM (an IN's data, the RIP
 * step of an OUT): KVM_RUN with immediate_exit runs only that. */
static int vcpu_complete(struct kvm_engine *k, char *err, size_t errlen)
{
	int r;

	k->vcpu.run->immediate_exit = 1;
	r = kvm_vcpu_run(&k->vcpu);
	k->vcpu.run->immediate_exit = 0;
	if (r == -EINTR || r == 0)
		return 0;
	snprintf(err, errlen, "kvm: completing the last exit: %s", k->vcpu.err);
	return -1;
}

/* Guest TSC minus host TSC now. */
static int tsc_offset_get(struct kvm_engine *k, uint64_t *offset)
{
	uint64_t guest;
	int r;

	if (kvm_vcpu_tsc_offset_get(&k->vcpu, offset) == 0)
		return 0;
	r = kvm_vcpu_msr_get(&k->vcpu, X86_MSR_TSC, &guest);
	if (r == 0)
		*offset = guest - __rdtsc();
	return r;
}

/* Set the guest TSC to host TSC + (offset), and check that it took: PVM
 * runs guest code on the host's own TSC and accepts both ways of setting
 * it without effect. Within a millisecond counts as taken (the IA32_TSC
 * fallback is off by its write's latency). */
static int tsc_offset_set(struct kvm_engine *k, uint64_t offset, char *err,
			  size_t errlen)
{
	uint64_t guest;
	int64_t miss;

	if (kvm_vcpu_tsc_offset_set(&k->vcpu, offset) < 0 &&
	    kvm_vcpu_msr_set(&k->vcpu, X86_MSR_TSC, __rdtsc() + offset) < 0)
		goto fail;
	if (kvm_vcpu_msr_get(&k->vcpu, X86_MSR_TSC, &guest) < 0)
		goto fail;
	miss = (int64_t)(guest - __rdtsc() - offset);
	if (miss > (int64_t)k->m->tsc_khz || miss < -(int64_t)k->m->tsc_khz) {
		snprintf(err, errlen, "kvm: restore: the blob's guest TSC "
			 "offset %lld could not be set (the guest TSC is host "
			 "TSC %+lld: on PVM the guest runs on the host TSC); "
			 "RAM was loaded, restore another blob",
			 (long long)offset, (long long)(guest - __rdtsc()));
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "kvm: restore: %s", k->vcpu.err);
	return -1;
}

static int irqchip_check(struct kvm_engine *k, const char *what, char *err,
			 size_t errlen)
{
	if (k->irqchip != KVM_IRQCHIP_NONE && k->x2apic)
		return 0;
	snprintf(err, errlen, "kvm: cannot %s without the in-kernel x2APIC "
		 "(irqchip=none)", what);
	return -1;
}

/* The vCPU half of a snapshot, read from KVM. */
static int vcpu_read(struct kvm_engine *k, struct snapshot_cpu *sc,
		     char *err, size_t errlen)
{
	struct kvm_lapic_state l;
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp;
	uint64_t now;

	memset(sc, 0, sizeof(*sc));
	if (kvm_state_save(&k->vcpu, &sc->s) < 0 ||
	    tsc_offset_get(k, &sc->s.tsc_offset) < 0 ||
	    kvm_vcpu_mp_state_get(&k->vcpu, &mp) < 0 ||
	    kvm_vcpu_events_get(&k->vcpu, &ev) < 0 ||
	    kvm_vcpu_lapic_get(&k->vcpu, &l) < 0) {
		snprintf(err, errlen, "kvm: %s", k->vcpu.err);
		return -1;
	}
	now = __rdtsc();
	if (ev.exception.injected || ev.exception.pending ||
	    ev.interrupt.injected || ev.nmi.injected || ev.nmi.pending) {
		snprintf(err, errlen, "kvm: an event is in flight at the "
			 "snapshot (exception %s vector %u, interrupt %s vector "
			 "%u, NMI %s): the format cannot hold it; run on and "
			 "take the snapshot again",
			 ev.exception.injected ? "injected" :
			 ev.exception.pending ? "pending" : "none",
			 ev.exception.nr,
			 ev.interrupt.injected ? "injected" : "none",
			 ev.interrupt.nr,
			 ev.nmi.injected || ev.nmi.pending ? "yes" : "no");
		return -1;
	}
	if (mp.mp_state != KVM_MP_STATE_RUNNABLE &&
	    mp.mp_state != KVM_MP_STATE_HALTED) {
		snprintf(err, errlen, "kvm: vCPU in MP state %u: only "
			 "runnable or halted can be saved", mp.mp_state);
		return -1;
	}
	sc->halted = mp.mp_state == KVM_MP_STATE_HALTED;
	sc->sti_shadow = ev.interrupt.shadow != 0;
	lapic_to_x2apic(&l, now, k->m->tsc_khz, &sc->apic);
	return 0;
}

int kvm_engine_snapshot(struct engine *e, void **blob, size_t *len,
			char *err, size_t errlen)
{
	struct kvm_engine *k = e->priv;
	struct snapshot_cpu sc;

	*blob = NULL;
	if (irqchip_check(k, "take a snapshot", err, errlen) < 0 ||
	    vcpu_complete(k, err, errlen) < 0 ||
	    vcpu_read(k, &sc, err, errlen) < 0)
		return -1;
	return snapshot_save(e->m, &sc, __rdtsc(), blob, len, err, errlen);
}

/* Delete and re-add memory slot 0: KVM drops every shadow page and
 * mapping derived from the RAM the restore just overwrote. */
static int ram_remap(struct kvm_engine *k)
{
	struct machine *m = k->m;

	if (kvm_vm_memslot_set(&k->vm, 0, 0, 0, m->mem.host, 0) < 0)
		return -1;
	return kvm_vm_memslot_set(&k->vm, 0, 0, m->mem.size, m->mem.host, 0);
}

/* The vCPU half of a snapshot into KVM. */
static int vcpu_write(struct kvm_engine *k, const struct snapshot_cpu *sc,
		      char *err, size_t errlen)
{
	struct kvm_mp_state mp = {
		.mp_state = sc->halted ? KVM_MP_STATE_HALTED :
					 KVM_MP_STATE_RUNNABLE,
	};
	struct kvm_lapic_state l;
	struct kvm_vcpu_events ev;

	if (tsc_offset_set(k, sc->s.tsc_offset, err, errlen) < 0)
		return -1;
	if (kvm_state_load(&k->vcpu, &sc->s) < 0 ||
	    kvm_vcpu_lapic_get(&k->vcpu, &l) < 0)
		goto fail;
	x2apic_to_lapic(&sc->apic, __rdtsc(), k->m->tsc_khz, &l);
	if (kvm_vcpu_lapic_set(&k->vcpu, &l) < 0 ||
	    kvm_vcpu_events_get(&k->vcpu, &ev) < 0)
		goto fail;
	memset(&ev.exception, 0, sizeof(ev.exception));
	memset(&ev.interrupt, 0, sizeof(ev.interrupt));
	memset(&ev.nmi, 0, sizeof(ev.nmi));
	ev.interrupt.shadow = sc->sti_shadow ? KVM_X86_SHADOW_INT_STI : 0;
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_NMI_PENDING;
	if (kvm_vcpu_events_set(&k->vcpu, &ev) < 0 ||
	    kvm_vcpu_mp_state_set(&k->vcpu, &mp) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "kvm: restore: %s", k->vcpu.err);
	return -1;
}

int kvm_engine_restore(struct engine *e, const void *blob, size_t len,
		       char *err, size_t errlen)
{
	struct kvm_engine *k = e->priv;
	struct snapshot_cpu sc;

	if (irqchip_check(k, "restore", err, errlen) < 0)
		return -1;
	/* Whatever the last run left pending must not land on the new state. */
	if (vcpu_complete(k, err, errlen) < 0)
		return -1;
	if (snapshot_load(e->m, blob, len, __rdtsc(), &sc, err, errlen))
		return -1;
	if (ram_remap(k) < 0) {
		snprintf(err, errlen, "kvm: restore: %s", k->vm.err);
		return -1;
	}
	if (vcpu_write(k, &sc, err, errlen) < 0)
		return -1;
	k->pvm.last_rip = 0;
	k->pvm.last_emulations = 0;
	k->pvm.same_rip_kicks = 0;
	return 0;
}
