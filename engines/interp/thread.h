/*
 * thread.h - threaded dispatch: each decoded instruction's entry
 * (insn.fn) runs its handler (insn.exec, or a twin with the handler
 * inlined) and then jumps straight to the entry of the next instruction
 * of the block, so a block runs as one chain of tail calls without
 * returning to a dispatch loop; a block that ends in a jump, branch, call
 * or return, or falls through, jumps on to the first instruction of its
 * successor when the successor cache knows it (block linking).
 *
 * Inside a chain neither RIP nor the instruction count is updated per
 * instruction: an instruction's RIP is cpu.blk_rip + insn.off and the
 * instructions retired are the count at the block's start plus insn.idx.
 * They are made exact (c->s.rip, c->next_rip, c->icount) before every
 * exit from the chain and around every call that may look at them:
 *  - an instruction without a twin, and a twin whose memory access
 *    missed the TLB (OP_MISS), runs its plain handler through
 *    thread_generic with RIP, next_rip and the count exact; a fault or
 *    stop returns from there with RIP on the instruction and only the
 *    ones before it counted, so faults stay precise, and a handler that
 *    cleared c->blk_end (code write, device stop, REP yield) ends the
 *    chain after itself, retired;
 *  - the block's end commits RIP and the count, then links or returns.
 * The chain only links when nothing may need the run loop: the block
 * ended in a twin (JMP/Jcc/CALL/RET rel, fused compare-and-branch, a
 * fall-through) or in a generic JMP/CALL/RET, and the chain has not run
 * to c->link_end instructions (which also bounds the recursion where the
 * compiler makes no tail calls; runs with an instruction limit do not
 * link).
 *
 * The run loop starts a chain only for a whole block; runs limited to
 * fewer instructions call insn.exec one by one instead.
 */
#ifndef VMB_INTERP_THREAD_H
#define VMB_INTERP_THREAD_H

#include "interp/cpu.h"
#include "interp/mem.h"

/* The block whose sentinel (the insn after its last) is (s). */
static inline const struct block *thread_block(const struct insn *s)
{
	return (const struct block *)(uintptr_t)s->imm;
}

/* After (i) returned OP_OK: run the rest of the block. */
static inline __attribute__((always_inline)) int
thread_next(struct cpu *c, const struct insn *i)
{
	i++;
	return i->fn(c, i);
}

/* Make RIP, next_rip and the count exact for a call of (i)'s plain
 * handler, which may look at them (thread_generic); thread_unsync() after
 * it puts the count back (the chain adds it at its exit). */
static inline void thread_sync(struct cpu *c, const struct insn *i)
{
	uint64_t rip = c->blk_rip + i->off;

	c->s.rip = rip;
	c->next_rip = rip + i->len;
	c->icount += i->idx;
}

static inline void thread_unsync(struct cpu *c, const struct insn *i)
{
	c->icount -= i->idx;
}

/* The block with sentinel (s) retired whole and goes on at (rip): commit
 * RIP and the count (+ s->idx, the block's length), then jump to the
 * successor, or return OP_OK to the loop. */
int thread_link(struct cpu *c, const struct insn *s, uint64_t rip);

/* ---- memory access from twins: the TLB of the chain's privilege -------- */

/*
 * A twin's access that misses the TLB returns OP_MISS without doing
 * anything; the twin then runs its instruction again through
 * thread_generic() (insn.exec with the slow path, exact fault, MMIO and
 * code-write handling). Twins therefore make every access before they
 * change any state, so the redo starts from scratch.
 */
#define OP_MISS 3

static inline __attribute__((always_inline)) int
thread_read(struct cpu *c, uint64_t va, unsigned size, uint64_t *v)
{
	const struct tlb_entry *e = tlb_match(
		c->tlb_cur + ((va >> 12) & (TLB_ENTRIES - 1)) * TLB_WAYS,
		(va + size - 1) & ~0xfffull);

	if (__builtin_expect(e == NULL, 0))
		return OP_MISS;
	c->st.tlb_hit++;
	*v = mem_load(e->host + (va & 0xfff), size);
	return OP_OK;
}

static inline __attribute__((always_inline)) int
thread_write(struct cpu *c, uint64_t va, unsigned size, uint64_t v)
{
	const struct tlb_entry *e = tlb_match(
		c->tlb_cur + TLB_KIND_STRIDE +
			((va >> 12) & (TLB_ENTRIES - 1)) * TLB_WAYS,
		(va + size - 1) & ~0xfffull);

	if (__builtin_expect(e == NULL, 0))
		return OP_MISS;
	c->st.tlb_hit++;
	mem_store(e->host + (va & 0xfff), size, v);
	return OP_OK;
}

/* The host address of a read-modify-write's operand from the write
 * entry alone (a page the walk lets us write we may also read), or NULL
 * for a miss; counts both accesses as hits. */
static inline __attribute__((always_inline)) uint8_t *
thread_rmw(struct cpu *c, uint64_t va, unsigned size)
{
	const struct tlb_entry *e = tlb_match(
		c->tlb_cur + TLB_KIND_STRIDE +
			((va >> 12) & (TLB_ENTRIES - 1)) * TLB_WAYS,
		(va + size - 1) & ~0xfffull);

	if (__builtin_expect(e == NULL, 0))
		return NULL;
	c->st.tlb_hit += 2;
	return e->host + (va & 0xfff);
}

/* The effective address of an IF_EA_FAST operand inside a chain, with
 * an index register or (thread_ea_base) without one. */
static inline uint64_t thread_ea(const struct cpu *c, const struct insn *i)
{
	return (uint64_t)i->tdisp + cpu_u64_at(c, i->ea_tbase) +
	       (cpu_u64_at(c, i->ea_idx) << i->mscale);
}

static inline uint64_t thread_ea_base(const struct cpu *c,
				      const struct insn *i)
{
	return (uint64_t)i->tdisp + cpu_u64_at(c, i->ea_tbase);
}

/* ---- entries ------------------------------------------------------------ */

/* Entry of a JMP rel inside a block (icache.c): the next insn is its
 * target. */
int thread_jmp_inner(struct cpu *c, const struct insn *i);

/* Entry of an instruction without a threaded twin: calls insn.exec. */
int thread_generic(struct cpu *c, const struct insn *i);

/* The sentinel after a block's last instruction (idx = n, off = the
 * block's length) for that instruction (last): thread_end_fall when it
 * does not end blocks (fall through, link), thread_end_link after a
 * generic JMP/CALL/RET/LOOP/JRCXZ (RIP from next_rip, link), thread_end
 * after any other (RIP from next_rip, back to the loop). */
op_fn thread_sentinel(const struct insn *last);

/* The threaded entry for (in), whose plain handler is in->exec (fast.c's
 * twins, else thread_generic). */
op_fn thread_entry(const struct insn *in);

#endif /* VMB_INTERP_THREAD_H */
