/*
 * fast.h - building blocks of the specialized handlers (fast.c, fuse.c).
 *
 * A specialized form is written once as a body taking a constant (T):
 * T = 0 gives the plain handler (insn.exec: RIP and next_rip exact, the
 * TLB of the current privilege), T = 1 the threaded twin's body (inside
 * a chain, thread.h: RIP-relative addresses from cpu.blk_rip, the
 * chain's TLB). Memory forms exist only for IF_EA_FAST operands.
 */
#ifndef VMB_INTERP_FAST_H
#define VMB_INTERP_FAST_H

#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/thread.h"

#define FAST_INLINE static inline __attribute__((always_inline))

/* reg_set for a constant 4/8 size: 32-bit writes zero-extend. */
#define SETR(c, r, sz, v) ((c)->s.gpr[r] = (sz) == 8 ? (v) : (uint32_t)(v))
#define GETR(c, r, sz) ((sz) == 8 ? (c)->s.gpr[r] : (uint32_t)(c)->s.gpr[r])
#define IMM(i, sz) ((sz) == 8 ? (i)->imm : (uint32_t)(i)->imm)

/*
 * Body (T): 0 = the plain handler; inside a chain, 1 = an operand without
 * an index register, 2 = with one (twins exist for both).
 */
#define EA(T)                                                                \
	((T) == 0 ? op_ea(c, i) : (T) == 1 ? thread_ea_base(c, i)           \
					   : thread_ea(c, i))
/* Load and store; inside a chain they return OP_MISS on a TLB miss. */
#define RD(T, va, sz, v)                                                     \
	((T) ? thread_read(c, va, sz, v) : mem_read(c, va, sz, v))
#define WR(T, va, sz, v)                                                     \
	((T) ? thread_write(c, va, sz, v) : mem_write(c, va, sz, v))
/* RIP of the next instruction for body (T). */
#define NEXT_RIP(T) ((T) ? c->blk_rip + i->off + i->len : c->next_rip)

/* Body T_DEAD: a twin whose flag record is dead (decode_dead_flags()). */
#define T_DEAD 3

/* The plain handler (name) and its twin t_(name) from body name##_b, of
 * a form without a memory operand. */
#define FAST_PAIR(name)                                                      \
	static int name(struct cpu *c, const struct insn *i)                 \
	{                                                                    \
		return name##_b(c, i, 0);                                    \
	}                                                                    \
	static int t_##name(struct cpu *c, const struct insn *i)             \
	{                                                                    \
		name##_b(c, i, 1);                                           \
		return thread_next(c, i);                                    \
	}

/* The same plus tn_(name), the twin that leaves the flags alone. */
#define FAST_PAIR_NF(name)                                                   \
	FAST_PAIR(name)                                                      \
	static int tn_##name(struct cpu *c, const struct insn *i)            \
	{                                                                    \
		name##_b(c, i, T_DEAD);                                      \
		return thread_next(c, i);                                    \
	}

/* The same with a memory operand: twins t_(name) for an operand with an
 * index register and tb_(name) for one without; a miss redoes the
 * instruction through its plain handler. */
#define FAST_PAIR_M(name)                                                    \
	static int name(struct cpu *c, const struct insn *i)                 \
	{                                                                    \
		return name##_b(c, i, 0);                                    \
	}                                                                    \
	static int t_##name(struct cpu *c, const struct insn *i)             \
	{                                                                    \
		if (__builtin_expect(name##_b(c, i, 2) != 0, 0))             \
			return thread_generic(c, i);                         \
		return thread_next(c, i);                                    \
	}                                                                    \
	static int tb_##name(struct cpu *c, const struct insn *i)            \
	{                                                                    \
		if (__builtin_expect(name##_b(c, i, 1) != 0, 0))             \
			return thread_generic(c, i);                         \
		return thread_next(c, i);                                    \
	}

/* End of a block-ending entry at (i) that ran the block's last (n)
 * instructions (1, or 2 for a fused pair), the guest going on at (rip):
 * thread_link() on the block's sentinel, (i + n), commits and links. */
static inline __attribute__((always_inline)) int
fast_branch(struct cpu *c, const struct insn *i, uint64_t rip, unsigned n)
{
	return thread_link(c, i + n, rip);
}

/* Forms fused with a following Jcc (fuse.c): f_<form>[cc] is the threaded
 * entry of the pair whose first instruction has plain handler <form>,
 * for Jcc condition cc. */
#define FUSED_FORMS(X)                                                       \
	X(cmp_rr4) X(cmp_rr8) X(cmp_ri4) X(cmp_ri8) X(cmp_rm4) X(cmp_rm8)    \
	X(cmp_rrs) X(cmp_ris) X(cmp_mr4) X(cmp_mr8) X(cmp_mi4)     \
	X(cmp_mi8) X(cmp_mr1) X(cmp_mi1) X(cmp_mr2) X(cmp_mi2)              \
	X(test_mr1) X(test_mi1) X(test_mr2) X(test_mi2) X(test_rr4) X(test_rr8) X(test_ri4) X(test_ri8)           \
	X(test_rm4) X(test_rm8) X(test_rrs) X(test_ris)           \
	X(test_mr4) X(test_mr8) X(test_mi4) X(test_mi8) X(add_rr4)           \
	X(add_rr8) X(add_ri4) X(add_ri8) X(sub_rr4) X(sub_rr8) X(sub_ri4)    \
	X(sub_ri8) X(and_rr4) X(and_rr8) X(and_ri4) X(and_ri8) X(or_rr4)     \
	X(or_rr8) X(or_ri4) X(or_ri8) X(xor_rr4) X(xor_rr8) X(xor_ri4)       \
	X(xor_ri8)
#define FUSED_DECL(n) extern const op_fn f_##n[16];
FUSED_FORMS(FUSED_DECL)
#undef FUSED_DECL

#endif /* VMB_INTERP_FAST_H */
