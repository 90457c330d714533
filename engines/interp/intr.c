/* intr.c - IDT delivery, INT n/INT3, IRETQ, SYSCALL/SYSRET (see intr.h). */
#include "interp/intr.h"

#include <stdio.h>

#include "interp/flags.h"
#include "interp/mem.h"
#include "interp/ops.h"
#include "interp/seg.h"
#include "interp/ssfault.h"
#include "interp/stack.h"

enum { D_EXC, D_SOFT, D_EXT };

/* One delivery attempt; OP_FAULT leaves the new fault in c->exc. */
static int deliver_one(struct cpu *c, unsigned vec, bool has_err,
		       uint32_t err, unsigned kind, uint64_t ret_rip)
{
	unsigned cpl = x86_cpl(&c->s), ist, newcpl, ext = kind == D_EXT;
	uint32_t gerr = vec * 8 + 2 + ext;
	uint64_t lo, hi, rsp, off, frame[6], flags;
	struct x86_segment cs;
	int rc, n = 0;

	if (vec * 16 + 15 > c->s.idtr.limit)
		return cpu_fault_err(c, X86_VEC_GP, gerr);
	if ((rc = mem_read_as(c, c->s.idtr.base + vec * 16, 8, &lo, 0)) ||
	    (rc = mem_read_as(c, c->s.idtr.base + vec * 16 + 8, 8, &hi, 0)))
		return rc;
	if (((lo >> 40) & 0xe) != 0xe || ((lo >> 44) & 1))
		return cpu_fault_err(c, X86_VEC_GP, gerr);
	if (kind == D_SOFT && ((lo >> 45) & 3) < cpl)
		return cpu_fault_err(c, X86_VEC_GP, gerr);
	if (!((lo >> 47) & 1))
		return cpu_fault_err(c, X86_VEC_NP, gerr);
	if ((rc = seg_code_read(c, (uint16_t)(lo >> 16), &cs)))
		return rc;
	newcpl = (cs.type & 4) ? cpl : cs.dpl;	/* conforming keeps CPL */
	if (newcpl > cpl)
		return cpu_fault_err(c, X86_VEC_GP, cs.selector & 0xfffc);
	ist = (unsigned)(lo >> 32) & 7;
	off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (hi << 32);
	rsp = c->s.gpr[X86_RSP];
	if (ist) {
		if ((rc = seg_tss_read(c, 36 + (ist - 1) * 8, 8, &rsp)))
			return rc;
	} else if (newcpl < cpl) {
		if ((rc = seg_tss_read(c, 4 + newcpl * 8, 8, &rsp)))
			return rc;
	}
	rsp &= ~0xfull;
	flags = flags_get(c);
	frame[n++] = c->s.seg[X86_SS].selector;
	frame[n++] = c->s.gpr[X86_RSP];
	frame[n++] = flags;
	frame[n++] = c->s.seg[X86_CS].selector;
	frame[n++] = ret_rip;
	if (has_err)
		frame[n++] = err;
	for (int k = 0; k < n; k++)
		if ((rc = mem_write_as(c, rsp - 8 * (k + 1), 8, frame[k],
				       newcpl == 3))) {
			/* the frame's stack is SS: #SS(EXT), not #GP */
			if (rc == OP_FAULT && c->exc.nc)
				return cpu_fault_err(c, X86_VEC_SS, ext);
			return rc;
		}
	cs.selector = (uint16_t)((cs.selector & ~3) | newcpl);
	cs.dpl = (uint8_t)newcpl;
	c->s.seg[X86_CS] = cs;
	if (newcpl != cpl)
		seg_null(&c->s.seg[X86_SS], (uint16_t)newcpl);
	c->s.gpr[X86_RSP] = rsp - 8 * n;
	c->s.rflags &= ~(X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF |
			 (1ull << 17));
	if (((lo >> 40) & 0xf) == 0xe)
		c->s.rflags &= ~X86_RFLAGS_IF;
	c->s.rip = off;
	c->sti_shadow = false;
	return OP_OK;
}

