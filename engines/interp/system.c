/* system.c - privileged state: MOV CRn, MOV Sreg, LGDT/LIDT/LTR/SGDT/SIDT,
 * CLI/STI/HLT, INVLPG, SWAPGS, RD/WR FS/GS BASE, CLTS, WBINVD. */
#include "interp/flags.h"
#include "interp/mem.h"
#include "interp/operand.h"
#include "interp/ops.h"
#include "interp/seg.h"

static bool priv(const struct cpu *c)
{
	return x86_cpl(&c->s) == 0;
}

/* CR4 bits the guest may not set: features the CPUID table does not
 * advertise (and bits the interpreter does not model: VMXE, SMXE, PCIDE,
 * OSXSAVE, LA57, UMIP, PKE, CET). */
static uint64_t cr4_reserved(const struct cpu *c)
{
	uint64_t ok = 0x7ff;	/* VME..OSXMMEXCPT */

	if (c->feat.fsgsbase)
		ok |= X86_CR4_FSGSBASE;
	if (c->feat.smep)
		ok |= X86_CR4_SMEP;
	if (c->feat.smap)
		ok |= X86_CR4_SMAP;
	return ~ok;
}

static int cr_write(struct cpu *c, unsigned n, uint64_t v)
{
	uint64_t old;

	switch (n) {
	case 0:
		old = c->s.cr0;
		if ((v >> 32) || !(v & X86_CR0_PG) || !(v & X86_CR0_PE))
			return cpu_fault_err(c, X86_VEC_GP, 0);
		c->s.cr0 = v | X86_CR0_ET;
		if ((old ^ v) & (X86_CR0_WP | X86_CR0_PG))
			mem_paging_changed(c, false);
		return OP_OK;
	case 2:
		c->s.cr2 = v;
		return OP_OK;
	case 3:
		c->s.cr3 = v & ~(1ull << 63);
		mem_paging_changed(c, (c->s.cr4 & X86_CR4_PGE) != 0);
		return OP_OK;
	case 4:
		if (!(v & X86_CR4_PAE) || (v & cr4_reserved(c)))
			return cpu_fault_err(c, X86_VEC_GP, 0);
		c->s.cr4 = v;
		mem_paging_changed(c, false);
		return OP_OK;
	default:	/* CR8 */
		if (v >> 4)
			return cpu_fault_err(c, X86_VEC_GP, 0);
		c->s.cr8 = v;
		c->apic.tpr = (uint32_t)(v << 4);
		c->irq_check = true;
		return OP_OK;
	}
}

