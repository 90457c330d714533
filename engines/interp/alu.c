/* alu.c - ADD/OR/ADC/SBB/AND/SUB/XOR/CMP/TEST, INC/DEC/NEG/NOT. */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"

/* Read-modify-write of operand 0: loads *a, remembers the address. */
static int dst_load(struct cpu *c, const struct insn *i, uint64_t *va,
		    uint64_t *a)
{
	if (i->o[0].kind == OPK_MEM) {
		*va = op_ea(c, i);
		return mem_read(c, *va, i->o[0].size, a);
	}
	*a = reg_get(c, i->o[0].reg, i->o[0].size);
	return OP_OK;
}

static int dst_store(struct cpu *c, const struct insn *i, uint64_t va,
		     uint64_t v)
{
	if (i->o[0].kind == OPK_MEM)
		return mem_write(c, va, i->o[0].size, v);
	reg_set(c, i->o[0].reg, i->o[0].size, v);
	return OP_OK;
}

enum { A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP, A_TEST };

static int alu(struct cpu *c, const struct insn *i, unsigned k)
{
	unsigned sz = i->o[0].size, lf = LF_LOGIC, cin = 0;
	uint64_t va = 0, a, b, r;
	int rc;

	if ((rc = op_read(c, i, 1, &b)) || (rc = dst_load(c, i, &va, &a)))
		return rc;
	switch (k) {
	case A_ADD: r = a + b; lf = LF_ADD; break;
	case A_ADC: cin = flags_cf(c); r = a + b + cin; lf = LF_ADC; break;
	case A_SBB: cin = flags_cf(c); r = a - b - cin; lf = LF_SBB; break;
	case A_SUB: case A_CMP: r = a - b; lf = LF_SUB; break;
	case A_OR: r = a | b; break;
	case A_XOR: r = a ^ b; break;
	default: r = a & b; break;
	}
	r &= size_mask(sz);
	if (k != A_CMP && k != A_TEST && (rc = dst_store(c, i, va, r)))
		return rc;
	flags_set(c, lf, sz, a, b, r);
	c->lf.cin = (uint8_t)cin;
	return OP_OK;
}

int op_add(struct cpu *c, const struct insn *i) { return alu(c, i, A_ADD); }
int op_or(struct cpu *c, const struct insn *i) { return alu(c, i, A_OR); }
int op_adc(struct cpu *c, const struct insn *i) { return alu(c, i, A_ADC); }
int op_sbb(struct cpu *c, const struct insn *i) { return alu(c, i, A_SBB); }
int op_and(struct cpu *c, const struct insn *i) { return alu(c, i, A_AND); }
int op_sub(struct cpu *c, const struct insn *i) { return alu(c, i, A_SUB); }
int op_xor(struct cpu *c, const struct insn *i) { return alu(c, i, A_XOR); }
int op_cmp(struct cpu *c, const struct insn *i) { return alu(c, i, A_CMP); }
int op_test(struct cpu *c, const struct insn *i) { return alu(c, i, A_TEST); }

static int incdec(struct cpu *c, const struct insn *i, bool inc)
{
	unsigned sz = i->o[0].size;
	uint64_t va = 0, a, r;
	uint8_t cin;
	int rc;

	if ((rc = dst_load(c, i, &va, &a)))
		return rc;
	r = (inc ? a + 1 : a - 1) & size_mask(sz);
	if ((rc = dst_store(c, i, va, r)))
		return rc;
	cin = flags_cf(c);
	flags_set(c, inc ? LF_INC : LF_DEC, sz, a, 1, r);
	c->lf.cin = cin;
	return OP_OK;
}

int op_inc(struct cpu *c, const struct insn *i) { return incdec(c, i, true); }
int op_dec(struct cpu *c, const struct insn *i) { return incdec(c, i, false); }

int op_neg(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size;
	uint64_t va = 0, a, r;
	int rc;

	if ((rc = dst_load(c, i, &va, &a)))
		return rc;
	r = (0 - a) & size_mask(sz);
	if ((rc = dst_store(c, i, va, r)))
		return rc;
	flags_set(c, LF_SUB, sz, 0, a, r);
	c->lf.cin = 0;
	return OP_OK;
}

int op_not(struct cpu *c, const struct insn *i)
{
	uint64_t va = 0, a;
	int rc;

	if ((rc = dst_load(c, i, &va, &a)))
		return rc;
	return dst_store(c, i, va, ~a & size_mask(i->o[0].size));
}
