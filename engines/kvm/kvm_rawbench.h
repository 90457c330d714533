/*
 * kvm_rawbench.h - the world-switch lower bound: tiny guests that loop on
 * one exiting instruction while the VMM re-enters at once, so the cost per
 * iteration is the cheapest exit this host's KVM can do. Plus the same
 * dec/jnz loop at CPL0, at CPL3 and as a host process, for the loop's own
 * cost and the compute slowdown of each privilege level.
 *
 * Runs on kvm_tiny (no machine model, no device dispatch): the VMM's work
 * per user-space exit is one switch on the exit reason.
 */
#ifndef VMB_KVM_RAWBENCH_H
#define VMB_KVM_RAWBENCH_H

#include <stddef.h>
#include <stdint.h>

enum kvm_raw_kind {
	KVM_RAW_PIO,		/* OUT to port 0x504 at CPL0: user-space exit */
	KVM_RAW_MMIO,		/* 32-bit store to the MMIO page at CPL0 */
	KVM_RAW_CPUID,		/* CPUID at CPL0: handled inside KVM */
	KVM_RAW_VMCALL,		/* VMCALL at CPL0: inside KVM (never on PVM) */
	KVM_RAW_LOOP_CPL0,	/* dec/jnz at CPL0, no exit */
	KVM_RAW_LOOP_CPL3,	/* dec/jnz at CPL3, no exit */
	KVM_RAW_LOOP_HOST,	/* dec/jnz as a host process */
	KVM_RAW_NR
};

/* Stable name: "pio", "mmio", "cpuid", "vmcall", "loop_cpl0",
 * "loop_cpl3", "loop_host". */
const char *kvm_raw_kind_name(enum kvm_raw_kind kind);

/*
 * Run (kind) for (iters) iterations, (reps) times, after one warm-up rep;
 * ns[i] = wall nanoseconds per iteration of rep i. Returns 0, or -1 with
 * (err) naming the failing step or the unexpected exit. The caller must
 * not ask for KVM_RAW_VMCALL on PVM: it livelocks there (docs/kvm-pvm.md).
 */
int kvm_rawbench_run(enum kvm_raw_kind kind, uint64_t iters, unsigned reps,
		     double *ns, char *err, size_t errlen);

#endif /* VMB_KVM_RAWBENCH_H */
