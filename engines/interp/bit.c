/*
 * bit.c - BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT/POPCNT.
 *
 * BT* with a register offset and a memory operand address the bit string
 * starting at the operand: the signed offset selects the word. Flags: BT*
 * set CF and leave the rest alone (OF/SF/AF/PF are undefined; Intel
 * leaves them). BSF/BSR set ZF; a zero source leaves the destination
 * unchanged (as Intel and AMD do).
 */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"

enum { B_T, B_TS, B_TR, B_TC };

static int bittest(struct cpu *c, const struct insn *i, unsigned k)
{
	unsigned sz = i->o[0].size, bits = sz * 8;
	uint64_t off, v, va = 0, bit;
	int rc;

	if ((rc = op_read(c, i, 1, &off)))
		return rc;
	if (i->o[0].kind == OPK_MEM && i->o[1].kind == OPK_REG) {
		int64_t so = sext(off, i->o[1].size);
		va = op_ea(c, i) + (uint64_t)((so >> (sz == 8 ? 6 : sz == 4 ? 5 : 4)) * (int64_t)sz);
		off = (uint64_t)so & (bits - 1);
	} else {
		off &= bits - 1;
		if (i->o[0].kind == OPK_MEM)
			va = op_ea(c, i);
	}
	if (i->o[0].kind == OPK_MEM)
		rc = mem_read(c, va, sz, &v);
	else
		v = reg_get(c, i->o[0].reg, sz);
	if (rc)
		return rc;
	bit = (v >> off) & 1;
	if (k != B_T) {
		uint64_t nv = k == B_TS ? v | (1ull << off)
			    : k == B_TR ? v & ~(1ull << off) : v ^ (1ull << off);
		if (i->o[0].kind == OPK_MEM)
			rc = mem_write(c, va, sz, nv);
		else
			reg_set(c, i->o[0].reg, sz, nv);
		if (rc)
			return rc;
	}
	flags_put(c, X86_RFLAGS_CF, bit ? X86_RFLAGS_CF : 0);
	return OP_OK;
}

int op_bt(struct cpu *c, const struct insn *i) { return bittest(c, i, B_T); }
int op_bts(struct cpu *c, const struct insn *i) { return bittest(c, i, B_TS); }
int op_btr(struct cpu *c, const struct insn *i) { return bittest(c, i, B_TR); }
int op_btc(struct cpu *c, const struct insn *i) { return bittest(c, i, B_TC); }

static int bitscan(struct cpu *c, const struct insn *i, bool reverse)
{
	unsigned sz = i->o[0].size;
	uint64_t s;
	int rc = op_read(c, i, 1, &s);

	if (rc)
		return rc;
	if (s == 0) {
		flags_put(c, X86_RFLAGS_ZF, X86_RFLAGS_ZF);
		return OP_OK;
	}
	reg_set(c, i->o[0].reg, sz,
		reverse ? 63 - (unsigned)__builtin_clzll(s)
			: (unsigned)__builtin_ctzll(s));
	flags_put(c, X86_RFLAGS_ZF, 0);
	return OP_OK;
}

int op_bsf(struct cpu *c, const struct insn *i) { return bitscan(c, i, false); }
int op_bsr(struct cpu *c, const struct insn *i) { return bitscan(c, i, true); }

static int count_op(struct cpu *c, const struct insn *i, unsigned k)
{
	unsigned sz = i->o[0].size, bits = sz * 8;
	uint64_t s, r, f = 0;
	int rc = op_read(c, i, 1, &s);

	if (rc)
		return rc;
	if (k == 0) {			/* TZCNT */
		r = s ? (uint64_t)__builtin_ctzll(s) : bits;
		f = (s ? 0 : X86_RFLAGS_CF) | (r ? 0 : X86_RFLAGS_ZF);
	} else if (k == 1) {		/* LZCNT */
		r = s ? (uint64_t)(__builtin_clzll(s) - (64 - bits)) : bits;
		f = (s ? 0 : X86_RFLAGS_CF) | (r ? 0 : X86_RFLAGS_ZF);
	} else {			/* POPCNT */
		r = (uint64_t)__builtin_popcountll(s);
		f = s ? 0 : X86_RFLAGS_ZF;
		reg_set(c, i->o[0].reg, sz, r);
		flags_put(c, FLAGS_ARITH, f);
		return OP_OK;
	}
	reg_set(c, i->o[0].reg, sz, r);
	flags_put(c, X86_RFLAGS_CF | X86_RFLAGS_ZF, f);
	return OP_OK;
}

int op_tzcnt(struct cpu *c, const struct insn *i)
{
	return c->feat.bmi1 ? count_op(c, i, 0) : bitscan(c, i, false);
}

int op_lzcnt(struct cpu *c, const struct insn *i)
{
	return c->feat.lzcnt ? count_op(c, i, 1) : bitscan(c, i, true);
}

int op_popcnt(struct cpu *c, const struct insn *i)
{
	return c->feat.popcnt ? count_op(c, i, 2) : cpu_fault(c, X86_VEC_UD);
}
