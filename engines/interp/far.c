/*
 * far.c - far JMP and CALL through memory (FF /5, FF /3: m16:16, m16:32,
 * m16:64) in 64-bit mode, to a code segment of the GDT (SDM Vol. 2 "JMP",
 * "CALL", protected-mode paths; Vol. 3A 5.8.1 "Direct Calls or Jumps to
 * Code Segments"): a null selector raises #GP(0); a selector past the GDT
 * limit, an LDT one, a data or system segment other than a call gate,
 * or a privilege mismatch raises #GP(selector) (non-conforming: RPL <= CPL
 * and DPL == CPL; conforming: DPL <= CPL); a not-present segment #NP
 * (selector); a non-canonical target #GP(0). The CPL does not change (CS.RPL
 * becomes CPL). CALL pushes CS and the return RIP, each of the operand
 * size. Not done (the run stops as unsupported): call gates and a target
 * that is not a 64-bit code segment (compatibility mode).
 */
#include "interp/operand.h"
#include "interp/ops.h"
#include "interp/seg.h"
#include "interp/stack.h"

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* Read the far pointer and check its target; (*cs) and (*rip) are the
 * new CS cache and RIP. OP_STOP for what far.c does not implement. */
static int far_target(struct cpu *c, const struct insn *i,
		      struct x86_segment *cs, uint64_t *rip)
{
	unsigned sz = i->osz, cpl = x86_cpl(&c->s);
	uint64_t ea = op_ea(c, i), off, sel, desc;
	int rc;

	if ((rc = mem_read(c, ea, sz, &off)) ||
	    (rc = mem_read(c, ea + sz, 2, &sel)))
		return rc;
	if ((sel & 0xfffc) == 0)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if ((rc = seg_desc_read(c, (uint16_t)sel, &desc)))
		return rc;
	x86_segment_from_desc(cs, (uint16_t)sel, desc);
	if (!cs->s && cs->type == 0xc)
		return cpu_unsupported(c, i);	/* call gate */
	if (!cs->s || !(cs->type & 8))
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	if ((cs->type & 4) ? cs->dpl > cpl
			   : (sel & 3) > cpl || cs->dpl != cpl)
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	if (!cs->present)
		return cpu_fault_err(c, X86_VEC_NP, sel & 0xfffc);
	if (!cs->l || cs->db)
		return cpu_unsupported(c, i);	/* compatibility mode */
	*rip = sz == 2 ? (uint16_t)off : sz == 4 ? (uint32_t)off : off;
	if (!canonical(*rip))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	cs->selector = (uint16_t)((sel & 0xfffc) | cpl);
	cs->dpl = (uint8_t)cpl;	/* x86_cpl() reads CS.DPL */
	return OP_OK;
}

int op_jmpf(struct cpu *c, const struct insn *i)
{
	struct x86_segment cs;
	uint64_t rip;
	int rc = far_target(c, i, &cs, &rip);

	if (rc)
		return rc;
	c->s.seg[X86_CS] = cs;
	c->next_rip = rip;
	return OP_OK;
}

int op_callf(struct cpu *c, const struct insn *i)
{
	struct x86_segment cs;
	uint64_t rip, rsp = c->s.gpr[X86_RSP];
	unsigned sz = i->osz;
	int rc = far_target(c, i, &cs, &rip);

	if (rc)
		return rc;
	/* both pushes before any state changes: a fault leaves RSP as it was */
	if ((rc = stack_push(c, sz, c->s.seg[X86_CS].selector)) ||
	    (rc = stack_push(c, sz, c->next_rip))) {
		c->s.gpr[X86_RSP] = rsp;
		return rc;
	}
	c->s.seg[X86_CS] = cs;
	c->next_rip = rip;
	return OP_OK;
}
