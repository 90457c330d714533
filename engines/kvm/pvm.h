/*
 * pvm.h - every accommodation the kvm engine makes for the PVM backend.
 *
 * PVM (module kvm_pvm) runs guest CPL3 code natively and emulates guest
 * CPL0 code instruction by instruction in KVM's emulator. Most of a normal
 * long-mode kernel works; what does not (measured, docs/kvm-pvm.md):
 *   - INT n / INT3 at CPL0: KVM_EXIT_INTERNAL_ERROR (emulation failure,
 *     instruction bytes in the exit). The VMM delivers it through the
 *     guest IDT itself (pvm_internal_error_handle).
 *   - SYSCALL from CPL3 jumps to LSTAR but stays at CPL3, and INT n from
 *     CPL3 raises #UD: neither reaches the VMM. The guest completes them
 *     when boot_info.flags has VMB_BOOT_F_PVM_ASSIST (set by pvm_setup);
 *     the guest counts each use in boot_info (read by pvm_counters_add).
 *   - VMCALL livelocks inside KVM (re-emulated forever, RIP never moves,
 *     KVM_RUN never returns). A watchdog kicks KVM_RUN periodically and
 *     pvm_watchdog_check() turns a VMCALL that has not advanced into
 *     RUN_EXIT_UNSUPPORTED_ON_BACKEND.
 * Nothing here is active on VMX or SVM: the engine calls these only when
 * the backend is KVM_BACKEND_PVM and pvm.active is set.
 */
#ifndef VMB_KVM_PVM_H
#define VMB_KVM_PVM_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "kvm/libkvm/libkvm.h"

/* How often the watchdog kicks KVM_RUN on PVM to look for a livelock. */
#define PVM_WATCHDOG_MS 50

struct pvm {
	bool active;		/* backend is PVM and accommodations are on */
	bool assist;		/* VMB_BOOT_F_PVM_ASSIST was given to the guest */
	/* Uses, each reported as an engine stat "pvm_<name>". */
	uint64_t int_emulated;	/* INT n / INT3 at CPL0 delivered by the VMM */
	uint64_t watchdog_kicks; /* KVM_RUN interrupted by the watchdog */
	uint64_t vmcall_refused; /* VMCALL livelocks turned into a result */
	/* Watchdog memory: RIP and emulation count at the previous kick. */
	uint64_t last_rip;
	uint64_t last_emulations;
	unsigned same_rip_kicks;
};

/*
 * Turn the accommodations on for machine (m): set VMB_BOOT_F_PVM_ASSIST in
 * the boot_info already written to guest RAM (unless (assist) is false).
 */
void pvm_setup(struct pvm *p, struct machine *m, bool assist);

/*
 * A KVM_EXIT_INTERNAL_ERROR arrived. If it is an emulation failure on
 * INT n / INT3 at CPL0, deliver the interrupt through the guest's IDT
 * (push SS, RSP, RFLAGS, CS, RIP on the current or IST stack, clear TF/NT/
 * RF and IF for an interrupt gate, load CS:RIP from the gate) and return
 * 1. Return 0 when the exit is something else (the caller reports it), -1
 * when the delivery itself failed (x->message says why).
 */
int pvm_internal_error_handle(struct pvm *p, struct kvm_vcpu *vcpu,
			      struct machine *m, struct run_exit *x);

/*
 * The watchdog kicked KVM_RUN. (emulations) is the vCPU's insn_emulation
 * statistic. Returns 1 with (x) filled when the vCPU is stuck on a VMCALL
 * (same RIP, emulation count racing, bytes 0f 01 c1), else 0; -1 when the
 * state could not be read.
 */
int pvm_watchdog_check(struct pvm *p, struct kvm_vcpu *vcpu,
		       struct machine *m, uint64_t emulations,
		       struct run_exit *x);

/*
 * Refuse up front what cannot run on PVM: a command line asking for the
 * hypercall workload ("bench=hypercall") would only reach the livelock.
 * Returns 1 with (x) filled (RUN_EXIT_UNSUPPORTED_ON_BACKEND), else 0.
 */
int pvm_cmdline_check(struct pvm *p, const char *cmdline, struct run_exit *x);

/* Append the "pvm_*" use counts (and the guest's own counts from
 * boot_info when assisted) to (c). */
void pvm_counters_add(const struct pvm *p, struct machine *m,
		      struct engine_counters *c);

#endif /* VMB_KVM_PVM_H */
