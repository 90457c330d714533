/* control.c - stack and control transfer: PUSH/POP/CALL/RET/JMP/Jcc/
 * LEAVE/ENTER/PUSHFQ/POPFQ/JRCXZ/LOOP*. */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"
#include "interp/stack.h"

int op_push(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc;

	if (i->o[0].kind == OPK_SREG)
		v = c->s.seg[i->o[0].reg].selector;
	else if (i->o[0].kind == OPK_IMM)
		v = i->imm;
	else if ((rc = op_read(c, i, 0, &v)))
		return rc;
	return stack_push(c, i->osz, v);
}

int op_pop(struct cpu *c, const struct insn *i)
{
	uint64_t v, rsp = c->s.gpr[X86_RSP];
	int rc;

	if (i->o[0].kind == OPK_SREG)
		return cpu_unsupported(c, i);
	if ((rc = mem_read(c, rsp, i->osz, &v)))
		return rc;
	/* POP [rsp+x] computes the address with the incremented RSP */
	c->s.gpr[X86_RSP] = rsp + i->osz;
	if ((rc = op_write(c, i, 0, v)))
		c->s.gpr[X86_RSP] = rsp;
	return rc;
}

int op_call(struct cpu *c, const struct insn *i)
{
	uint64_t t;
	int rc;

	if (i->o[0].kind == OPK_IMM)
		t = c->next_rip + i->imm;
	else if ((rc = op_read(c, i, 0, &t)))
		return rc;
	if ((rc = stack_push(c, 8, c->next_rip)))
		return rc;
	c->next_rip = t;
	return OP_OK;
}

int op_ret(struct cpu *c, const struct insn *i)
{
	uint64_t t;
	int rc = mem_read(c, c->s.gpr[X86_RSP], 8, &t);

	if (rc)
		return rc;
	c->s.gpr[X86_RSP] += 8 + (i->nops ? (i->imm & 0xffff) : 0);
	c->next_rip = t;
	return OP_OK;
}

int op_jmp(struct cpu *c, const struct insn *i)
{
	uint64_t t;
	int rc;

	if (i->o[0].kind == OPK_IMM) {
		c->next_rip += i->imm;
		return OP_OK;
	}
	if ((rc = op_read(c, i, 0, &t)))
		return rc;
	c->next_rip = t;
	return OP_OK;
}

int op_jcc(struct cpu *c, const struct insn *i)
{
	if (flags_cond(c, i->cc))
		c->next_rip += i->imm;
	return OP_OK;
}

int op_jrcxz(struct cpu *c, const struct insn *i)
{
	if ((c->s.gpr[X86_RCX] & size_mask(i->asz)) == 0)
		c->next_rip += i->imm;
	return OP_OK;
}

static int loop_common(struct cpu *c, const struct insn *i, int zcond)
{
	uint64_t n = (c->s.gpr[X86_RCX] - 1) & size_mask(i->asz);

	reg_set(c, X86_RCX, i->asz, n);
	if (n != 0 && (zcond < 0 || flags_cond(c, 4) == (bool)zcond))
		c->next_rip += i->imm;
	return OP_OK;
}

int op_loop(struct cpu *c, const struct insn *i) { return loop_common(c, i, -1); }
int op_loope(struct cpu *c, const struct insn *i) { return loop_common(c, i, 1); }
int op_loopne(struct cpu *c, const struct insn *i) { return loop_common(c, i, 0); }

int op_leave(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = mem_read(c, c->s.gpr[X86_RBP], i->osz, &v);

	if (rc)
		return rc;
	c->s.gpr[X86_RSP] = c->s.gpr[X86_RBP] + i->osz;
	reg_set(c, X86_RBP, i->osz, v);
	return OP_OK;
}

int op_enter(struct cpu *c, const struct insn *i)
{
	uint64_t rbp = c->s.gpr[X86_RBP];
	int rc;

	if ((i->imm2 & 0x1f) != 0)
		return cpu_unsupported(c, i);	/* nesting levels: not emitted */
	if ((rc = stack_push(c, 8, rbp)))
		return rc;
	c->s.gpr[X86_RBP] = c->s.gpr[X86_RSP];
	c->s.gpr[X86_RSP] -= i->imm & 0xffff;
	return OP_OK;
}

int op_pushfq(struct cpu *c, const struct insn *i)
{
	/* VM and RF are never pushed */
	return stack_push(c, i->osz, flags_get(c) & 0xfcffffull);
}

int op_popfq(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc = mem_read(c, c->s.gpr[X86_RSP], i->osz, &v);

	if (rc)
		return rc;
	c->s.gpr[X86_RSP] += i->osz;
	stack_load_rflags(c, v, i->osz == 2 ? 0xffff : ~0ull);
	return OP_OK;
}