static bool contributory(unsigned v)
{
	return v == X86_VEC_DE || (v >= X86_VEC_TS && v <= X86_VEC_GP);
}

/* Shutdown: name the exception chain that led to it. */
static int triple(struct cpu *c, const struct pending_exc *chain,
		  unsigned n)
{
	char buf[256];
	size_t len = 0;

	buf[0] = 0;
	for (unsigned k = 0; k < n && len < sizeof(buf); k++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s#%s(%#x)", k ? " -> " : "",
					trap_vector_name(chain[k].vector),
					chain[k].error);
	return cpu_stop(c, RUN_EXIT_TRIPLE_FAULT,
			"triple fault at RIP %#llx: %s while delivering; "
			"CR2=%#llx IDT base %#llx limit %#x",
			(unsigned long long)c->s.rip, buf,
			(unsigned long long)c->s.cr2,
			(unsigned long long)c->s.idtr.base, c->s.idtr.limit);
}

static int deliver_chain(struct cpu *c, unsigned kind, uint64_t ret_rip)
{
	struct pending_exc e = c->exc, chain[4];
	unsigned n = 0;

	for (;;) {
		struct pending_exc f;
		int rc = deliver_one(c, e.vector, e.has_error, e.error, kind,
				     ret_rip);
		if (rc == OP_OK) {
			if (kind != D_EXT && e.vector < 32)
				trap_count_exception(&c->traps, e.vector);
			return OP_OK;
		}
		f = c->exc;
		if (n < 4)
			chain[n++] = e;
		if (e.vector == X86_VEC_DF && kind == D_EXC) {
			if (n < 4)
				chain[n++] = f;
			return triple(c, chain, n);
		}
		if (kind == D_EXC &&
		    ((contributory(e.vector) && contributory(f.vector)) ||
		     (e.vector == X86_VEC_PF &&
		      (f.vector == X86_VEC_PF || contributory(f.vector))))) {
			f.vector = X86_VEC_DF;
			f.has_error = true;
			f.error = 0;
		}
		e = f;
		kind = D_EXC;
		ret_rip = c->s.rip;
	}
}

int intr_deliver_pending(struct cpu *c)
{
	ssfault_classify(c);
	if (c->exc.soft)
		return deliver_chain(c, D_SOFT, c->next_rip);
	return deliver_chain(c, D_EXC, c->s.rip);
}

int intr_inject(struct cpu *c, unsigned vector)
{
	c->exc = (struct pending_exc){ .vector = (uint8_t)vector };
	c->traps.count[TRAP_INTERRUPT_INJECTION]++;
	c->halted = false;
	return deliver_chain(c, D_EXT, c->s.rip);
}

static int soft_int(struct cpu *c, unsigned vector)
{
	c->exc = (struct pending_exc){ .vector = (uint8_t)vector,
				       .soft = true };
	return OP_FAULT;
}

int op_int(struct cpu *c, const struct insn *i)
{
	return soft_int(c, (unsigned)(i->imm & 0xff));
}

int op_int3(struct cpu *c, const struct insn *i)
{
	(void)i;
	return soft_int(c, X86_VEC_BP);
}

int op_iretq(struct cpu *c, const struct insn *i)
{
	uint64_t f[5], rsp = c->s.gpr[X86_RSP];
	struct x86_segment cs, ss;
	unsigned cpl = x86_cpl(&c->s), rpl;
	int rc;

	if (i->osz != 8)
		return cpu_unsupported(c, i);
	for (int k = 0; k < 5; k++)
		if ((rc = mem_read(c, rsp + 8 * k, 8, &f[k])))
			return rc;
	rpl = f[1] & 3;
	if (rpl < cpl)
		return cpu_fault_err(c, X86_VEC_GP, f[1] & 0xfffc);
	if ((rc = seg_code_read(c, (uint16_t)f[1], &cs)))
		return rc;
	if ((f[4] & 0xfffc) == 0) {
		if (rpl == 3)
			return cpu_fault_err(c, X86_VEC_GP, 0);
		seg_null(&ss, (uint16_t)f[4]);
	} else {
		uint64_t d;
		if ((rc = seg_desc_read(c, (uint16_t)f[4], &d)))
			return rc;
		x86_segment_from_desc(&ss, (uint16_t)f[4], d);
		if (!ss.present)
			return cpu_fault_err(c, X86_VEC_SS, f[4] & 0xfffc);
	}
	stack_load_rflags(c, f[2], ~0ull);
	cs.dpl = (uint8_t)rpl;
	c->s.seg[X86_CS] = cs;
	c->s.seg[X86_SS] = ss;
	c->s.gpr[X86_RSP] = f[3];
	c->next_rip = f[0];
	return OP_OK;
}

