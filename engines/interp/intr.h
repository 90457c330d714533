/*
 * intr.h - exception and interrupt delivery through the long-mode IDT.
 *
 * Delivery follows the SDM for 64-bit mode: the 16-byte gate (interrupt
 * or trap), the target code segment, a stack switch to TSS.RSPn when the
 * privilege rises or to TSS.ISTn when the gate names one, a 16-byte
 * aligned frame of SS, RSP, RFLAGS, CS, RIP and the error code, then
 * IF cleared for interrupt gates. A fault while delivering turns into #DF
 * (by the SDM's contributory/page-fault table) and a fault while
 * delivering #DF into a triple fault, which stops the run.
 */
#ifndef VMB_INTERP_INTR_H
#define VMB_INTERP_INTR_H

#include "interp/cpu.h"

/*
 * Deliver the exception pending in c->exc (raised by a handler with
 * c->s.rip at the faulting instruction). Returns OP_OK (the guest now
 * runs its handler) or OP_STOP (triple fault; c->exit filled).
 */
int intr_deliver_pending(struct cpu *c);

/* Deliver external interrupt (vector) (the x2APIC timer). Same returns. */
int intr_inject(struct cpu *c, unsigned vector);

#endif /* VMB_INTERP_INTR_H */
