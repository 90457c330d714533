/*
 * target.h - what a matrix column runs on: an in-process engine from
 * engine_table, or a peer (qemu-tcg, qemu-kvm, native) driven as an
 * external process. The harness treats both the same way: resolve a name,
 * probe (usable here? if not, why), run cells (cell.h).
 */
#ifndef VMB_TARGET_H
#define VMB_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

enum target_kind {
	TARGET_ENGINE,
	TARGET_QEMU_TCG,
	TARGET_QEMU_KVM,
	TARGET_NATIVE,
};

#define TARGET_WHY 512

struct target {
	char name[32];
	enum target_kind kind;
	const struct engine_ops *ops; /* TARGET_ENGINE only */
	const char *technique;
	bool usable;
	char why[TARGET_WHY];	/* why not usable */
	/* qemu-kvm on a KVM/PVM host (set by target_probe): the guest needs
	 * its PVM assist and the VMCALL workload cannot run. */
	bool pvm_host;
};

/*
 * Resolve (name) into (t) (not probed yet). Returns 0, or -1 with (err):
 * an engine the design names (interp, bt, kvm) that is not registered in
 * this build is "not implemented", anything else "unknown".
 */
int target_resolve(const char *name, struct target *t, char *err,
		   size_t errlen);

/* Fill t->usable / t->why. Peers also need the guest image or binary. */
void target_probe(struct target *t);

/*
 * All targets: registered engines in table order, then the peers, each
 * probed. Returns how many were written to (out) (at most max).
 */
unsigned target_list_all(struct target *out, unsigned max);

/* True when (t) has in-process engine counters (trap taxonomy, ROI). */
bool target_has_engine_counters(const struct target *t);

#endif /* VMB_TARGET_H */
