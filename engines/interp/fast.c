/*
 * fast.c - specialized handlers for the most frequent operand forms
 * (register, immediate and memory forms of MOV, MOVZX, LEA, the
 * flag-setting ALU ops, shifts by an immediate, IMUL, CMOVcc, SETcc,
 * PUSH/POP, Jcc, JMP/CALL rel and RET), each with its threaded twin
 * (fast.h). Each is the generic handler with the operand kinds and size
 * fixed at decode time, so the compiler drops the operand switches.
 * decode_specialize() picks them; anything else keeps its generic
 * handler, which stays the reference semantics.
 */
#include <pthread.h>

#include "interp/decode.h"
#include "interp/fast.h"

/* The lazy flag record's a and b are adjacent: the SLP vectorizer would
 * store them through an SSE register, two instructions more than two
 * plain stores. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-slp-vectorize")
#endif
#include "interp/ops.h"

/* ---- MOV ----------------------------------------------------------------- */

#define MOV_FORMS(sz)                                                        \
	FAST_INLINE int mov_rr##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		(void)T;                                                     \
		SETR(c, i->o[0].reg, sz, GETR(c, i->o[1].reg, sz));          \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int mov_ri##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		(void)T;                                                     \
		SETR(c, i->o[0].reg, sz, IMM(i, sz));                        \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int mov_rm##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		uint64_t v;                                                  \
		int rc = RD(T, EA(T), sz, &v);                               \
		if (!rc)                                                     \
			SETR(c, i->o[0].reg, sz, v);                         \
		return rc;                                                   \
	}                                                                    \
	FAST_INLINE int mov_mr##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		return WR(T, EA(T), sz, GETR(c, i->o[1].reg, sz));           \
	}                                                                    \
	FAST_INLINE int mov_mi##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		return WR(T, EA(T), sz, IMM(i, sz));                         \
	}                                                                    \
	FAST_PAIR(mov_rr##sz) FAST_PAIR(mov_ri##sz)                    \
	FAST_PAIR_M(mov_rm##sz) FAST_PAIR_M(mov_mr##sz)                    \
	FAST_PAIR_M(mov_mi##sz)
MOV_FORMS(4)
MOV_FORMS(8)

/* MOV with 8/16-bit operands (AH..BH included): registers merge */
#define MOV_SMALL(sz)                                                        \
	FAST_INLINE int mov_rr##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		(void)T;                                                     \
		reg_set(c, i->o[0].reg, sz, reg_get(c, i->o[1].reg, sz));    \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int mov_ri##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		(void)T;                                                     \
		reg_set(c, i->o[0].reg, sz, i->imm);                         \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int mov_rm##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		uint64_t v;                                                  \
		int rc = RD(T, EA(T), sz, &v);                               \
		if (!rc)                                                     \
			reg_set(c, i->o[0].reg, sz, v);                      \
		return rc;                                                   \
	}                                                                    \
	FAST_INLINE int mov_mr##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		return WR(T, EA(T), sz, reg_get(c, i->o[1].reg, sz));        \
	}                                                                    \
	FAST_INLINE int mov_mi##sz##_b(struct cpu *c, const struct insn *i,  \
				       const int T)                          \
	{                                                                    \
		return WR(T, EA(T), sz, i->imm & size_mask(sz));             \
	}                                                                    \
	FAST_PAIR(mov_rr##sz) FAST_PAIR(mov_ri##sz)                          \
	FAST_PAIR_M(mov_rm##sz) FAST_PAIR_M(mov_mr##sz)                      \
	FAST_PAIR_M(mov_mi##sz)
MOV_SMALL(1)
MOV_SMALL(2)

/* LEA r64 / r32 (the address computed at its address size) */
FAST_INLINE int lea_r8_b(struct cpu *c, const struct insn *i, const int T)
{
	c->s.gpr[i->o[0].reg] = EA(T);
	return OP_OK;
}

FAST_INLINE int lea_r4_b(struct cpu *c, const struct insn *i, const int T)
{
	c->s.gpr[i->o[0].reg] = (uint32_t)EA(T);
	return OP_OK;
}
FAST_PAIR_M(lea_r8) FAST_PAIR_M(lea_r4)

/* MOVZX r32/r64, m8/m16 and r, r8/r16 (not AH..BH) */
#define MOVZX_FORMS(sz)                                                      \
	FAST_INLINE int movzx_rm##sz##_b(struct cpu *c, const struct insn *i,\
					 const int T)                        \
	{                                                                    \
		uint64_t v;                                                  \
		int rc = RD(T, EA(T), sz, &v);                               \
		if (!rc)                                                     \
			c->s.gpr[i->o[0].reg] = v;	/* zero-extends */   \
		return rc;                                                   \
	}                                                                    \
	FAST_INLINE int movzx_rr##sz##_b(struct cpu *c, const struct insn *i,\
					 const int T)                        \
	{                                                                    \
		(void)T;                                                     \
		c->s.gpr[i->o[0].reg] =                                      \
			c->s.gpr[i->o[1].reg] & size_mask(sz);               \
		return OP_OK;                                                \
	}                                                                    \
	FAST_PAIR_M(movzx_rm##sz) FAST_PAIR(movzx_rr##sz)
MOVZX_FORMS(1)
MOVZX_FORMS(2)

/* MOVSX/MOVSXD r32/r64, r/m8/16/32 (not AH..BH) */
FAST_INLINE int movsx_rr_b(struct cpu *c, const struct insn *i, const int T)
{
	uint64_t v = (uint64_t)sext(c->s.gpr[i->o[1].reg], i->o[1].size);

	(void)T;
	c->s.gpr[i->o[0].reg] = i->o[0].size == 8 ? v : (uint32_t)v;
	return OP_OK;
}

FAST_INLINE int movsx_rm_b(struct cpu *c, const struct insn *i, const int T)
{
	uint64_t v;
	int rc = RD(T, EA(T), i->o[1].size, &v);

	if (rc)
		return rc;
	v = (uint64_t)sext(v, i->o[1].size);
	c->s.gpr[i->o[0].reg] = i->o[0].size == 8 ? v : (uint32_t)v;
	return OP_OK;
}
FAST_PAIR(movsx_rr) FAST_PAIR_M(movsx_rm)

/* ---- ALU ----------------------------------------------------------------- */

#define ALU_OP(name, lf, expr, write)                                        \
	FAST_INLINE int name##_do(struct cpu *c, const struct insn *i,       \
				  unsigned sz, uint64_t b, const int T)      \
	{                                                                    \
		uint64_t a = GETR(c, i->o[0].reg, sz), r = (expr);            \
		if (sz == 4)                                                 \
			r = (uint32_t)r;                                     \
		if (write)                                                   \
			SETR(c, i->o[0].reg, sz, r);                         \
		if (T != T_DEAD)                                             \
			flags_set(c, lf, sz, a, b, r);                       \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int name##_rr4_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_do(c, i, 4, GETR(c, i->o[1].reg, 4), T); }           \
	FAST_INLINE int name##_rr8_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_do(c, i, 8, c->s.gpr[i->o[1].reg], T); }             \
	FAST_INLINE int name##_ri4_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_do(c, i, 4, (uint32_t)i->imm, T); }                  \
	FAST_INLINE int name##_ri8_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_do(c, i, 8, i->imm, T); }                            \
	FAST_INLINE int name##_rm4_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{                                                                    \
		uint64_t b;                                                  \
		int rc = RD(T, EA(T), 4, &b);                                \
		return rc ? rc : name##_do(c, i, 4, b, T);                   \
	}                                                                    \
	FAST_INLINE int name##_rm8_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{                                                                    \
		uint64_t b;                                                  \
		int rc = RD(T, EA(T), 8, &b);                                \
		return rc ? rc : name##_do(c, i, 8, b, T);                   \
	}                                                                    \
	/* 8/16-bit register forms (AH..BH included) */                      \
	FAST_INLINE int name##_small(struct cpu *c, const struct insn *i,    \
				     uint64_t b)                             \
	{                                                                    \
		unsigned sz = i->o[0].size;                                  \
		uint64_t a = reg_get(c, i->o[0].reg, sz);                    \
		uint64_t r = (expr) & size_mask(sz);                         \
		if (write)                                                   \
			reg_set(c, i->o[0].reg, sz, r);                      \
		flags_set(c, lf, sz, a, b, r);                               \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int name##_rrs_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{                                                                    \
		(void)T;                                                     \
		return name##_small(c, i,                                    \
				    reg_get(c, i->o[1].reg, i->o[0].size));  \
	}                                                                    \
	FAST_INLINE int name##_ris_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{                                                                    \
		(void)T;                                                     \
		return name##_small(c, i, i->imm & size_mask(i->o[0].size)); \
	}                                                                    \
	/* memory destination of (sz) bytes, register or (imm) source */     \
	FAST_INLINE int name##_m(struct cpu *c, const struct insn *i,        \
				 const int T, unsigned sz, int imm)          \
	{                                                                    \
		uint64_t va = EA(T), a, r, b;                                \
		uint8_t *h;                                                  \
		int rc;                                                      \
		b = imm ? i->imm & size_mask(sz)                             \
		  : sz >= 4 ? GETR(c, i->o[1].reg, sz)                       \
			    : reg_get(c, i->o[1].reg, sz);                   \
		if (write && T) {	/* one TLB entry for both accesses */ \
			if (!(h = thread_rmw(c, va, sz)))                    \
				return OP_MISS;                              \
			a = mem_load(h, sz);                                 \
			r = (expr) & size_mask(sz);                          \
			mem_store(h, sz, r);                                 \
		} else {                                                     \
			if ((rc = RD(T, va, sz, &a)))                        \
				return rc;                                   \
			r = (expr) & size_mask(sz);                          \
			if (write && (rc = WR(T, va, sz, r)))                \
				return rc;                                   \
		}                                                            \
		flags_set(c, lf, sz, a, b, r);                               \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int name##_mr4_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 4, 0); }                                  \
	FAST_INLINE int name##_mr8_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 8, 0); }                                  \
	FAST_INLINE int name##_mi4_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 4, 1); }                                  \
	FAST_INLINE int name##_mi8_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 8, 1); }                                  \
	FAST_INLINE int name##_mr1_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 1, 0); }                                  \
	FAST_INLINE int name##_mi1_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 1, 1); }                                  \
	FAST_INLINE int name##_mr2_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 2, 0); }                                  \
	FAST_INLINE int name##_mi2_b(struct cpu *c, const struct insn *i,    \
				     const int T)                            \
	{ return name##_m(c, i, T, 2, 1); }                                  \
	FAST_PAIR_NF(name##_rr4) FAST_PAIR_NF(name##_rr8)                    \
	FAST_PAIR_NF(name##_ri4) FAST_PAIR_NF(name##_ri8)                    \
	FAST_PAIR_M(name##_rm4) FAST_PAIR_M(name##_rm8)                    \
	FAST_PAIR(name##_rrs) FAST_PAIR(name##_ris)                    \
	FAST_PAIR_M(name##_mr4)                     \
	FAST_PAIR_M(name##_mr8) FAST_PAIR_M(name##_mi4)                    \
	FAST_PAIR_M(name##_mi8) FAST_PAIR_M(name##_mr1)                      \
	FAST_PAIR_M(name##_mi1) FAST_PAIR_M(name##_mr2)                      \
	FAST_PAIR_M(name##_mi2)

ALU_OP(add, LF_ADD, a + b, 1)
ALU_OP(sub, LF_SUB, a - b, 1)
ALU_OP(cmp, LF_SUB, a - b, 0)
ALU_OP(and, LF_LOGIC, a & b, 1)
ALU_OP(or, LF_LOGIC, a | b, 1)
ALU_OP(xor, LF_LOGIC, a ^ b, 1)
ALU_OP(test, LF_LOGIC, a & b, 0)

/* SHL/SHR/SAR r32/r64, imm8 with lazy flags; decode_specialize() takes
 * them only for a count that is not 0 after masking (0 changes nothing
 * but the 32-bit zero extension: the generic handler does that). */
#define SHIFT_RI(name, lf, expr)                                             \
	FAST_INLINE int name##_b(struct cpu *c, const struct insn *i,        \
				 unsigned sz, const int T)                   \
	{                                                                    \
		unsigned n = (unsigned)(i->imm & (sz == 8 ? 63 : 31));       \
		uint64_t a = GETR(c, i->o[0].reg, sz), r;                    \
		r = (expr) & size_mask(sz);                                  \
		SETR(c, i->o[0].reg, sz, r);                                 \
		if (T != T_DEAD)                                             \
			flags_set(c, lf, sz, a, n, r);                       \
		return OP_OK;                                                \
	}                                                                    \
	FAST_INLINE int name##4_b(struct cpu *c, const struct insn *i,       \
				  const int T)                               \
	{ return name##_b(c, i, 4, T); }                                     \
	FAST_INLINE int name##8_b(struct cpu *c, const struct insn *i,       \
				  const int T)                               \
	{ return name##_b(c, i, 8, T); }                                     \
	FAST_PAIR_NF(name##4) FAST_PAIR_NF(name##8)
SHIFT_RI(shl_ri, LF_SHL, a << n)
SHIFT_RI(shr_ri, LF_SHR, a >> n)
SHIFT_RI(sar_ri, LF_SAR, (uint64_t)(sz == 8 ? (int64_t)a >> n
					    : (int64_t)(int32_t)a >> n))

/* IMUL r, r/m (2 operands), 32 and 64 bits */
FAST_INLINE int imul8_do(struct cpu *c, const struct insn *i, uint64_t b,
			 const int T)
{
	__int128 p = (__int128)(int64_t)c->s.gpr[i->o[0].reg] * (int64_t)b;
	uint64_t lo = (uint64_t)p;

	c->s.gpr[i->o[0].reg] = lo;
	if (T == T_DEAD)
		return OP_OK;
	flags_set(c, LF_MUL, 8, 0, 0, lo);
	c->lf.cin = p != (__int128)(int64_t)lo;
	return OP_OK;
}

FAST_INLINE int imul4_do(struct cpu *c, const struct insn *i, uint64_t b,
			 const int T)
{
	int64_t p = (int64_t)(int32_t)c->s.gpr[i->o[0].reg] * (int32_t)b;
	uint64_t lo = (uint32_t)p;

	c->s.gpr[i->o[0].reg] = lo;
	if (T == T_DEAD)
		return OP_OK;
	flags_set(c, LF_MUL, 4, 0, 0, lo);
	c->lf.cin = p != (int64_t)(int32_t)lo;
	return OP_OK;
}

#define IMUL_FORMS(sz)                                                       \
	FAST_INLINE int imul_rr##sz##_b(struct cpu *c, const struct insn *i, \
					const int T)                         \
	{                                                                    \
		return imul##sz##_do(c, i, c->s.gpr[i->o[1].reg], T);        \
	}                                                                    \
	FAST_INLINE int imul_rm##sz##_b(struct cpu *c, const struct insn *i, \
					const int T)                         \
	{                                                                    \
		uint64_t b;                                                  \
		int rc = RD(T, EA(T), sz, &b);                               \
		return rc ? rc : imul##sz##_do(c, i, b, T);                  \
	}                                                                    \
	FAST_PAIR_NF(imul_rr##sz) FAST_PAIR_M(imul_rm##sz)
IMUL_FORMS(4)
IMUL_FORMS(8)

/* CMOVcc r32/r64, r32/r64 and SETcc r8 (not AH..BH) */
FAST_INLINE int cmov_rr4_b(struct cpu *c, const struct insn *i, const int T)
{
	uint64_t *d = &c->s.gpr[i->o[0].reg];

	(void)T;
	*d = (uint32_t)(flags_cond(c, i->cc) ? c->s.gpr[i->o[1].reg] : *d);
	return OP_OK;
}

FAST_INLINE int cmov_rr8_b(struct cpu *c, const struct insn *i, const int T)
{
	(void)T;
	if (flags_cond(c, i->cc))
		c->s.gpr[i->o[0].reg] = c->s.gpr[i->o[1].reg];
	return OP_OK;
}

FAST_INLINE int setcc_r_b(struct cpu *c, const struct insn *i, const int T)
{
	uint64_t *d = &c->s.gpr[i->o[0].reg];

	(void)T;
	*d = (*d & ~0xffull) | flags_cond(c, i->cc);
	return OP_OK;
}
FAST_PAIR(cmov_rr4) FAST_PAIR(cmov_rr8) FAST_PAIR(setcc_r)

/* PUSH r64, POP r64 */
FAST_INLINE int push_r_b(struct cpu *c, const struct insn *i, const int T)
{
	uint64_t rsp = c->s.gpr[X86_RSP] - 8;
	int rc = WR(T, rsp, 8, c->s.gpr[i->o[0].reg]);

	if (!rc)
		c->s.gpr[X86_RSP] = rsp;
	return rc;
}

FAST_INLINE int pop_r_b(struct cpu *c, const struct insn *i, const int T)
{
	uint64_t v;
	int rc = RD(T, c->s.gpr[X86_RSP], 8, &v);

	if (rc)
		return rc;
	c->s.gpr[X86_RSP] += 8;
	c->s.gpr[i->o[0].reg] = v;
	return OP_OK;
}
FAST_PAIR_M(push_r) FAST_PAIR_M(pop_r)

/* ---- control transfers: their twins end the block and link ------------- */

/* A Jcc twin whose condition needs the flags materialized (kept out of
 * line so the fast path makes no call). */
static int __attribute__((noinline)) t_jcc_slow(struct cpu *c,
					       const struct insn *i,
					       unsigned cc)
{
	uint64_t nr = c->blk_rip + i->off + i->len;

	if (flags_cond_slow(c, cc))
		nr += i->imm;
	return fast_branch(c, i, nr, 1);
}

/* Jcc with the condition fixed at decode time (the switch folds away) */
#define JCC(n)                                                               \
	static int jcc_##n(struct cpu *c, const struct insn *i)              \
	{                                                                    \
		if (flags_cond(c, n))                                        \
			c->next_rip += i->imm;                               \
		return OP_OK;                                                \
	}                                                                    \
	static int t_jcc_##n(struct cpu *c, const struct insn *i)            \
	{                                                                    \
		uint64_t nr = c->blk_rip + i->off + i->len;                  \
		int t = flags_cond_try(c, n);                                \
		if (__builtin_expect(t < 0, 0))                              \
			return t_jcc_slow(c, i, n);                          \
		if (t)                                                       \
			nr += i->imm;                                        \
		return fast_branch(c, i, nr, 1);                             \
	}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)

static const op_fn kJcc[16] = {
	jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
	jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15,
};

op_fn decode_jcc_handler(unsigned cc)
{
	return kJcc[cc & 15];
}

bool decode_is_jcc(op_fn fn)
{
	for (unsigned k = 0; k < 16; k++)
		if (fn == kJcc[k])
			return true;
	return false;
}

/* JMP rel */
static int jmp_rel(struct cpu *c, const struct insn *i)
{
	c->next_rip += i->imm;
	return OP_OK;
}

bool decode_is_jmp_rel(const struct insn *in)
{
	return in->exec == jmp_rel;
}

static int t_jmp_rel(struct cpu *c, const struct insn *i)
{
	return fast_branch(c, i, c->blk_rip + i->off + i->len + i->imm, 1);
}

/* CALL rel */
FAST_INLINE int call_rel_b(struct cpu *c, const struct insn *i, const int T,
			   uint64_t *target)
{
	uint64_t nr = NEXT_RIP(T), rsp = c->s.gpr[X86_RSP] - 8;
	int rc = WR(T, rsp, 8, nr);

	if (rc)
		return rc;
	c->s.gpr[X86_RSP] = rsp;
	*target = nr + i->imm;
	return OP_OK;
}

static int call_rel(struct cpu *c, const struct insn *i)
{
	return call_rel_b(c, i, 0, &c->next_rip);
}

static int t_call_rel(struct cpu *c, const struct insn *i)
{
	uint64_t t;

	if (__builtin_expect(call_rel_b(c, i, 2, &t) != 0, 0))
		return thread_generic(c, i);
	return fast_branch(c, i, t, 1);
}

/* RET, RET imm16 (near) */
FAST_INLINE int ret_near_b(struct cpu *c, const struct insn *i, const int T,
			   uint64_t *target)
{
	int rc = RD(T, c->s.gpr[X86_RSP], 8, target);

	if (rc)
		return rc;
	c->s.gpr[X86_RSP] += 8 + (i->nops ? (i->imm & 0xffff) : 0);
	return OP_OK;
}

static int ret_near(struct cpu *c, const struct insn *i)
{
	return ret_near_b(c, i, 0, &c->next_rip);
}

static int t_ret_near(struct cpu *c, const struct insn *i)
{
	uint64_t t;

	if (__builtin_expect(ret_near_b(c, i, 2, &t) != 0, 0))
		return thread_generic(c, i);
	return fast_branch(c, i, t, 1);
}

/* ---- choosing a form at decode time ------------------------------------- */

struct form {
	op_fn generic;
	/* [0] 32-bit, [1] 64-bit, [2] 8-bit, [3] 16-bit */
	op_fn rr[4], ri[4], rm[4], mr[4], mi[4];
};

#define F(g, n) { g, { n##_rr4, n##_rr8, n##_rrs, n##_rrs },                 \
		  { n##_ri4, n##_ri8, n##_ris, n##_ris },                     \
		  { n##_rm4, n##_rm8, NULL, NULL },                           \
		  { n##_mr4, n##_mr8, n##_mr1, n##_mr2 },                     \
		  { n##_mi4, n##_mi8, n##_mi1, n##_mi2 } }

static const struct form kForms[] = {
	{ op_mov, { mov_rr4, mov_rr8, mov_rr1, mov_rr2 },
	  { mov_ri4, mov_ri8, mov_ri1, mov_ri2 },
	  { mov_rm4, mov_rm8, mov_rm1, mov_rm2 },
	  { mov_mr4, mov_mr8, mov_mr1, mov_mr2 },
	  { mov_mi4, mov_mi8, mov_mi1, mov_mi2 } },
	F(op_add, add), F(op_sub, sub), F(op_cmp, cmp), F(op_and, and),
	F(op_or, or), F(op_xor, xor), F(op_test, test),
};

static op_fn specialize_control(const struct insn *in)
{
	const struct opnd *a = &in->o[0];

	if (in->exec == op_jmp && in->nops == 1 && a->kind == OPK_IMM)
		return jmp_rel;
	if (in->exec == op_call && in->nops == 1 && a->kind == OPK_IMM &&
	    in->osz == 8)
		return call_rel;
	if (in->exec == op_ret && in->osz == 8 &&
	    (in->nops == 0 || (in->nops == 1 && a->kind == OPK_IMM)))
		return ret_near;
	return NULL;
}

static op_fn specialize_misc(const struct insn *in)
{
	const struct opnd *a = &in->o[0], *b = &in->o[1];
	op_fn f = in->exec;
	bool r64 = a->kind == OPK_REG && a->size == 8;
	bool r32 = a->kind == OPK_REG && a->size == 4;

	if (f == op_push && in->nops == 1 && r64 && in->osz == 8)
		return push_r;
	if (f == op_pop && in->nops == 1 && r64)
		return pop_r;
	if (f == op_lea && (r64 || r32))
		return r64 ? lea_r8 : lea_r4;
	if ((f == op_shl || f == op_shr || f == op_sar) && in->nops == 2 &&
	    (r64 || r32) && b->kind == OPK_IMM &&
	    (in->imm & (r64 ? 63 : 31)) != 0) {
		if (f == op_shl)
			return r64 ? shl_ri8 : shl_ri4;
		return f == op_shr ? (r64 ? shr_ri8 : shr_ri4)
				   : (r64 ? sar_ri8 : sar_ri4);
	}
	if (f == op_imul && in->nops == 2 && (r64 || r32)) {
		if (b->kind == OPK_REG)
			return r64 ? imul_rr8 : imul_rr4;
		if (b->kind == OPK_MEM)
			return r64 ? imul_rm8 : imul_rm4;
		return NULL;
	}
	if (f == op_movzx && (r64 || r32) && (b->size == 1 || b->size == 2)) {
		if (b->kind == OPK_MEM)
			return b->size == 1 ? movzx_rm1 : movzx_rm2;
		if (b->kind == OPK_REG && b->reg < GPR_HIGH8)
			return b->size == 1 ? movzx_rr1 : movzx_rr2;
		return NULL;
	}
	if (f == op_movsx && (r64 || r32) && b->size < a->size) {
		if (b->kind == OPK_MEM)
			return movsx_rm;
		if (b->kind == OPK_REG && b->reg < GPR_HIGH8)
			return movsx_rr;
		return NULL;
	}
	if (f == op_cmovcc && (r64 || r32) && b->kind == OPK_REG)
		return r64 ? cmov_rr8 : cmov_rr4;
	if (f == op_setcc && a->kind == OPK_REG && a->reg < GPR_HIGH8)
		return setcc_r;
	return NULL;
}

void decode_specialize(struct insn *in)
{
	const struct opnd *a = &in->o[0], *b = &in->o[1];
	op_fn fn;
	unsigned k, w;

	for (k = 0; k < in->nops; k++)	/* twins need IF_EA_FAST addresses */
		if (in->o[k].kind == OPK_MEM && !(in->flags & IF_EA_FAST))
			return;
	if ((fn = specialize_control(in)) || (fn = specialize_misc(in))) {
		in->exec = fn;
		return;
	}
	if (in->nops != 2 || (b->kind != OPK_IMM && b->size != a->size))
		return;
	w = a->size == 8 ? 1 : a->size == 4 ? 0 : a->size == 1 ? 2 : 3;
	for (k = 0; k < sizeof(kForms) / sizeof(kForms[0]); k++) {
		const struct form *f = &kForms[k];

		if (f->generic != in->exec)
			continue;
		fn = NULL;
		if (a->kind == OPK_REG && b->kind == OPK_REG)
			fn = f->rr[w];
		else if (a->kind == OPK_REG && b->kind == OPK_IMM)
			fn = f->ri[w];
		else if (a->kind == OPK_REG && b->kind == OPK_MEM)
			fn = f->rm[w];
		else if (a->kind == OPK_MEM && b->kind == OPK_REG)
			fn = f->mr[w];
		else if (a->kind == OPK_MEM && b->kind == OPK_IMM)
			fn = f->mi[w];
		if (fn)
			in->exec = fn;
		return;
	}
}

/* ---- threaded twins ------------------------------------------------------ */

#define TW3(n) N(n##_rr4) N(n##_rr8) N(n##_ri4) N(n##_ri8) M(n##_rm4)       \
	M(n##_rm8) P(n##_rrs) P(n##_ris) M(n##_mr4) M(n##_mr8) M(n##_mi4)    \
	M(n##_mi8) M(n##_mr1) M(n##_mi1) M(n##_mr2) M(n##_mi2)

/* plain handler, twin (with an index register), twin without one, twin
 * without the flag record (reg-only forms that write all six flags and
 * read none: they also make the record of the instruction before them
 * dead) */
static const struct { op_fn plain, twin, twin_base, twin_nf; } kThreaded[] = {
#define P(name) { name, t_##name, NULL, NULL },
#define M(name) { name, t_##name, tb_##name, NULL },
#define N(name) { name, t_##name, NULL, tn_##name },
	P(mov_rr4) P(mov_ri4) M(mov_rm4) M(mov_mr4) M(mov_mi4)
	P(mov_rr8) P(mov_ri8) M(mov_rm8) M(mov_mr8) M(mov_mi8)
	P(mov_rr1) P(mov_ri1) M(mov_rm1) M(mov_mr1) M(mov_mi1)
	P(mov_rr2) P(mov_ri2) M(mov_rm2) M(mov_mr2) M(mov_mi2)
	M(lea_r8) M(lea_r4) M(movzx_rm1) M(movzx_rm2) P(movzx_rr1)
	P(movzx_rr2) P(movsx_rr) M(movsx_rm)
	TW3(add) TW3(sub) TW3(cmp) TW3(and) TW3(or) TW3(xor) TW3(test)
	N(shl_ri4) N(shr_ri4) N(sar_ri4) N(shl_ri8) N(shr_ri8) N(sar_ri8)
	N(imul_rr4) M(imul_rm4) N(imul_rr8) M(imul_rm8)
	P(cmov_rr4) P(cmov_rr8) P(setcc_r) M(push_r) M(pop_r)
	P(jcc_0) P(jcc_1) P(jcc_2) P(jcc_3) P(jcc_4) P(jcc_5) P(jcc_6)
	P(jcc_7) P(jcc_8) P(jcc_9) P(jcc_10) P(jcc_11) P(jcc_12) P(jcc_13)
	P(jcc_14) P(jcc_15) P(jmp_rel) P(call_rel) P(ret_near)
#undef P
#undef M
#undef N
};

/* kThreaded by plain handler: an open-addressing hash (index + 1, 0 =
 * empty), built once; decoding asks for every instruction. */
#define TW_HASH 1024u
static uint16_t kThreadedIndex[TW_HASH];
static pthread_once_t kThreadedOnce = PTHREAD_ONCE_INIT;

static unsigned threaded_hash(op_fn fn)
{
	return (unsigned)(((uint64_t)(uintptr_t)fn * 0x9e3779b97f4a7c15ull) >>
			  54);
}

static void threaded_index(void)
{
	for (unsigned k = 0; k < sizeof(kThreaded) / sizeof(kThreaded[0]); k++) {
		unsigned h = threaded_hash(kThreaded[k].plain);

		while (kThreadedIndex[h])
			h = (h + 1) & (TW_HASH - 1);
		kThreadedIndex[h] = (uint16_t)(k + 1);
	}
}

static int threaded_find(op_fn plain)
{
	pthread_once(&kThreadedOnce, threaded_index);
	for (unsigned h = threaded_hash(plain); kThreadedIndex[h];
	     h = (h + 1) & (TW_HASH - 1))
		if (kThreaded[kThreadedIndex[h] - 1].plain == plain)
			return kThreadedIndex[h] - 1;
	return -1;
}

/* Does (fn) write all six arithmetic flags, read none, and never fault
 * or leave the chain (a register form with a twin)? */
static bool writes_all_flags(op_fn fn)
{
	static const op_fn kSmall[] = {
		add_rrs, add_ris, sub_rrs, sub_ris, and_rrs, and_ris, or_rrs,
		or_ris, xor_rrs, xor_ris, cmp_rrs, cmp_ris, test_rrs,
		test_ris, cmp_rr4, cmp_rr8, cmp_ri4, cmp_ri8, test_rr4,
		test_rr8, test_ri4, test_ri8,
	};
	int k = threaded_find(fn);

	if (k >= 0 && kThreaded[k].twin_nf)
		return true;
	for (unsigned j = 0; j < sizeof(kSmall) / sizeof(kSmall[0]); j++)
		if (kSmall[j] == fn)
			return true;
	return false;
}

void decode_dead_flags(struct insn *a, const struct insn *b)
{
	int k = threaded_find(a->exec);

	if (k >= 0 && kThreaded[k].twin_nf && a->fn == kThreaded[k].twin &&
	    writes_all_flags(b->exec))
		a->fn = kThreaded[k].twin_nf;
}

static const struct { op_fn plain; const op_fn *fused; } kFused[] = {
#define P(name) { name, f_##name },
	FUSED_FORMS(P)
#undef P
};

void decode_fuse(struct insn *a, const struct insn *b)
{
	if (!decode_is_jcc(b->exec))
		return;
	for (unsigned k = 0; k < sizeof(kFused) / sizeof(kFused[0]); k++)
		if (a->exec == kFused[k].plain)
			a->fn = kFused[k].fused[b->cc & 15];
}

op_fn thread_entry(const struct insn *in)
{
	int k = threaded_find(in->exec);

	if (k < 0)
		return thread_generic;
	return kThreaded[k].twin_base && in->midx == GPR_NONE
	       ? kThreaded[k].twin_base : kThreaded[k].twin;
}
