/*
 * fast.c - specialized handlers for the most frequent operand forms
 * (32/64-bit register, immediate and memory forms of MOV, MOVZX, the
 * flag-setting ALU ops, INC/DEC, PUSH/POP). Each is the generic handler
 * with the operand kinds and size fixed at decode time, so the compiler
 * drops the operand switches. decode_specialize() picks them; anything
 * else keeps its generic handler, which stays the reference semantics.
 */
#include "interp/decode.h"
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"
#include "interp/stack.h"
#include "interp/thread.h"

/* reg_set for a constant 4/8 size: 32-bit writes zero-extend. */
#define SETR(c, r, sz, v) ((c)->s.gpr[r] = (sz) == 8 ? (v) : (uint32_t)(v))
#define GETR(c, r, sz) ((sz) == 8 ? (c)->s.gpr[r] : (uint32_t)(c)->s.gpr[r])
#define IMM(i, sz) ((sz) == 8 ? (i)->imm : (uint32_t)(i)->imm)

#define MOV_FORMS(sz)                                                        \
	static int mov_rr##sz(struct cpu *c, const struct insn *i)           \
	{                                                                    \
		SETR(c, i->o[0].reg, sz, GETR(c, i->o[1].reg, sz));          \
		return OP_OK;                                                \
	}                                                                    \
	static int mov_ri##sz(struct cpu *c, const struct insn *i)           \
	{                                                                    \
		SETR(c, i->o[0].reg, sz, IMM(i, sz));                        \
		return OP_OK;                                                \
	}                                                                    \
	static int mov_rm##sz(struct cpu *c, const struct insn *i)           \
	{                                                                    \
		uint64_t v;                                                  \
		int rc = mem_read(c, op_ea(c, i), sz, &v);                   \
		if (!rc)                                                     \
			SETR(c, i->o[0].reg, sz, v);                         \
		return rc;                                                   \
	}                                                                    \
	static int mov_mr##sz(struct cpu *c, const struct insn *i)           \
	{                                                                    \
		return mem_write(c, op_ea(c, i), sz, GETR(c, i->o[1].reg, sz)); \
	}                                                                    \
	static int mov_mi##sz(struct cpu *c, const struct insn *i)           \
	{                                                                    \
		return mem_write(c, op_ea(c, i), sz, IMM(i, sz));            \
	}
MOV_FORMS(4)
MOV_FORMS(8)

/* MOV with 8/16-bit operands (AH..BH included): registers merge */
static int mov_rrs(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size;

	reg_set(c, i->o[0].reg, sz, reg_get(c, i->o[1].reg, sz));
	return OP_OK;
}

static int mov_ris(struct cpu *c, const struct insn *i)
{
	reg_set(c, i->o[0].reg, i->o[0].size, i->imm);
	return OP_OK;
}

static int mov_rms(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = mem_read(c, op_ea(c, i), i->o[0].size, &v);

	if (!rc)
		reg_set(c, i->o[0].reg, i->o[0].size, v);
	return rc;
}

static int mov_mrs(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size;

	return mem_write(c, op_ea(c, i), sz, reg_get(c, i->o[1].reg, sz));
}

static int mov_mis(struct cpu *c, const struct insn *i)
{
	return mem_write(c, op_ea(c, i), i->o[0].size, i->imm);
}

/* LEA r64 / r32 (the address computed at its address size) */
static int lea_r8(struct cpu *c, const struct insn *i)
{
	c->s.gpr[i->o[0].reg] = op_ea(c, i);
	return OP_OK;
}

static int lea_r4(struct cpu *c, const struct insn *i)
{
	c->s.gpr[i->o[0].reg] = (uint32_t)op_ea(c, i);
	return OP_OK;
}

/* JMP rel */
static int jmp_rel(struct cpu *c, const struct insn *i)
{
	c->next_rip += i->imm;
	return OP_OK;
}

/* MOVZX r32/r64, m8/m16 and r, r8 (not AH..BH) */
static int movzx_rm(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = mem_read(c, op_ea(c, i), i->o[1].size, &v);

	if (!rc)
		c->s.gpr[i->o[0].reg] = v;	/* zero-extends to 64 */
	return rc;
}

