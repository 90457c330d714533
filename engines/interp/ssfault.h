/*
 * ssfault.h - which exception a non-canonical data address raises.
 *
 * In 64-bit mode a memory reference with a non-canonical linear address
 * raises #GP(0), except through the stack segment, which raises #SS(0)
 * (Intel SDM Vol. 1 3.3.7.1, Vol. 3A 6.15 "Interrupt 12"): the implicit
 * stack references of PUSH/POP/CALL/RET/ENTER/LEAVE/PUSHF/POPF/IRET and
 * explicit operands whose segment is SS: base RSP or RBP, unless an FS:
 * or GS: override makes it #GP (64-bit mode ignores CS:/DS:/ES:/SS:
 * overrides, so SS: [RAX] stays #GP and DS: [RBP] #SS).
 *
 * The memory layer (mem_translate) knows only the address: it raises
 * #GP(0) and marks the pending exception non-canonical (exc.nc, exc.va).
 * Before delivery, ssfault_classify() looks at the faulting instruction
 * (at RIP, decoded again: this happens only on that rare fault, so the
 * access paths carry no segment at all) and turns the #GP into #SS when
 * the faulting address was a stack-segment reference.
 */
#ifndef VMB_INTERP_SSFAULT_H
#define VMB_INTERP_SSFAULT_H

#include "interp/cpu.h"

/* Make a pending non-canonical #GP(0) an #SS(0) where the SDM says so;
 * any other pending exception is left as it is. */
void ssfault_classify(struct cpu *c);

#endif /* VMB_INTERP_SSFAULT_H */
