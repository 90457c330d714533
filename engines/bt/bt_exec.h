/*
 * bt_exec.h - running translated guest code until something needs the
 * monitor: the dispatcher, and the fault handling that makes faults in
 * translated code precise.
 *
 * A bt_vcpu owns the guest registers (ctx), RIP and CPL, the translation
 * cache, and uses a shadow (bt_shadow.h) for its windows. bt_exec_run()
 * looks up or translates the block at RIP, enters it with the GS base of
 * the CPL's window and follows exits until one needs a decision it cannot
 * make: an instruction for the monitor, a guest exception (#PF from a
 * shadow fault or from fetching code, #DE from a divide), an MMIO access,
 * or a limit. Guest state is then exactly that of the start of the guest
 * instruction named by stop->rip (for a fault: that instruction did not
 * run; for a monitor stop: it has not run yet).
 *
 * Host faults in translated code that neither the shadow nor the guest
 * explains stop the run with BT_STOP_ERROR and a message naming the host
 * address and guest RIP; faults outside translated code are passed on
 * (they are host bugs, and must crash loudly).
 */
#ifndef VMB_BT_EXEC_H
#define VMB_BT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/bt_cache.h"
#include "bt/bt_ctx.h"
#include "bt/bt_shadow.h"

enum bt_stop_kind {
	BT_STOP_MONITOR,	/* instruction at rip needs the monitor */
	BT_STOP_EXCEPTION,	/* deliver (vector, error, cr2) at rip */
	BT_STOP_MMIO,		/* instruction at rip touches device gpa */
	BT_STOP_LIMIT,		/* block budget used up (rip = next block) */
	BT_STOP_ERROR,		/* internal error: message */
};

struct bt_stop {
	enum bt_stop_kind kind;
	uint64_t rip;
	uint8_t vector;
	bool has_error;
	uint32_t error;
	uint64_t cr2;
	uint64_t gpa;
	char message[256];
};

struct bt_exec_counters {
	uint64_t blocks_run, translations, insns, monitor_exits;
	uint64_t branch_exits, indirect_exits, faults_in_code;
};

struct bt_vcpu {
	struct bt_ctx ctx;	/* stable address: emitted code points here */
	uint64_t rip;
	unsigned cpl;		/* 0 or 3: picks window and blocks */
	struct bt_shadow *sh;
	struct guest_mem *mem;
	struct bt_cache cache;
	struct bt_exec_counters cnt;

	/* filled by the fault handler when it takes over */
	struct bt_exit_rec fault_rec;
	struct bt_stop fault_stop;
};

/*
 * Set up (v) over (sh) (which must outlive it) with a code cache of
 * (code_bytes), install the fault handler and register the windows.
 * Registers start zeroed. Returns 0, or -1 with (err).
 */
int bt_vcpu_create(struct bt_vcpu *v, struct bt_shadow *sh,
		   size_t code_bytes, char *err, size_t errlen);

/* Unregister and free what bt_vcpu_create() made. */
void bt_vcpu_destroy(struct bt_vcpu *v);

/* Guest RFLAGS bits kept in ctx (arithmetic + DF); others are the
 * caller's. */
static inline uint64_t bt_vcpu_flags(const struct bt_vcpu *v)
{
	return v->ctx.rflags & BT_HOST_FLAGS;
}

/*
 * Run from v->rip at v->cpl for at most (max_blocks) block entries
 * (0 = unlimited). Returns with (stop) filled and v->rip = stop->rip.
 */
void bt_exec_run(struct bt_vcpu *v, uint64_t max_blocks, struct bt_stop *stop);

#endif /* VMB_BT_EXEC_H */