static int movzx_rr(struct cpu *c, const struct insn *i)
{
	c->s.gpr[i->o[0].reg] = c->s.gpr[i->o[1].reg] & size_mask(i->o[1].size);
	return OP_OK;
}

#define ALU_OP(name, lf, expr, write)                                        \
	static inline int name##_do(struct cpu *c, const struct insn *i,     \
				    unsigned sz, uint64_t b)                 \
	{                                                                    \
		uint64_t a = GETR(c, i->o[0].reg, sz), r = (expr);            \
		if (sz == 4)                                                 \
			r = (uint32_t)r;                                     \
		if (write)                                                   \
			SETR(c, i->o[0].reg, sz, r);                         \
		flags_set(c, lf, sz, a, b, r);                               \
		return OP_OK;                                                \
	}                                                                    \
	static int name##_rr4(struct cpu *c, const struct insn *i)           \
	{ return name##_do(c, i, 4, GETR(c, i->o[1].reg, 4)); }              \
	static int name##_rr8(struct cpu *c, const struct insn *i)           \
	{ return name##_do(c, i, 8, c->s.gpr[i->o[1].reg]); }                \
	static int name##_ri4(struct cpu *c, const struct insn *i)           \
	{ return name##_do(c, i, 4, (uint32_t)i->imm); }                     \
	static int name##_ri8(struct cpu *c, const struct insn *i)           \
	{ return name##_do(c, i, 8, i->imm); }                               \
	static int name##_rm4(struct cpu *c, const struct insn *i)           \
	{                                                                    \
		uint64_t b;                                                  \
		int rc = mem_read(c, op_ea(c, i), 4, &b);                    \
		return rc ? rc : name##_do(c, i, 4, b);                      \
	}                                                                    \
	static int name##_rm8(struct cpu *c, const struct insn *i)           \
	{                                                                    \
		uint64_t b;                                                  \
		int rc = mem_read(c, op_ea(c, i), 8, &b);                    \
		return rc ? rc : name##_do(c, i, 8, b);                      \
	}                                                                    \
	/* 8/16-bit register forms (AH..BH included) */                      \
	static int name##_small(struct cpu *c, const struct insn *i,         \
				uint64_t b)                                  \
	{                                                                    \
		unsigned sz = i->o[0].size;                                  \
		uint64_t a = reg_get(c, i->o[0].reg, sz);                    \
		uint64_t r = (expr) & size_mask(sz);                         \
		if (write)                                                   \
			reg_set(c, i->o[0].reg, sz, r);                      \
		flags_set(c, lf, sz, a, b, r);                               \
		return OP_OK;                                                \
	}                                                                    \
	/* memory destination, register or immediate source, any size */   \
	static int name##_mx(struct cpu *c, const struct insn *i)            \
	{                                                                    \
		unsigned sz = i->o[0].size;                                  \
		uint64_t va = op_ea(c, i), a, r, b = i->o[1].kind == OPK_IMM \
			? i->imm & size_mask(sz)                             \
			: reg_get(c, i->o[1].reg, sz);                       \
		int rc = mem_read(c, va, sz, &a);                            \
		if (rc)                                                      \
			return rc;                                           \
		r = (expr) & size_mask(sz);                                  \
		if (write && (rc = mem_write(c, va, sz, r)))                 \
			return rc;                                           \
		flags_set(c, lf, sz, a, b, r);                               \
		return OP_OK;                                                \
	}                                                                    \
	static int name##_rrs(struct cpu *c, const struct insn *i)           \
	{ return name##_small(c, i, reg_get(c, i->o[1].reg, i->o[0].size)); }\
	static int name##_ris(struct cpu *c, const struct insn *i)           \
	{ return name##_small(c, i, i->imm & size_mask(i->o[0].size)); }

ALU_OP(add, LF_ADD, a + b, 1)
ALU_OP(sub, LF_SUB, a - b, 1)
ALU_OP(cmp, LF_SUB, a - b, 0)
ALU_OP(and, LF_LOGIC, a & b, 1)
ALU_OP(or, LF_LOGIC, a | b, 1)
ALU_OP(xor, LF_LOGIC, a ^ b, 1)
ALU_OP(test, LF_LOGIC, a & b, 0)

static int push_r(struct cpu *c, const struct insn *i)
{
	return stack_push(c, 8, c->s.gpr[i->o[0].reg]);
}

static int pop_r(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = mem_read(c, c->s.gpr[X86_RSP], 8, &v);

	if (rc)
		return rc;
	c->s.gpr[X86_RSP] += 8;
	c->s.gpr[i->o[0].reg] = v;
	return OP_OK;
}

/* IMUL r64, r/m64 (2 operands) */
static int imul_r8(struct cpu *c, const struct insn *i, uint64_t b)
{
	__int128 p = (__int128)(int64_t)c->s.gpr[i->o[0].reg] * (int64_t)b;
	uint64_t lo = (uint64_t)p;

	c->s.gpr[i->o[0].reg] = lo;
	flags_set(c, LF_MUL, 8, 0, 0, lo);
	c->lf.cin = p != (__int128)(int64_t)lo;
	return OP_OK;
}

static int imul_rr8(struct cpu *c, const struct insn *i)
{
	return imul_r8(c, i, c->s.gpr[i->o[1].reg]);
}

static int imul_rm8(struct cpu *c, const struct insn *i)
{
	uint64_t b;
	int rc = mem_read(c, op_ea(c, i), 8, &b);

	return rc ? rc : imul_r8(c, i, b);
}

/* IMUL r32, r/m32 (2 operands) */
static int imul_r4(struct cpu *c, const struct insn *i, uint64_t b)
{
	int64_t p = (int64_t)(int32_t)c->s.gpr[i->o[0].reg] * (int32_t)b;
	uint64_t lo = (uint32_t)p;

	c->s.gpr[i->o[0].reg] = lo;
	flags_set(c, LF_MUL, 4, 0, 0, lo);
	c->lf.cin = p != (int64_t)(int32_t)lo;
	return OP_OK;
}

static int imul_rr4(struct cpu *c, const struct insn *i)
{
	return imul_r4(c, i, c->s.gpr[i->o[1].reg]);
}

static int imul_rm4(struct cpu *c, const struct insn *i)
{
	uint64_t b;
	int rc = mem_read(c, op_ea(c, i), 4, &b);

	return rc ? rc : imul_r4(c, i, b);
}

/* SHL/SHR/SAR r32/r64, imm8 with lazy flags */
#define SHIFT_RI(name, lf, expr)                                             	static int name(struct cpu *c, const struct insn *i)                 	{                                                                    		unsigned sz = i->o[0].size;                                  		unsigned n = (unsigned)(i->imm & (sz == 8 ? 63 : 31));       		uint64_t a = GETR(c, i->o[0].reg, sz), r;                     		if (n == 0) {                                                			SETR(c, i->o[0].reg, sz, a);                         			return OP_OK;                                        		}                                                            		r = (expr) & size_mask(sz);                                  		SETR(c, i->o[0].reg, sz, r);                                 		flags_set(c, lf, sz, a, n, r);                               		return OP_OK;                                                	}
SHIFT_RI(shl_ri, LF_SHL, a << n)
SHIFT_RI(shr_ri, LF_SHR, a >> n)
SHIFT_RI(sar_ri, LF_SAR, (uint64_t)(sz == 8 ? (int64_t)a >> n
					    : (int64_t)(int32_t)a >> n))

/* Jcc with the condition fixed at decode time (the switch folds away) */
#define JCC(n)                                                               \
	static int jcc_##n(struct cpu *c, const struct insn *i)              \
	{                                                                    \
		if (flags_cond(c, n))                                        \
			c->next_rip += i->imm;                               \
		return OP_OK;                                                \
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

struct form {
	op_fn generic;
	/* [0] 32-bit, [1] 64-bit, [2] 8/16-bit */
	op_fn rr[3], ri[3], rm[3], mr[3], mi[3];
};

#define F(g, n) { g, { n##_rr4, n##_rr8, n##_rrs },                          \
		  { n##_ri4, n##_ri8, n##_ris }, { n##_rm4, n##_rm8, NULL },  \
		  { n##_mx, n##_mx, n##_mx }, { n##_mx, n##_mx, n##_mx } }

static const struct form kForms[] = {
	{ op_mov, { mov_rr4, mov_rr8, mov_rrs }, { mov_ri4, mov_ri8, mov_ris },
	  { mov_rm4, mov_rm8, mov_rms }, { mov_mr4, mov_mr8, mov_mrs },
	  { mov_mi4, mov_mi8, mov_mis } },
	F(op_add, add), F(op_sub, sub), F(op_cmp, cmp), F(op_and, and),
	F(op_or, or), F(op_xor, xor), F(op_test, test),
};

void decode_specialize(struct insn *in)
{
	const struct opnd *a = &in->o[0], *b = &in->o[1];
	unsigned k, w;

	if (in->fn == op_push && in->nops == 1 && a->kind == OPK_REG &&
	    a->size == 8 && in->osz == 8) {
		in->fn = push_r;
		return;
	}
	if (in->fn == op_lea && a->kind == OPK_REG &&
	    (a->size == 8 || a->size == 4)) {
		in->fn = a->size == 8 ? lea_r8 : lea_r4;
		return;
	}
	if (in->fn == op_jmp && in->nops == 1 && a->kind == OPK_IMM) {
		in->fn = jmp_rel;
		return;
	}
	if (in->fn == op_pop && in->nops == 1 && a->kind == OPK_REG &&
	    a->size == 8) {
		in->fn = pop_r;
		return;
	}
	if ((in->fn == op_shl || in->fn == op_shr || in->fn == op_sar) &&
	    in->nops == 2 && a->kind == OPK_REG && b->kind == OPK_IMM &&
	    (a->size == 4 || a->size == 8)) {
		in->fn = in->fn == op_shl ? shl_ri
		       : in->fn == op_shr ? shr_ri : sar_ri;
		return;
	}
	if (in->fn == op_imul && in->nops == 2 && a->kind == OPK_REG &&
	    (a->size == 8 || a->size == 4)) {
		bool w = a->size == 8;
		if (b->kind == OPK_REG)
			in->fn = w ? imul_rr8 : imul_rr4;
		else if (b->kind == OPK_MEM)
			in->fn = w ? imul_rm8 : imul_rm4;
		return;
	}
	if (in->fn == op_movzx && a->kind == OPK_REG && a->size >= 4 &&
	    b->size < 4) {
		if (b->kind == OPK_MEM)
			in->fn = movzx_rm;
		else if (b->kind == OPK_REG && b->reg < GPR_HIGH8)
			in->fn = movzx_rr;
		return;
	}
	if (in->nops != 2 || (b->kind != OPK_IMM && b->size != a->size))
		return;
	w = a->size == 8 ? 1 : a->size == 4 ? 0 : 2;
	for (k = 0; k < sizeof(kForms) / sizeof(kForms[0]); k++) {
		const struct form *f = &kForms[k];
		op_fn fn = NULL;

		if (f->generic != in->fn)
			continue;
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
			in->fn = fn;
		return;
	}
}

/* ---- threaded twins (thread.h) ------------------------------------------ */

#define T(name)                                                              \
	static int __attribute__((flatten))                                  \
	t_##name(struct cpu *c, const struct insn *i)                        \
	{                                                                    \
		int rc = name(c, i);                                         \
		return rc ? rc : thread_next(c, i);                          \
	}
T(mov_rr4) T(mov_ri4) T(mov_rm4) T(mov_mr4)
T(mov_mi4) T(mov_rr8) T(mov_ri8) T(mov_rm8)
T(mov_mr8) T(mov_mi8) T(mov_rrs) T(mov_ris)
T(mov_rms) T(mov_mrs) T(mov_mis) T(movzx_rm)
T(movzx_rr) T(add_rr4) T(add_rr8) T(add_ri4)
T(add_ri8) T(add_rm4) T(add_rm8) T(add_mx)
T(add_rrs) T(add_ris) T(sub_rr4) T(sub_rr8)
T(sub_ri4) T(sub_ri8) T(sub_rm4) T(sub_rm8)
T(sub_mx) T(sub_rrs) T(sub_ris) T(cmp_rr4)
T(cmp_rr8) T(cmp_ri4) T(cmp_ri8) T(cmp_rm4)
T(cmp_rm8) T(cmp_mx) T(cmp_rrs) T(cmp_ris)
T(and_rr4) T(and_rr8) T(and_ri4) T(and_ri8)
T(and_rm4) T(and_rm8) T(and_mx) T(and_rrs)
T(and_ris) T(or_rr4) T(or_rr8) T(or_ri4)
T(or_ri8) T(or_rm4) T(or_rm8) T(or_mx)
T(or_rrs) T(or_ris) T(xor_rr4) T(xor_rr8)
T(xor_ri4) T(xor_ri8) T(xor_rm4) T(xor_rm8)
T(xor_mx) T(xor_rrs) T(xor_ris) T(test_rr4)
T(test_rr8) T(test_ri4) T(test_ri8) T(test_rm4)
T(test_rm8) T(test_mx) T(test_rrs) T(test_ris)
T(push_r) T(pop_r) T(imul_rr8) T(imul_rm8)
T(lea_r8) T(lea_r4) T(jmp_rel)
T(imul_rr4) T(imul_rm4) T(shl_ri) T(shr_ri)
T(sar_ri) T(jcc_0) T(jcc_1) T(jcc_2)
T(jcc_3) T(jcc_4) T(jcc_5) T(jcc_6)
T(jcc_7) T(jcc_8) T(jcc_9) T(jcc_10)
T(jcc_11) T(jcc_12) T(jcc_13) T(jcc_14)
T(jcc_15)

int thread_generic(struct cpu *c, const struct insn *i)
{
	int rc = i->exec(c, i);

	return rc ? rc : thread_next(c, i);
}

int thread_end(struct cpu *c, const struct insn *i)
{
	(void)c;
	(void)i;
	return OP_OK;
}

/* ---- CMP/TEST fused with the Jcc after it (threaded only) --------------- */

/* Condition (cc) after CMP a, b (masked to sz bytes), or -1 for the lazy
 * record to decide (O, S, P). */
static inline int cond_sub(unsigned cc, uint64_t a, uint64_t b, unsigned sz)
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

/* Condition (cc) after TEST with result r (sz bytes): CF = OF = 0. */
static inline int cond_logic(unsigned cc, uint64_t r, unsigned sz)
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

/*
 * CMP/TEST then the block-ending Jcc (i + 1) in one step: records the
 * flags, retires both instructions and ends the chain (the Jcc is the
 * block's last instruction). Only a memory operand's read can fault, and
 * it does before anything is committed or counted.
 */
#define FUSED(name, logic, load)                                             \
	static int __attribute__((flatten))                                  \
	f_##name(struct cpu *c, const struct insn *i)                        \
	{                                                                    \
		const struct insn *j = i + 1;                                \
		uint64_t a, b, r, nr;                                        \
		unsigned sz;                                                 \
		int t;                                                       \
		load                                                         \
		r = (logic ? a & b : a - b) & size_mask(sz);                 \
		flags_set(c, logic ? LF_LOGIC : LF_SUB, sz, a, b, r);        \
		t = logic ? cond_logic(j->cc, r, sz)                         \
			  : cond_sub(j->cc, a, b, sz);                       \
		if (t < 0)                                                   \
			t = flags_cond_slow(c, j->cc);                       \
		nr = c->next_rip + j->len;                                   \
		if (t)                                                       \
			nr += j->imm;                                        \
		c->s.rip = nr;                                               \
		c->icount += 2;                                              \
		return OP_OK;                                                \
	}
/* operand loads: a = first operand, b = second, sz = size */
#define L_RR(n) sz = n; a = GETR(c, i->o[0].reg, n); b = GETR(c, i->o[1].reg, n);
#define L_RI(n) sz = n; a = GETR(c, i->o[0].reg, n); b = IMM(i, n);
#define L_RM(n)                                                              \
	sz = n;                                                              \
	a = GETR(c, i->o[0].reg, n);                                         \
	if ((t = mem_read(c, op_ea(c, i), n, &b)))                           \
		return t;
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
	if ((t = mem_read(c, op_ea(c, i), sz, &a)))                          \
		return t;

#define FUSED_FORMS(op, logic)                                               \
	FUSED(op##_rr4, logic, L_RR(4)) FUSED(op##_rr8, logic, L_RR(8))      \
	FUSED(op##_ri4, logic, L_RI(4)) FUSED(op##_ri8, logic, L_RI(8))      \
	FUSED(op##_rm4, logic, L_RM(4)) FUSED(op##_rm8, logic, L_RM(8))      \
	FUSED(op##_rrs, logic, L_RRS) FUSED(op##_ris, logic, L_RIS)          \
	FUSED(op##_mx, logic, L_MX)
FUSED_FORMS(cmp, 0)
FUSED_FORMS(test, 1)

#define FP(op) { op##_rr4, f_##op##_rr4 }, { op##_rr8, f_##op##_rr8 },       \
	{ op##_ri4, f_##op##_ri4 }, { op##_ri8, f_##op##_ri8 },              \
	{ op##_rm4, f_##op##_rm4 }, { op##_rm8, f_##op##_rm8 },              \
	{ op##_rrs, f_##op##_rrs }, { op##_ris, f_##op##_ris },              \
	{ op##_mx, f_##op##_mx }
static const struct { op_fn plain, fused; } kFused[] = { FP(cmp), FP(test) };

void decode_fuse(struct insn *a, const struct insn *b)
{
	bool jcc = false;

	for (unsigned k = 0; k < 16; k++)
		jcc |= b->exec == kJcc[k];
	if (!jcc)
		return;
	for (unsigned k = 0; k < sizeof(kFused) / sizeof(kFused[0]); k++)
		if (a->exec == kFused[k].plain)
			a->fn = kFused[k].fused;
}

static const struct { op_fn plain, threaded; } kThreaded[] = {
#define P(name) { name, t_##name },
	P(mov_rr4) P(mov_ri4) P(mov_rm4)
	P(mov_mr4) P(mov_mi4) P(mov_rr8)
	P(mov_ri8) P(mov_rm8) P(mov_mr8)
	P(mov_mi8) P(mov_rrs) P(mov_ris)
	P(mov_rms) P(mov_mrs) P(mov_mis)
	P(movzx_rm) P(movzx_rr) P(add_rr4)
	P(add_rr8) P(add_ri4) P(add_ri8)
	P(add_rm4) P(add_rm8) P(add_mx)
	P(add_rrs) P(add_ris) P(sub_rr4)
	P(sub_rr8) P(sub_ri4) P(sub_ri8)
	P(sub_rm4) P(sub_rm8) P(sub_mx)
	P(sub_rrs) P(sub_ris) P(cmp_rr4)
	P(cmp_rr8) P(cmp_ri4) P(cmp_ri8)
	P(cmp_rm4) P(cmp_rm8) P(cmp_mx)
	P(cmp_rrs) P(cmp_ris) P(and_rr4)
	P(and_rr8) P(and_ri4) P(and_ri8)
	P(and_rm4) P(and_rm8) P(and_mx)
	P(and_rrs) P(and_ris) P(or_rr4)
	P(or_rr8) P(or_ri4) P(or_ri8)
	P(or_rm4) P(or_rm8) P(or_mx)
	P(or_rrs) P(or_ris) P(xor_rr4)
	P(xor_rr8) P(xor_ri4) P(xor_ri8)
	P(xor_rm4) P(xor_rm8) P(xor_mx)
	P(xor_rrs) P(xor_ris) P(test_rr4)
	P(test_rr8) P(test_ri4) P(test_ri8)
	P(test_rm4) P(test_rm8) P(test_mx)
	P(lea_r8) P(lea_r4) P(jmp_rel)
	P(test_rrs) P(test_ris) P(push_r)
	P(pop_r) P(imul_rr8) P(imul_rm8)
	P(imul_rr4) P(imul_rm4) P(shl_ri)
	P(shr_ri) P(sar_ri) P(jcc_0)
	P(jcc_1) P(jcc_2) P(jcc_3)
	P(jcc_4) P(jcc_5) P(jcc_6)
	P(jcc_7) P(jcc_8) P(jcc_9)
	P(jcc_10) P(jcc_11) P(jcc_12)
	P(jcc_13) P(jcc_14) P(jcc_15)
#undef P
};

op_fn thread_entry(op_fn fn)
{
	for (unsigned k = 0; k < sizeof(kThreaded) / sizeof(kThreaded[0]); k++)
		if (kThreaded[k].plain == fn)
			return kThreaded[k].threaded;
	return thread_generic;
}
