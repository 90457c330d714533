/*
 * muldiv.c - MUL/IMUL/DIV/IDIV. CF=OF report a significant high half;
 * SF/ZF/PF (undefined) follow the low result as on Intel; AF is cleared.
 * DIV/IDIV raise #DE for a zero divisor or a quotient that does not fit;
 * they leave all flags unchanged (all undefined).
 */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

static void mul_flags(struct cpu *c, uint64_t lo, unsigned sz, bool ovf)
{
	flags_set(c, LF_MUL, sz, 0, 0, lo);
	c->lf.cin = ovf;
}

/* Store a double-width product hi:lo into AX (8-bit) or rDX:rAX. */
static void acc_store(struct cpu *c, unsigned sz, uint64_t lo, uint64_t hi)
{
	if (sz == 1) {
		reg_set(c, X86_RAX, 2, (lo & 0xff) | (hi & 0xff) << 8);
		return;
	}
	reg_set(c, X86_RAX, sz, lo);
	reg_set(c, X86_RDX, sz, hi);
}

int op_mul(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size, bits = sz * 8;
	uint64_t s, a = reg_get(c, X86_RAX, sz), lo, hi;
	u128 p;
	int rc = op_read(c, i, 0, &s);

	if (rc)
		return rc;
	p = (u128)a * s;
	lo = (uint64_t)p & size_mask(sz);
	hi = (uint64_t)(p >> bits) & size_mask(sz);
	acc_store(c, sz, lo, hi);
	mul_flags(c, lo, sz, hi != 0);
	return OP_OK;
}

int op_imul(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size, bits = sz * 8;
	uint64_t a, b, lo;
	s128 p;
	int rc;

	if (i->nops == 1) {
		if ((rc = op_read(c, i, 0, &b)))
			return rc;
		a = reg_get(c, X86_RAX, sz);
		p = (s128)sext(a, sz) * sext(b, sz);
		lo = (uint64_t)p & size_mask(sz);
		acc_store(c, sz, lo, (uint64_t)(p >> bits) & size_mask(sz));
		mul_flags(c, lo, sz, p != sext(lo, sz));
		return OP_OK;
	}
	if (i->nops == 3) {
		if ((rc = op_read(c, i, 1, &a)))
			return rc;
		b = i->imm;
	} else {
		a = reg_get(c, i->o[0].reg, sz);
		if ((rc = op_read(c, i, 1, &b)))
			return rc;
	}
	p = (s128)sext(a, sz) * sext(b, sz);
	lo = (uint64_t)p & size_mask(sz);
	reg_set(c, i->o[0].reg, sz, lo);
	mul_flags(c, lo, sz, p != sext(lo, sz));
	return OP_OK;
}

static void div_store(struct cpu *c, unsigned sz, uint64_t q, uint64_t r)
{
	if (sz == 1)
		reg_set(c, X86_RAX, 2, (q & 0xff) | (r & 0xff) << 8);
	else {
		reg_set(c, X86_RAX, sz, q);
		reg_set(c, X86_RDX, sz, r);
	}
}

static u128 dividend(struct cpu *c, unsigned sz)
{
	if (sz == 1)
		return reg_get(c, X86_RAX, 2);
	return ((u128)reg_get(c, X86_RDX, sz) << (sz * 8)) |
	       reg_get(c, X86_RAX, sz);
}

int op_div(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size;
	uint64_t s;
	u128 n, q;
	int rc = op_read(c, i, 0, &s);

	if (rc)
		return rc;
	if (s == 0)
		return cpu_fault(c, X86_VEC_DE);
	n = dividend(c, sz);
	q = n / s;
	if (q > size_mask(sz))
		return cpu_fault(c, X86_VEC_DE);
	div_store(c, sz, (uint64_t)q, (uint64_t)(n % s));
	return OP_OK;
}

int op_idiv(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->o[0].size, bits = sz * 8;
	uint64_t s;
	s128 n, d, q, max = ((s128)1 << (bits - 1)) - 1;
	int rc = op_read(c, i, 0, &s);

	if (rc)
		return rc;
	if (s == 0)
		return cpu_fault(c, X86_VEC_DE);
	d = sext(s, sz);
	if (sz == 8)
		n = (s128)dividend(c, 8);	/* two's complement reinterpret */
	else
		n = (s128)(int64_t)((uint64_t)dividend(c, sz) << (64 - 2 * bits)) >>
		    (64 - 2 * bits);
	if (sz == 8 && n == (s128)((u128)1 << 127) && d == -1)
		return cpu_fault(c, X86_VEC_DE);
	q = n / d;
	if (q > max || q < -max - 1)
		return cpu_fault(c, X86_VEC_DE);
	div_store(c, sz, (uint64_t)q & size_mask(sz),
		  (uint64_t)(n % d) & size_mask(sz));
	return OP_OK;
}
