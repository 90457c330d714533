/*
 * fuse.c - an ALU instruction fused with the Jcc that ends its block
 * (threaded entries only; insn.exec stays unfused, so limited runs and
 * single steps see two instructions).
 *
 * CMP/TEST with register, immediate or memory operands, and ADD/SUB/AND/
 * OR/XOR of a 32/64-bit register with a register or an immediate: the
 * fused entry computes the result and the lazy flag record exactly as the
 * first instruction alone would, evaluates the condition from the
 * operands, retires both instructions and links to the next block. Only
 * a memory operand's read can fault, and it does before anything is
 * written, committed or counted.
 */
#include "interp/decode.h"
#include "interp/fast.h"

/* Condition (cc) after CMP/SUB a, b (masked to sz bytes), or -1 for the
 * lazy record to decide (O, S, P). */
FAST_INLINE int cond_sub(unsigned cc, uint64_t a, uint64_t b, unsigned sz)
{
	int64_t sa = sext(a, sz), sb = sext(b, sz);

	switch (cc) {
	case 2: return a < b;
	case 3: return a >= b;
	case 4: return a == b;
	case 5: return a != b;
	case 6: return a <= b;
	case 7: return a > b;
	case 12: return sa < sb;
	case 13: return sa >= sb;
	case 14: return sa <= sb;
	case 15: return sa > sb;
	default: return -1;
	}
}

/* Condition (cc) after a logic op with result r (sz bytes): CF = OF = 0. */
FAST_INLINE int cond_logic(unsigned cc, uint64_t r, unsigned sz)
{
	bool z = r == 0, s = (r >> (sz * 8 - 1)) & 1;

	switch (cc) {
	case 0: case 2: return 0;
	case 1: case 3: return 1;
	case 4: return z;
	case 5: return !z;
	case 6: return z;
	case 7: return !z;
	case 8: case 12: return s;
	case 9: case 13: return !s;
	case 14: return z || s;
	case 15: return !z && !s;
	default: return -1;
	}
}

/* Condition (cc) after ADD a, b = r: Z and S from r, else the record. */
FAST_INLINE int cond_add(unsigned cc, uint64_t r, unsigned sz)
{
	bool z = r == 0, s = (r >> (sz * 8 - 1)) & 1;

	switch (cc) {
	case 4: return z;
	case 5: return !z;
	case 8: return s;
	case 9: return !s;
	default: return -1;
	}
}

enum { K_SUB, K_LOGIC, K_ADD };

/*
 * Body of a fused pair: (load) sets a, b and sz (and may return a fault);
 * (expr) is the result from a and b; (write) stores it to operand 0, a
 * register.
 */
#define FUSED(name, kind, lf, expr, write, load)                             \
	int f_##name(struct cpu *c, const struct insn *i)                    \
	{                                                                    \
		const struct insn *j = i + 1;                                \
		uint64_t a, b, r, nr;                                        \
		unsigned sz;                                                 \
		int t;                                                       \
		load                                                         \
		r = (expr) & size_mask(sz);                                  \
		if (write)                                                   \
			SETR(c, i->o[0].reg, sz, r);                         \
		flags_set(c, lf, sz, a, b, r);                               \
		t = kind == K_SUB ? cond_sub(j->cc, a, b, sz)                \
		  : kind == K_LOGIC ? cond_logic(j->cc, r, sz)               \
				    : cond_add(j->cc, r, sz);                \
		if (t < 0)                                                   \
			t = flags_cond_slow(c, j->cc);                       \
		nr = c->blk_rip + j->off + j->len;                           \
		if (t)                                                       \
			nr += j->imm;                                        \
		return fast_branch(c, i, nr, 2, 0);                          \
	}
/* operand loads: a = first operand, b = second, sz = size */
#define L_RR(n) sz = n; a = GETR(c, i->o[0].reg, n); b = GETR(c, i->o[1].reg, n);
#define L_RI(n) sz = n; a = GETR(c, i->o[0].reg, n); b = IMM(i, n);
#define L_RM(n)                                                              \
	sz = n;                                                              \
	a = GETR(c, i->o[0].reg, n);                                         \
	if ((t = thread_read(c, i, thread_ea(c, i), n, &b)))                 \
		return thread_fail(c, i, t);
#define L_RRS                                                                \
	sz = i->o[0].size;                                                   \
	a = reg_get(c, i->o[0].reg, sz);                                     \
	b = reg_get(c, i->o[1].reg, sz);
#define L_RIS                                                                \
	sz = i->o[0].size;                                                   \
	a = reg_get(c, i->o[0].reg, sz);                                     \
	b = i->imm & size_mask(sz);
#define L_MX                                                                 \
	sz = i->o[0].size;                                                   \
	b = i->o[1].kind == OPK_IMM ? i->imm & size_mask(sz)                 \
				    : reg_get(c, i->o[1].reg, sz);           \
	if ((t = thread_read(c, i, thread_ea(c, i), sz, &a)))                \
		return thread_fail(c, i, t);

/* compare forms: every operand form of fast.c */
#define FUSED_CMP(op, kind, lf, expr)                                        \
	FUSED(op##_rr4, kind, lf, expr, 0, L_RR(4))                          \
	FUSED(op##_rr8, kind, lf, expr, 0, L_RR(8))                          \
	FUSED(op##_ri4, kind, lf, expr, 0, L_RI(4))                          \
	FUSED(op##_ri8, kind, lf, expr, 0, L_RI(8))                          \
	FUSED(op##_rm4, kind, lf, expr, 0, L_RM(4))                          \
	FUSED(op##_rm8, kind, lf, expr, 0, L_RM(8))                          \
	FUSED(op##_rrs, kind, lf, expr, 0, L_RRS)                            \
	FUSED(op##_ris, kind, lf, expr, 0, L_RIS)                            \
	FUSED(op##_mx, kind, lf, expr, 0, L_MX)                              \
	FUSED(op##_mr4, kind, lf, expr, 0, L_MX)                             \
	FUSED(op##_mr8, kind, lf, expr, 0, L_MX)                             \
	FUSED(op##_mi4, kind, lf, expr, 0, L_MX)                             \
	FUSED(op##_mi8, kind, lf, expr, 0, L_MX)
FUSED_CMP(cmp, K_SUB, LF_SUB, a - b)
FUSED_CMP(test, K_LOGIC, LF_LOGIC, a & b)

/* arithmetic forms: 32/64-bit register destination */
#define FUSED_ARITH(op, kind, lf, expr)                                      \
	FUSED(op##_rr4, kind, lf, expr, 1, L_RR(4))                          \
	FUSED(op##_rr8, kind, lf, expr, 1, L_RR(8))                          \
	FUSED(op##_ri4, kind, lf, expr, 1, L_RI(4))                          \
	FUSED(op##_ri8, kind, lf, expr, 1, L_RI(8))
FUSED_ARITH(add, K_ADD, LF_ADD, a + b)
FUSED_ARITH(sub, K_SUB, LF_SUB, a - b)
FUSED_ARITH(and, K_LOGIC, LF_LOGIC, a & b)
FUSED_ARITH(or, K_LOGIC, LF_LOGIC, a | b)
FUSED_ARITH(xor, K_LOGIC, LF_LOGIC, a ^ b)
