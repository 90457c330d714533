/* flagops.c - CLC/STC/CMC/CLD/STD/LAHF/SAHF. */
#include "interp/flags.h"
#include "interp/ops.h"

int op_clc(struct cpu *c, const struct insn *i)
{
	(void)i;
	flags_put(c, X86_RFLAGS_CF, 0);
	return OP_OK;
}

int op_stc(struct cpu *c, const struct insn *i)
{
	(void)i;
	flags_put(c, X86_RFLAGS_CF, X86_RFLAGS_CF);
	return OP_OK;
}

int op_cmc(struct cpu *c, const struct insn *i)
{
	(void)i;
	flags_put(c, X86_RFLAGS_CF, ~flags_get(c));
	return OP_OK;
}

int op_cld(struct cpu *c, const struct insn *i)
{
	(void)i;
	c->s.rflags &= ~X86_RFLAGS_DF;
	return OP_OK;
}

int op_std(struct cpu *c, const struct insn *i)
{
	(void)i;
	c->s.rflags |= X86_RFLAGS_DF;
	return OP_OK;
}

int op_lahf(struct cpu *c, const struct insn *i)
{
	(void)i;
	reg_set(c, GPR_HIGH8, 1, flags_get(c) & 0xff);
	return OP_OK;
}

int op_sahf(struct cpu *c, const struct insn *i)
{
	uint64_t m = X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF |
		     X86_RFLAGS_ZF | X86_RFLAGS_SF;

	(void)i;
	flags_put(c, m, (c->s.gpr[X86_RAX] >> 8) & m);
	return OP_OK;
}
