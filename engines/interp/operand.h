/*
 * operand.h - reading and writing the operands of a decoded instruction:
 * effective addresses (base + index*scale + disp, RIP-relative from the
 * next instruction, FS/GS base, 32-bit address-size wrap), registers with
 * the partial-write rules, immediates.
 */
#ifndef VMB_INTERP_OPERAND_H
#define VMB_INTERP_OPERAND_H

#include "interp/mem.h"

static inline uint64_t op_ea(const struct cpu *c, const struct insn *i)
{
	uint64_t a = (uint64_t)i->disp;

	if (__builtin_expect(i->flags & IF_EA_FAST, 1))
		return a + cpu_u64_at(c, i->ea_base) +
		       (cpu_u64_at(c, i->ea_idx) << i->mscale);
	if (i->mbase != GPR_NONE)
		a += i->mbase == GPR_RIP ? c->next_rip : c->s.gpr[i->mbase];
	if (i->midx != GPR_NONE)
		a += c->s.gpr[i->midx] << i->mscale;
	if (i->asz == 4)
		a = (uint32_t)a;
	if (i->mseg != GPR_NONE)
		a += c->s.seg[i->mseg].base;
	return a;
}

/* Read operand (n) zero-extended to 64 bits. */
static inline int op_read(struct cpu *c, const struct insn *i, unsigned n,
			  uint64_t *v)
{
	const struct opnd *o = &i->o[n];

	switch (o->kind) {
	case OPK_REG:
		*v = reg_get(c, o->reg, o->size);
		return OP_OK;
	case OPK_MEM:
		return mem_read(c, op_ea(c, i), o->size, v);
	default:
		*v = i->imm & size_mask(o->size);
		return OP_OK;
	}
}

/* Write operand (n) (register or memory) with (v). */
static inline int op_write(struct cpu *c, const struct insn *i, unsigned n,
			   uint64_t v)
{
	const struct opnd *o = &i->o[n];

	if (o->kind == OPK_REG) {
		reg_set(c, o->reg, o->size, v);
		return OP_OK;
	}
	return mem_write(c, op_ea(c, i), o->size, v);
}

/* The immediate of (i) sign-extended from its encoding, masked to (size). */
static inline uint64_t op_imm(const struct insn *i, unsigned size)
{
	return i->imm & size_mask(size);
}

#endif /* VMB_INTERP_OPERAND_H */
