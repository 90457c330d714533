/*
 * fuse.c - an ALU instruction fused with the Jcc that ends its block
 * (threaded entries only; insn.exec stays unfused, so limited runs and
 * single steps see two instructions).
 *
 * CMP/TEST with register, immediate or memory operands, and ADD/SUB/AND/
 * OR/XOR of a 32/64-bit register with a register or an immediate: the
 * fused entry computes the result and the lazy flag record exactly as the
 * first instruction alone would, evaluates the condition (one entry per
 * condition code, chosen at decode time) from the operands, retires both
 * instructions and links to the next block. Only a memory operand's read
 * can miss the TLB (or fault), and it does before anything is written,
 * committed or counted.
 */
#include "interp/fast.h"

/* The lazy flag record's a and b are adjacent: the SLP vectorizer would
 * store them through an SSE register, two instructions more than two
 * plain stores. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-slp-vectorize")
#endif

enum { K_SUB, K_LOGIC, K_ADD };

/*
 * Condition (cc), a constant, after an operation of (kind) on a, b with
 * result r (all masked to sz bytes); P and NP ask the lazy record.
 */
FAST_INLINE int cond_of(struct cpu *c, int kind, unsigned cc, uint64_t a,
			uint64_t b, uint64_t r, unsigned sz)
{
	unsigned top = sz * 8 - 1;
	bool cf, zf = r == 0, sf = (r >> top) & 1, of;

	if (kind == K_SUB) {
		int known = flags_cond_sub(cc, a, b, sz);
		if (known >= 0)
			return known;
		cf = a < b;
		of = (((a ^ b) & (a ^ r)) >> top) & 1;
	} else if (kind == K_ADD) {
		cf = r < a;
		of = (((a ^ r) & (b ^ r)) >> top) & 1;
	} else {
		cf = of = false;
	}
	switch (cc) {
	case 0: return of;
	case 1: return !of;
	case 2: return cf;
	case 3: return !cf;
	case 4: return zf;
	case 5: return !zf;
	case 6: return cf || zf;
	case 7: return !cf && !zf;
	case 8: return sf;
	case 9: return !sf;
	case 12: return sf != of;
	case 13: return sf == of;
	case 14: return zf || sf != of;
	case 15: return !zf && sf == of;
	default: return flags_cond_slow(c, cc);	/* P, NP: rare */
	}
}

/*
 * Entry of a fused pair for Jcc condition (cc): (load) sets a, b and sz
 * (a memory operand that misses the TLB runs the first instruction alone
 * through thread_generic, the Jcc's own twin follows); (expr) is the
 * result from a and b; (write) stores it to operand 0, a register.
 */
#define FUSED(name, kind, lf, expr, write, load, cc)                         \
	static int f_##name##_##cc(struct cpu *c, const struct insn *i)      \
	{                                                                    \
		const struct insn *j = i + 1;                                \
		uint64_t a, b, r, nr;                                        \
		unsigned sz;                                                 \
		load                                                         \
		r = (expr) & size_mask(sz);                                  \
		if (write)                                                   \
			SETR(c, i->o[0].reg, sz, r);                         \
		flags_set(c, lf, sz, a, b, r);                               \
		nr = c->blk_rip + j->off + j->len;                           \
		if (cond_of(c, kind, cc, a, b, r, sz))                       \
			nr += j->imm;                                        \
		return fast_branch(c, i, nr, 2);                             \
	}
#define FUSED16(name, kind, lf, expr, write, load)                           \
	FUSED(name, kind, lf, expr, write, load, 0)                          \
	FUSED(name, kind, lf, expr, write, load, 1)                          \
	FUSED(name, kind, lf, expr, write, load, 2)                          \
	FUSED(name, kind, lf, expr, write, load, 3)                          \
	FUSED(name, kind, lf, expr, write, load, 4)                          \
	FUSED(name, kind, lf, expr, write, load, 5)                          \
	FUSED(name, kind, lf, expr, write, load, 6)                          \
	FUSED(name, kind, lf, expr, write, load, 7)                          \
	FUSED(name, kind, lf, expr, write, load, 8)                          \
	FUSED(name, kind, lf, expr, write, load, 9)                          \
	FUSED(name, kind, lf, expr, write, load, 10)                         \
	FUSED(name, kind, lf, expr, write, load, 11)                         \
	FUSED(name, kind, lf, expr, write, load, 12)                         \
	FUSED(name, kind, lf, expr, write, load, 13)                         \
	FUSED(name, kind, lf, expr, write, load, 14)                         \
	FUSED(name, kind, lf, expr, write, load, 15)                         \
	const op_fn f_##name[16] = {                                         \
		f_##name##_0, f_##name##_1, f_##name##_2, f_##name##_3,      \
		f_##name##_4, f_##name##_5, f_##name##_6, f_##name##_7,      \
		f_##name##_8, f_##name##_9, f_##name##_10, f_##name##_11,    \
		f_##name##_12, f_##name##_13, f_##name##_14, f_##name##_15,  \
	};

