/*
 * snapshot.h - the whole VM state as one blob: vCPU, local APIC, RAM.
 *
 * One format for every engine that keeps its vCPU state in user space
 * (interp, bt), so a snapshot taken by one can be restored into another:
 * boot or run to a point on one engine, continue on the other. kvm
 * converts KVM's vCPU and LAPIC state to and from it (kvm/kvm_snapshot.c).
 *
 * Between runs, the machine's state is: the architectural state (struct
 * x86_state, arithmetic flags materialised), the x2APIC model, whether
 * the vCPU is halted or in an STI/MOV-SS shadow, and guest RAM. Devices
 * keep no state of their own (devices.c) and the console capture is the
 * harness's record, not guest state, so neither is saved.
 *
 * Time: a restored guest continues as a paused VM would. Its TSC keeps
 * the saved offset from the host TSC (so it has moved on by the time the
 * VM was not running), and the APIC timer keeps the time it had left
 * when the snapshot was taken (its start and deadline are moved by the
 * pause). The TSC frequency must match: the guest was told it at boot.
 *
 * The blob is a header, the x86_state and x2apic structs as laid out by
 * this build, a bitmap of the RAM pages that are not all zero and those
 * pages, then a 64-bit FNV-1a hash of everything before it. It is meant
 * for the same build on the same host; the header records the struct
 * sizes and the RAM size, and a blob that does not match is refused with
 * the reason, as is a corrupted or truncated one.
 */
#ifndef VMB_SNAPSHOT_H
#define VMB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"
#include "machine/x2apic.h"
#include "machine/x86_state.h"

#define SNAPSHOT_VERSION 1

/* The vCPU half of a snapshot, as an engine hands it over. */
struct snapshot_cpu {
	struct x86_state s;	/* arithmetic flags materialised in rflags */
	struct x2apic apic;
	bool halted;		/* stopped in HLT, waiting for an interrupt */
	bool sti_shadow;	/* interrupts blocked for one more instruction */
};

/*
 * Save (cpu) and the RAM of (m), at host TSC (now), into a new malloc'd
 * blob (*blob, *len; the caller frees it). The engine must be between
 * runs. Returns 0, or -1 with (err) set (out of memory).
 */
int snapshot_save(const struct machine *m, const struct snapshot_cpu *cpu,
		  uint64_t now, void **blob, size_t *len, char *err,
		  size_t errlen);

/*
 * Check (blob) completely, then load its RAM into (m) and its vCPU state
 * into (cpu), with the APIC timer moved to host TSC (now). Also clears
 * the machine's exit request (the restored guest has not exited).
 * Returns 0, or -1 with (err) naming what is wrong (not a snapshot,
 * other version or build, RAM size or TSC frequency differs, truncated,
 * corrupted); (m) and (cpu) are untouched then.
 */
int snapshot_load(struct machine *m, const void *blob, size_t len,
		  uint64_t now, struct snapshot_cpu *cpu, char *err,
		  size_t errlen);

#endif /* VMB_SNAPSHOT_H */
