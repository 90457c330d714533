/*
 * legacy.c - the remaining integer and system instructions a 64-bit guest
 * may use: CMPXCHG8B (CPUID advertises CX8), XLAT, MOVNTI (a plain store
 * here), SMSW/LMSW and SLDT/STR (CR4.UMIP is never set, so they run at
 * any CPL except LMSW, which needs CPL0).
 */
#include "interp/flags.h"
#include "interp/operand.h"
#include "interp/ops.h"

/* CMPXCHG8B m64: EDX:EAX == m64 ? m64 = ECX:EBX, ZF=1 : EDX:EAX = m64,
 * ZF=0; like CMPXCHG, the locked cycle writes the old value back when
 * the comparison fails. Only ZF changes. */
int op_cmpxchg8b(struct cpu *c, const struct insn *i)
{
	uint64_t ea = op_ea(c, i), m, acc, nv;
	int rc;

	if ((rc = mem_read(c, ea, 8, &m)))
		return rc;
	acc = (uint32_t)c->s.gpr[X86_RAX] |
	      ((uint64_t)(uint32_t)c->s.gpr[X86_RDX] << 32);
	nv = (uint32_t)c->s.gpr[X86_RBX] |
	     ((uint64_t)(uint32_t)c->s.gpr[X86_RCX] << 32);
	if ((rc = mem_write(c, ea, 8, acc == m ? nv : m)))
		return rc;
	if (acc != m) {
		reg_set(c, X86_RAX, 4, (uint32_t)m);
		reg_set(c, X86_RDX, 4, m >> 32);
	}
	flags_put(c, X86_RFLAGS_ZF, acc == m ? X86_RFLAGS_ZF : 0);
	return OP_OK;
}

/* XLAT: AL = [RBX + AL] (EBX with a 32-bit address size), FS/GS
 * overrides included. */
int op_xlat(struct cpu *c, const struct insn *i)
{
	uint64_t a = c->s.gpr[X86_RBX] + (c->s.gpr[X86_RAX] & 0xff), v;
	int rc;

	if (i->asz == 4)
		a = (uint32_t)a;
	if (i->mseg == X86_FS || i->mseg == X86_GS)
		a += c->s.seg[i->mseg].base;
	if ((rc = mem_read(c, a, 1, &v)))
		return rc;
	reg_set(c, X86_RAX, 1, v);
	return OP_OK;
}

/* Store (v) to operand 0: 16 bits to memory, zero-extended to the
 * operand size in a register (SMSW/SLDT/STR). */
static int store_sys16(struct cpu *c, const struct insn *i, uint64_t v)
{
	if (i->o[0].kind == OPK_MEM)
		return mem_write(c, op_ea(c, i), 2, v & 0xffff);
	reg_set(c, i->o[0].reg, i->o[0].size, v & size_mask(i->o[0].size));
	return OP_OK;
}

int op_smsw(struct cpu *c, const struct insn *i)
{
	return store_sys16(c, i, i->o[0].kind == OPK_MEM ? c->s.cr0 & 0xffff
							 : c->s.cr0);
}

int op_sldt(struct cpu *c, const struct insn *i)
{
	return store_sys16(c, i, c->s.ldtr.selector);
}

int op_str(struct cpu *c, const struct insn *i)
{
	return store_sys16(c, i, c->s.tr.selector);
}

/* LMSW: CR0 bits 0-3 (PE, MP, EM, TS) from the source; PE can be set,
 * not cleared. */
int op_lmsw(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc;

	if (x86_cpl(&c->s) != 0)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if ((rc = op_read(c, i, 0, &v)))
		return rc;
	c->s.cr0 = (c->s.cr0 & ~0xeull) | (v & 0xf) | (c->s.cr0 & 1);
	return OP_OK;
}

/* CLAC/STAC: #UD without SMAP (the machine's CPUID has none) or above
 * CPL0. The TLB is flushed: supervisor entries for user pages were
 * filled under the old RFLAGS.AC (SMAP). */
static int smap_ac(struct cpu *c, bool set)
{
	if (!c->feat.smap || x86_cpl(&c->s) != 0)
		return cpu_fault(c, X86_VEC_UD);
	if (set)
		c->s.rflags |= X86_RFLAGS_AC;
	else
		c->s.rflags &= ~X86_RFLAGS_AC;
	tlb_flush(&c->tlb, false);
	return OP_OK;
}

int op_clac(struct cpu *c, const struct insn *i)
{
	(void)i;
	return smap_ac(c, false);
}

int op_stac(struct cpu *c, const struct insn *i)
{
	(void)i;
	return smap_ac(c, true);
}
