/* thread.c - chain exits, block linking and generic entries (thread.h). */
#include "interp/thread.h"

#include "interp/icache.h"
#include "interp/ops.h"

int thread_link(struct cpu *c, const struct insn *s, uint64_t rip)
{
	const struct block *b = thread_block(s), *nb;
	const struct insn *i;
	uint64_t key = rip | c->user, ep = c->tlb.epoch;
	uint64_t n = c->icount + s->idx;	/* the whole block retired */

	c->icount = n;
	c->s.rip = rip;
	if (__builtin_expect(n >= c->link_end, 0))
		goto out;
	if (b->succ_key[0] == key && b->succ_epoch[0] == ep)
		nb = b->succ[0];
	else if (b->succ_key[1] == key && b->succ_epoch[1] == ep)
		nb = b->succ[1];
	else
		goto out;
	c->blk_rip = rip;
	i = (const struct insn *)(nb + 1);	/* == nb->insn, one load less */
	return i->fn(c, i);
out:
	/* the loop records the successor it finds in (b)'s cache */
	if (b->gpa_tail == 1)
		c->prev = (struct block *)b;
	return OP_OK;
}

int thread_jmp_inner(struct cpu *c, const struct insn *i)
{
	return thread_next(c, i);
}

int thread_generic(struct cpu *c, const struct insn *i)
{
	int rc;

	thread_sync(c, i);
	if (__builtin_expect((rc = i->exec(c, i)) != 0, 0))
		return rc;	/* RIP on (i), the ones before it counted */
	if (__builtin_expect(!c->blk_end, 0)) {
		c->s.rip = c->next_rip;	/* REP yield: RIP stays on (i) */
		c->icount++;
		return OP_OK;
	}
	thread_unsync(c, i);
	return thread_next(c, i);
}

/* After a generic instruction that ends blocks and may change what the
 * run loop watches (mode, interrupts, translation, devices). */
static int thread_end(struct cpu *c, const struct insn *i)
{
	const struct block *b = thread_block(i);

	c->s.rip = c->next_rip;
	c->icount += i->idx;
	if (b->gpa_tail == 1)
		c->prev = (struct block *)b;
	return OP_OK;
}

/* After a generic JMP/CALL/RET/LOOP/JRCXZ: next_rip is the target. */
static int thread_end_link(struct cpu *c, const struct insn *i)
{
	return thread_link(c, i, c->next_rip);
}

/* After an instruction that does not end blocks (size or page limit). */
static int thread_end_fall(struct cpu *c, const struct insn *i)
{
	return thread_link(c, i, c->blk_rip + i->off);
}

op_fn thread_sentinel(const struct insn *last)
{
	op_fn f = last->exec;

	if (!(last->flags & IF_END))
		return thread_end_fall;
	if (last->fn != thread_generic)
		return thread_end;	/* twins link by themselves */
	if (f == op_jmp || f == op_call || f == op_ret || f == op_jcc ||
	    f == op_jrcxz || f == op_loop || f == op_loope || f == op_loopne)
		return thread_end_link;
	return thread_end;
}
