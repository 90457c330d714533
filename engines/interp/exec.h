/*
 * exec.h - the interpreter's run loop: block lookup, dispatch, exception
 * delivery, x2APIC timer interrupts at block boundaries, HLT, limits.
 */
#ifndef VMB_INTERP_EXEC_H
#define VMB_INTERP_EXEC_H

#include "interp/cpu.h"

/*
 * Run (c) until the guest exits, stops or hits (insn_limit) instructions
 * in total (0 = none) or (deadline_tsc) (host TSC, 0 = none). Fills (x)
 * and returns 0.
 */
int exec_run(struct cpu *c, struct run_exit *x, uint64_t insn_limit,
	     uint64_t deadline_tsc);

/*
 * Execute exactly the one instruction at c->s.rip, without delivering a
 * fault it raises: returns OP_OK, OP_FAULT (c->exc says which) or OP_STOP
 * ((x) says why). For tests that check faults precisely.
 */
int exec_step(struct cpu *c, struct run_exit *x);

/* Reset per-run state of a freshly created (c) from (boot). */
void exec_reset(struct cpu *c, const struct x86_state *boot);

struct snapshot_cpu;
/* Continue from a restored snapshot's vCPU half (machine/snapshot.h): its
 * state, APIC, halted and STI-shadow flags; the decoded blocks and the TLB
 * describe the old RAM and page tables, so both go. */
void exec_restore(struct cpu *c, const struct snapshot_cpu *in);

#endif /* VMB_INTERP_EXEC_H */