int op_mov_cr(struct cpu *c, const struct insn *i)
{
	unsigned to_cr = i->o[0].kind == OPK_CR;
	unsigned n = to_cr ? i->o[0].reg : i->o[1].reg;
	uint64_t v;

	if (n == 1 || (n > 4 && n != 8))
		return cpu_fault(c, X86_VEC_UD);
	if (!priv(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->traps.count[TRAP_CR_ACCESS]++;
	if (to_cr)
		return cr_write(c, n, c->s.gpr[i->o[1].reg]);
	v = n == 0 ? c->s.cr0 : n == 2 ? c->s.cr2 : n == 3 ? c->s.cr3
	  : n == 4 ? c->s.cr4 : (c->apic.tpr >> 4) & 0xf;
	c->s.gpr[i->o[0].reg] = v;
	return OP_OK;
}

int op_mov_sreg(struct cpu *c, const struct insn *i)
{
	uint64_t v;
	int rc;

	if (i->o[0].kind == OPK_SREG) {
		if (i->o[0].reg == X86_CS)
			return cpu_fault(c, X86_VEC_UD);
		if ((rc = op_read(c, i, 1, &v)))
			return rc;
		return seg_load_data(c, i->o[0].reg, (uint16_t)v);
	}
	return op_write(c, i, 0, c->s.seg[i->o[1].reg].selector);
}

static int dt_load(struct cpu *c, const struct insn *i, struct x86_dtable *t)
{
	uint64_t va = op_ea(c, i), lim, base;
	int rc;

	if (!priv(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if ((rc = mem_read(c, va, 2, &lim)) ||
	    (rc = mem_read(c, va + 2, 8, &base)))
		return rc;
	t->limit = (uint16_t)lim;
	t->base = base;
	return OP_OK;
}

static int dt_store(struct cpu *c, const struct insn *i,
		    const struct x86_dtable *t)
{
	uint64_t va = op_ea(c, i);
	int rc = mem_write(c, va, 2, t->limit);

	return rc ? rc : mem_write(c, va + 2, 8, t->base);
}

int op_lgdt(struct cpu *c, const struct insn *i) { return dt_load(c, i, &c->s.gdtr); }
int op_lidt(struct cpu *c, const struct insn *i) { return dt_load(c, i, &c->s.idtr); }
int op_sgdt(struct cpu *c, const struct insn *i) { return dt_store(c, i, &c->s.gdtr); }
int op_sidt(struct cpu *c, const struct insn *i) { return dt_store(c, i, &c->s.idtr); }

int op_ltr(struct cpu *c, const struct insn *i)
{
	uint64_t sel, lo, hi, va;
	struct x86_segment tr;
	int rc;

	if (!priv(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if ((rc = op_read(c, i, 0, &sel)))
		return rc;
	if ((sel & 0xfffc) == 0 || (sel & 4) ||
	    (uint32_t)((sel & ~7) + 15) > c->s.gdtr.limit)
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	va = c->s.gdtr.base + (sel & ~7);
	if ((rc = mem_read_as(c, va, 8, &lo, 0)) ||
	    (rc = mem_read_as(c, va + 8, 8, &hi, 0)))
		return rc;
	x86_segment_from_desc16(&tr, (uint16_t)sel, lo, hi);
	if (tr.s || tr.type != 9)
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	if (!tr.present)
		return cpu_fault_err(c, X86_VEC_NP, sel & 0xfffc);
	if ((rc = mem_write_as(c, va, 8, lo | (2ull << 40), 0)))
		return rc;
	tr.type = 11;	/* busy */
	c->s.tr = tr;
	return OP_OK;
}

static bool io_privileged(const struct cpu *c)
{
	return x86_cpl(&c->s) <= ((c->s.rflags >> 12) & 3);
}

int op_cli(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (!io_privileged(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->s.rflags &= ~X86_RFLAGS_IF;
	return OP_OK;
}

int op_sti(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (!io_privileged(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if (!(c->s.rflags & X86_RFLAGS_IF))
		c->sti_shadow = true;
	c->s.rflags |= X86_RFLAGS_IF;
	c->irq_check = true;
	return OP_OK;
}

int op_hlt(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (!priv(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->traps.count[TRAP_HLT]++;
	c->halted = true;
	return OP_OK;
}

int op_invlpg(struct cpu *c, const struct insn *i)
{
	if (!priv(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->traps.count[TRAP_INVLPG]++;
	tlb_flush_page(&c->tlb, op_ea(c, i));
	return OP_OK;
}

int op_swapgs(struct cpu *c, const struct insn *i)
{
	uint64_t t = c->s.seg[X86_GS].base;

	(void)i;
	if (!priv(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->s.seg[X86_GS].base = c->s.kernel_gs_base;
	c->s.kernel_gs_base = t;
	return OP_OK;
}

static int fsgs_read(struct cpu *c, const struct insn *i, unsigned sreg)
{
	if (!(c->s.cr4 & X86_CR4_FSGSBASE))
		return cpu_fault(c, X86_VEC_UD);
	reg_set(c, i->o[0].reg, i->o[0].size, c->s.seg[sreg].base);
	return OP_OK;
}

static int fsgs_write(struct cpu *c, const struct insn *i, unsigned sreg)
{
	uint64_t v = reg_get(c, i->o[0].reg, i->o[0].size);

	if (!(c->s.cr4 & X86_CR4_FSGSBASE))
		return cpu_fault(c, X86_VEC_UD);
	if ((uint64_t)((int64_t)(v << 16) >> 16) != v)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->s.seg[sreg].base = v;
	return OP_OK;
}

int op_rdfsbase(struct cpu *c, const struct insn *i) { return fsgs_read(c, i, X86_FS); }
int op_rdgsbase(struct cpu *c, const struct insn *i) { return fsgs_read(c, i, X86_GS); }
int op_wrfsbase(struct cpu *c, const struct insn *i) { return fsgs_write(c, i, X86_FS); }
int op_wrgsbase(struct cpu *c, const struct insn *i) { return fsgs_write(c, i, X86_GS); }

int op_clts(struct cpu *c, const struct insn *i)
{
	(void)i;
	if (!priv(c))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->traps.count[TRAP_CR_ACCESS]++;
	c->s.cr0 &= ~X86_CR0_TS;
	return OP_OK;
}

int op_wbinvd(struct cpu *c, const struct insn *i)
{
	(void)i;
	return priv(c) ? OP_OK : cpu_fault_err(c, X86_VEC_GP, 0);
}
