/*
 * bt_fast.h - sensitive instructions the dispatcher carries out itself,
 * without a monitor call: SYSCALL and SYSRETQ, the two halves of every
 * system call; INT n and IRETQ, the two halves of every software
 * interrupt and exception return; INVLPG and MOV to CR3. Their effect is
 * the interpreter's (engines/interp/intr.c op_syscall / op_sysret /
 * deliver_one / op_iretq, with the segment caches and checks of
 * interp/seg.c; system.c op_invlpg and cr_write, whose TLB flush and
 * count the monitor does through v->invlpg_hook / v->cr3_hook); every
 * case the interpreter would fault on (#UD, #GP, #NP, #SS, #TS, #PF,
 * non-canonical addresses) or that is unusual (TF, NT, a delivery into
 * an exception vector, a return to a non-canonical RIP, MMIO) is left to
 * the monitor, which raises it. Guest memory (IDT, GDT, TSS, the stack
 * frame) is read and written through bt_gmem (page walks with A/D as
 * the interpreter's); a path that gives up part way has made only the
 * accesses the interpreter then makes again, in the same order.
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
	BT_FAST_INT,		/* CD ib (mem.disp = the vector) */
	BT_FAST_IRETQ,		/* 48 CF */
	BT_FAST_MOV_CR3,	/* 0F 22 /3 from a GPR (mem.base), CPL0
				 * blocks */
	BT_FAST_EXCEPTION,	/* not an instruction: bt_fast_exception() */
	BT_FAST_NR
};

/* Counter names, "bt_fast_<name>" (bt_counters.c). */
extern const char *const bt_fast_kind_names[BT_FAST_NR];

/*
 * Carry out (kind), (len) bytes long, at v->rip with the state in (v):
 * registers, flags, CS/SS, CR3 and CPL change as the CPU does, RIP moves
 * on and the instruction is counted (INT n is not: the interpreter does
 * not count an instruction that raises an event). Returns false,
 * changing nothing the monitor would not change the same way, when the
 * monitor must do it instead: a fault to raise, an exact instruction
 * limit due, or an interrupt that may be deliverable afterwards
 * (v->irq_pending and IF set by the instruction). An INVLPG or MOV to
 * CR3 whose shadow update failed returns true with v->fast_failed set.
 */
bool bt_fast_run(struct bt_vcpu *v, enum bt_fast_kind kind, unsigned len,
		 const struct bt_fast_mem *mem);

/*
 * Deliver the exception of (stop) (a BT_STOP_EXCEPTION from
 * bt_exec_run(), v->rip at the faulting instruction) through the guest
 * IDT as the interpreter's intr_deliver_pending() does when the delivery
 * itself does not fault: the frame with the error code, CR2 for a #PF.
 * The exception is counted by bt_exec_run() already. Returns false,
 * changing nothing the monitor would not change the same way, when the
 * monitor must deliver it (any fault while delivering, which may become
 * #DF; TF; anything the INT n path leaves to it). The caller must not
 * call it when an exact instruction limit has been reached (the monitor
 * delivers nothing then).
 */
bool bt_fast_exception(struct bt_vcpu *v, const struct bt_stop *stop);

#endif /* VMB_BT_FAST_H */
