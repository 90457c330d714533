/*
 * thread.h - threaded dispatch: each decoded instruction's entry
 * (insn.fn) runs its handler (insn.exec) and then jumps straight to the
 * entry of the next instruction of the block, so a block runs as one
 * chain of tail calls without returning to a dispatch loop. The chain
 * ends at the block's sentinel (thread_end), at a handler that returns
 * OP_FAULT/OP_STOP (returned as is, the faulting instruction neither
 * committed nor counted) or when a handler cleared c->blk_end (code
 * write, device stop, REP yield).
 *
 * The run loop starts a chain only for a whole block; runs limited to
 * fewer instructions call insn.exec one by one instead.
 */
#ifndef VMB_INTERP_THREAD_H
#define VMB_INTERP_THREAD_H

#include "interp/cpu.h"

/* After (i) returned OP_OK: commit its RIP, count it, run the rest. */
static inline __attribute__((always_inline)) int
thread_next(struct cpu *c, const struct insn *i)
{
	uint64_t nr = c->next_rip;

	c->s.rip = nr;
	c->icount++;
	if (__builtin_expect(!c->blk_end, 0))
		return OP_OK;
	i++;
	c->next_rip = nr + i->len;
	return i->fn(c, i);
}

/* Entry of an instruction without a threaded twin: calls insn.exec. */
int thread_generic(struct cpu *c, const struct insn *i);

/* Entry of the sentinel after a block's last instruction. */
int thread_end(struct cpu *c, const struct insn *i);

/* The threaded entry for plain handler (fn) (fast.c's twins, else
 * thread_generic). */
op_fn thread_entry(op_fn fn);

#endif /* VMB_INTERP_THREAD_H */