/* RETF: same-privilege far return (the kernel reloads CS this way); a
 * return to an outer privilege also pops RSP and SS. */
int op_retf(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osz, cpl = x86_cpl(&c->s);
	uint64_t rsp = c->s.gpr[X86_RSP], rip, sel, nrsp = 0, nss = 0;
	struct x86_segment cs;
	int rc;

	if ((rc = mem_read(c, rsp, sz, &rip)) ||
	    (rc = mem_read(c, rsp + sz, sz, &sel)))
		return rc;
	if ((sel & 3) < cpl)
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	if ((rc = seg_code_read(c, (uint16_t)sel, &cs)))
		return rc;
	/* non-conforming: DPL == RPL; conforming: DPL <= RPL */
	if ((cs.type & 4) ? cs.dpl > (sel & 3) : cs.dpl != (sel & 3))
		return cpu_fault_err(c, X86_VEC_GP, sel & 0xfffc);
	rsp += 2 * sz + (i->nops ? (i->imm & 0xffff) : 0);
	if ((sel & 3) > cpl) {
		if ((rc = mem_read(c, rsp, sz, &nrsp)) ||
		    (rc = mem_read(c, rsp + sz, sz, &nss)))
			return rc;
		if ((rc = seg_load_data(c, X86_SS, (uint16_t)nss)))
			return rc;
		rsp = nrsp;
	}
	cs.dpl = (uint8_t)(sel & 3);
	c->s.seg[X86_CS] = cs;
	c->s.gpr[X86_RSP] = rsp;
	c->next_rip = sz == 4 ? (uint32_t)rip : rip;
	return OP_OK;
}

int op_syscall(struct cpu *c, const struct insn *i)
{
	uint16_t sel = (uint16_t)(c->s.star >> 32);

	(void)i;
	if (!(c->s.efer & X86_EFER_SCE))
		return cpu_fault(c, X86_VEC_UD);
	c->s.gpr[X86_RCX] = c->next_rip;
	c->s.gpr[X86_R11] = flags_get(c) & ~X86_RFLAGS_RF;
	c->s.rflags &= ~(c->s.sfmask | X86_RFLAGS_RF);
	c->s.rflags |= X86_RFLAGS_FIXED;
	seg_flat_code(&c->s.seg[X86_CS], sel & 0xfffc, 0);
	seg_flat_data(&c->s.seg[X86_SS], (uint16_t)(sel + 8), 0);
	c->next_rip = c->s.lstar;
	return OP_OK;
}

int op_sysret(struct cpu *c, const struct insn *i)
{
	uint16_t sel = (uint16_t)(c->s.star >> 48);
	uint64_t rcx = c->s.gpr[X86_RCX];

	if (!(c->s.efer & X86_EFER_SCE))
		return cpu_fault(c, X86_VEC_UD);
	if (x86_cpl(&c->s) != 0)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if (i->osz != 8)
		return cpu_unsupported(c, i);	/* return to compat mode */
	if ((uint64_t)((int64_t)(rcx << 16) >> 16) != rcx)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	flags_get(c);
	c->s.rflags = (c->s.gpr[X86_R11] & 0x3c7fd7ull) | X86_RFLAGS_FIXED;
	c->irq_check = true;
	seg_flat_code(&c->s.seg[X86_CS], (uint16_t)((sel + 16) | 3), 3);
	seg_flat_data(&c->s.seg[X86_SS], (uint16_t)((sel + 8) | 3), 3);
	c->next_rip = rcx;
	return OP_OK;
}
