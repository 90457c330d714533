/*
 * pvm.h - the guest's cooperation with a KVM/PVM host (boot_info flag
 * VMB_BOOT_F_PVM_ASSIST; docs/kvm-pvm.md). Everything PVM-specific in the
 * guest is in pvm.c and does nothing unless the flag is set.
 *
 * Measured on PVM: SYSCALL from CPL3 jumps to LSTAR but stays at CPL3, so
 * fetching the (supervisor) entry page faults with RIP == LSTAR; INT n
 * from CPL3 arrives as #UD; VMCALL never completes.
 */
#ifndef KERNEL_PVM_H
#define KERNEL_PVM_H

#include <stdint.h>

#include "trap.h"

/* Turn the assistance on (boot_info flag, or `pvm=1` on the command line). */
void pvm_assist_enable(void);

/* 1 when the host is PVM and the assistance is on. */
int pvm_assist_enabled(void);

/*
 * If (tf) is one of PVM's broken transitions (a syscall stuck at CPL3, an
 * `int 0x80` turned into #UD), complete it as the real instruction would
 * have and return 1; else return 0.
 */
int pvm_trap_fixup(struct trapframe *tf);

/* Print how often each fixup was used (console text, not a result line). */
void pvm_stats_print(void);

#endif
