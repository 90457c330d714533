/*
 * bt_fast.h - sensitive instructions the dispatcher carries out itself,
 * without a monitor call: SYSCALL and SYSRETQ, the two halves of every
 * system call, and INVLPG. Their effect is the interpreter's
 * (engines/interp/intr.c op_syscall / op_sysret, with the same segment
 * caches from interp/seg.h; system.c op_invlpg, whose TLB flush and
 * count the monitor does through v->invlpg_hook); every case the
 * interpreter would fault on (#UD, #GP) or not support is left to the
 * monitor, which raises it.
 */
#ifndef VMB_BT_FAST_H
#define VMB_BT_FAST_H

#include <stdbool.h>

#include "bt/bt_exec.h"

enum bt_fast_kind {
	BT_FAST_NONE,
	BT_FAST_SYSCALL,	/* 0F 05 */
	BT_FAST_SYSRETQ,	/* 48 0F 07 */
	BT_FAST_INVLPG,		/* 0F 01 /7, 64-bit address, CPL0 blocks */
	BT_FAST_NR
};

/*
 * Carry out (kind), (len) bytes long, at v->rip with the state in (v):
 * registers, flags, CS/SS and CPL change as the CPU does, RIP moves on
 * and the instruction is counted. Returns false, changing nothing, when
 * the monitor must do it instead: a fault to raise, an exact instruction
 * limit due, or an interrupt that may be deliverable afterwards
 * (v->irq_pending and IF set by the instruction).
 */
bool bt_fast_run(struct bt_vcpu *v, enum bt_fast_kind kind, unsigned len,
		 const struct bt_fast_mem *mem);

#endif /* VMB_BT_FAST_H */