/* operand loads: a = first operand, b = second, sz = size */
#define L_RR(n) sz = n; a = GETR(c, i->o[0].reg, n); b = GETR(c, i->o[1].reg, n);
#define L_RI(n) sz = n; a = GETR(c, i->o[0].reg, n); b = IMM(i, n);
#define L_RM(n)                                                              \
	sz = n;                                                              \
	a = GETR(c, i->o[0].reg, n);                                         \
	if (thread_read(c, thread_ea(c, i), n, &b))                          \
		return thread_generic(c, i);
#define L_RRS                                                                \
	sz = i->o[0].size;                                                   \
	a = reg_get(c, i->o[0].reg, sz);                                     \
	b = reg_get(c, i->o[1].reg, sz);
#define L_RIS                                                                \
	sz = i->o[0].size;                                                   \
	a = reg_get(c, i->o[0].reg, sz);                                     \
	b = i->imm & size_mask(sz);
#define L_MN(n)                                                              \
	sz = n;                                                              \
	b = i->o[1].kind == OPK_IMM ? i->imm & size_mask(n)                  \
				    : reg_get(c, i->o[1].reg, n);            \
	if (thread_read(c, thread_ea(c, i), n, &a))                          \
		return thread_generic(c, i);

/* compare forms: every operand form of fast.c */
#define FUSED_CMP(op, kind, lf, expr)                                        \
	FUSED16(op##_rr4, kind, lf, expr, 0, L_RR(4))                        \
	FUSED16(op##_rr8, kind, lf, expr, 0, L_RR(8))                        \
	FUSED16(op##_ri4, kind, lf, expr, 0, L_RI(4))                        \
	FUSED16(op##_ri8, kind, lf, expr, 0, L_RI(8))                        \
	FUSED16(op##_rm4, kind, lf, expr, 0, L_RM(4))                        \
	FUSED16(op##_rm8, kind, lf, expr, 0, L_RM(8))                        \
	FUSED16(op##_rrs, kind, lf, expr, 0, L_RRS)                          \
	FUSED16(op##_ris, kind, lf, expr, 0, L_RIS)                          \
	FUSED16(op##_mr4, kind, lf, expr, 0, L_MN(4))                        \
	FUSED16(op##_mr8, kind, lf, expr, 0, L_MN(8))                        \
	FUSED16(op##_mi4, kind, lf, expr, 0, L_MN(4))                        \
	FUSED16(op##_mi8, kind, lf, expr, 0, L_MN(8))                        \
	FUSED16(op##_mr1, kind, lf, expr, 0, L_MN(1))                        \
	FUSED16(op##_mi1, kind, lf, expr, 0, L_MN(1))                        \
	FUSED16(op##_mr2, kind, lf, expr, 0, L_MN(2))                        \
	FUSED16(op##_mi2, kind, lf, expr, 0, L_MN(2))
FUSED_CMP(cmp, K_SUB, LF_SUB, a - b)
FUSED_CMP(test, K_LOGIC, LF_LOGIC, a & b)

/* arithmetic forms: 32/64-bit register destination */
#define FUSED_ARITH(op, kind, lf, expr)                                      \
	FUSED16(op##_rr4, kind, lf, expr, 1, L_RR(4))                        \
	FUSED16(op##_rr8, kind, lf, expr, 1, L_RR(8))                        \
	FUSED16(op##_ri4, kind, lf, expr, 1, L_RI(4))                        \
	FUSED16(op##_ri8, kind, lf, expr, 1, L_RI(8))
FUSED_ARITH(add, K_ADD, LF_ADD, a + b)
FUSED_ARITH(sub, K_SUB, LF_SUB, a - b)
FUSED_ARITH(and, K_LOGIC, LF_LOGIC, a & b)
FUSED_ARITH(or, K_LOGIC, LF_LOGIC, a | b)
FUSED_ARITH(xor, K_LOGIC, LF_LOGIC, a ^ b)
