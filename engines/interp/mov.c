/* mov.c - data movement: MOV/MOVZX/MOVSX(D)/LEA/XCHG/CMPXCHG/XADD/CMOVcc/
 * SETcc, the sign-extension family (CBW..CQO), BSWAP, MOVBE, NOP forms. */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"

int op_mov(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = op_read(c, i, 1, &v);

	return rc ? rc : op_write(c, i, 0, v);
}

int op_movzx(struct cpu *c, const struct insn *i)
{
	return op_mov(c, i);	/* op_read zero-extends */
}

int op_movsx(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = op_read(c, i, 1, &v);

	if (rc)
		return rc;
	return op_write(c, i, 0, (uint64_t)sext(v, i->o[1].size));
}

int op_lea(struct cpu *c, const struct insn *i)
{
	reg_set(c, i->o[0].reg, i->o[0].size, op_ea(c, i));
	return OP_OK;
}

int op_xchg(struct cpu *c, const struct insn *i)
{
	uint64_t a, b;
	int rc;

	if ((rc = op_read(c, i, 0, &a)) || (rc = op_read(c, i, 1, &b)))
		return rc;
	/* write the memory side first so a fault leaves registers intact */
	if (i->o[0].kind == OPK_MEM) {
		if ((rc = op_write(c, i, 0, b)))
			return rc;
		return op_write(c, i, 1, a);
	}
	if ((rc = op_write(c, i, 1, a)))
		return rc;
	return op_write(c, i, 0, b);
}

int op_cmpxchg(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size;
	uint64_t acc = reg_get(c, X86_RAX, sz), d, s;
	int rc;

	if ((rc = op_read(c, i, 0, &d)) || (rc = op_read(c, i, 1, &s)))
		return rc;
	if (acc == d) {
		rc = op_write(c, i, 0, s);
	} else {
		/* memory: the locked cycle writes back; a register
		 * destination is left untouched (upper half included) */
		if (i->o[0].kind == OPK_MEM)
			rc = op_write(c, i, 0, d);
		if (!rc)
			reg_set(c, X86_RAX, sz, d);
	}
	if (!rc)
		flags_set(c, LF_SUB, sz, acc, d, (acc - d) & size_mask(sz));
	return rc;
}

int op_xadd(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size;
	uint64_t d, s, r;
	int rc;

	if ((rc = op_read(c, i, 0, &d)) || (rc = op_read(c, i, 1, &s)))
		return rc;
	r = (d + s) & size_mask(sz);
	if (i->o[0].kind == OPK_MEM) {
		if ((rc = op_write(c, i, 0, r)))
			return rc;
		reg_set(c, i->o[1].reg, sz, d);
	} else {	/* XADD r, r: the destination is written last */
		reg_set(c, i->o[1].reg, sz, d);
		reg_set(c, i->o[0].reg, sz, r);
	}
	flags_set(c, LF_ADD, sz, d, s, r);
	return OP_OK;
}

int op_cmovcc(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = op_read(c, i, 1, &v);	/* the load happens either way */

	if (rc)
		return rc;
	if (flags_cond(c, i->cc))
		reg_set(c, i->o[0].reg, i->o[0].size, v);
	else if (i->o[0].size == 4)	/* 32-bit cmov always zero-extends */
		reg_set(c, i->o[0].reg, 4, reg_get(c, i->o[0].reg, 4));
	return OP_OK;
}

int op_setcc(struct cpu *c, const struct insn *i)
{
	return op_write(c, i, 0, flags_cond(c, i->cc));
}

int op_cbw(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg_set(c, X86_RAX, 2, (uint64_t)sext(c->s.gpr[X86_RAX], 1));
	return OP_OK;
}

int op_cwde(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg_set(c, X86_RAX, 4, (uint64_t)sext(c->s.gpr[X86_RAX], 2));
	return OP_OK;
}

int op_cdqe(struct cpu *c, const struct insn *i)
{
	(void)i;
	c->s.gpr[X86_RAX] = (uint64_t)sext(c->s.gpr[X86_RAX], 4);
	return OP_OK;
}

static int sign_to_rdx(struct cpu *c, unsigned sz)
{
	int64_t v = sext(c->s.gpr[X86_RAX], sz);

	reg_set(c, X86_RDX, sz, v < 0 ? ~0ull : 0);
	return OP_OK;
}

int op_cwd(struct cpu *c, const struct insn *i) { (void)i; return sign_to_rdx(c, 2); }
int op_cdq(struct cpu *c, const struct insn *i) { (void)i; return sign_to_rdx(c, 4); }
int op_cqo(struct cpu *c, const struct insn *i) { (void)i; return sign_to_rdx(c, 8); }

int op_bswap(struct cpu *c, const struct insn *i)
{
	unsigned r = i->o[0].reg;

	if (i->o[0].size == 8)
		c->s.gpr[r] = __builtin_bswap64(c->s.gpr[r]);
	else if (i->o[0].size == 4)
		reg_set(c, r, 4, __builtin_bswap32((uint32_t)c->s.gpr[r]));
	else
		reg_set(c, r, 2, 0);	/* BSWAP r16: undefined, Intel gives 0 */
	return OP_OK;
}

int op_movbe(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size;
	uint64_t v;
	int rc;

	if (!c->feat.movbe)
		return cpu_fault(c, X86_VEC_UD);
	if ((rc = op_read(c, i, 1, &v)))
		return rc;
	v = sz == 8 ? __builtin_bswap64(v)
	  : sz == 4 ? __builtin_bswap32((uint32_t)v)
		    : __builtin_bswap16((uint16_t)v);
	return op_write(c, i, 0, v);
}

int op_nop(struct cpu *c, const struct insn *i)
{
	(void)c;
	(void)i;
	return OP_OK;
}
