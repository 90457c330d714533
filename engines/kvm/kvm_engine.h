/*
 * kvm_engine.h - private state of the kvm engine (engine.h's e->priv).
 *
 * One vCPU on libkvm, over the machine's memfd RAM as memory slot 0, with
 * the in-kernel LAPIC (x2APIC mode) when the host has an irqchip. Files:
 * kvm_engine.c (create/destroy/describe/probe), kvm_run.c (the exit loop
 * and the time limit), kvm_counters.c (exits and KVM statistics onto the
 * trap taxonomy), pvm.c (PVM accommodations), kvm_state.c (register
 * conversion).
 */
#ifndef VMB_KVM_ENGINE_H
#define VMB_KVM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine.h"
#include "kvm/kvm_backend.h"
#include "kvm/libkvm/libkvm.h"
#include "kvm/pvm.h"

/* User-space exits are counted per KVM exit reason below this bound. */
#define KVM_ENGINE_EXIT_REASONS 48

enum kvm_irqchip_mode {
	KVM_IRQCHIP_NONE,
	KVM_IRQCHIP_KERNEL,	/* KVM_CREATE_IRQCHIP */
	KVM_IRQCHIP_SPLIT,	/* KVM_CAP_SPLIT_IRQCHIP: LAPIC only */
};

struct kvm_engine {
	struct machine *m;
	struct kvm_vm vm;
	struct kvm_vcpu vcpu;
	struct kvm_backend backend;
	enum kvm_irqchip_mode irqchip;
	bool x2apic;		/* guest APIC base has x2APIC enabled */
	bool emul_fail_exit;	/* KVM_CAP_EXIT_ON_EMULATION_FAILURE on */
	char host_pages[32];	/* "4k", "2m" */

	/* Binary statistics, parsed at create. */
	struct kvm_stats vm_stats, vcpu_stats;
	bool vm_stats_ok, vcpu_stats_ok;
	int vcpu_insn_emulation; /* index of insn_emulation, -1 if none */

	/* Exits that reached user space. */
	uint64_t user_exits[KVM_ENGINE_EXIT_REASONS];
	struct trap_counters user_traps;

	struct pvm pvm;

	/* Kick timer (time limit and PVM watchdog), armed during run(). */
	timer_t timer;
	bool timer_ok;
};

extern const struct engine_ops kvm_engine_ops;

/* run() of the engine ops (kvm_run.c). */
int kvm_engine_run(struct engine *e, struct run_exit *x);

/* counters() of the engine ops (kvm_counters.c). */
void kvm_engine_counters(struct engine *e, struct engine_counters *out);

/*
 * snapshot()/restore() of the engine ops (kvm_snapshot.c), in the shared
 * format (machine/snapshot.h); both need the in-kernel x2APIC. What
 * crosses exactly: registers, segment caches, control registers, the MSRs
 * of struct x86_state, RAM, the LAPIC registers (TPR, SVR, LVTs, ICR,
 * TMICT, TDCR, ISR, IRR), halted, the STI/MOV-SS shadow. The guest TSC
 * keeps its offset from the host TSC (KVM_VCPU_TSC_OFFSET where the kernel
 * has it, else an IA32_TSC write: off by the write's latency); where the
 * offset does not take (PVM: guest code runs on the host TSC) a blob with
 * a non-zero offset is refused, after RAM was loaded. The APIC
 * timer's time left goes through KVM's current count (TMCCT, 1 ns bus
 * ticks times the divider), so the next expiry after a restore is late by
 * at most one count plus the ioctl's latency; a periodic timer's later
 * periods are TMICT again. Not carried: a one-shot timer that has fired
 * reads TMICT 0 after a restore into kvm (a non-zero TMICT would rearm
 * it); an expiry KVM had not yet moved into IRR when the snapshot was
 * taken is lost (KVM_GET_LAPIC does not show it); a snapshot with an
 * exception, NMI or interrupt in the middle of injection is refused.
 * restore drops KVM's shadow pages by re-adding the RAM memory slot.
 */
int kvm_engine_snapshot(struct engine *e, void **blob, size_t *len,
			char *err, size_t errlen);
int kvm_engine_restore(struct engine *e, const void *blob, size_t len,
		       char *err, size_t errlen);

/* Read the insn_emulation statistic now (0 when unavailable). */
uint64_t kvm_engine_emulations(struct kvm_engine *k);

/* Install the kick signal handler once per process; 0 or -errno. */
int kvm_kick_signal_install(void);

#endif /* VMB_KVM_ENGINE_H */
