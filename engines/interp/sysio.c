/* sysio.c - instructions that reach the machine model: IN/OUT (io_bus),
 * RDMSR/WRMSR (machine MSRs and the x2APIC), CPUID, RDTSC(P), VMCALL. */
#include <x86intrin.h>

#include "interp/operand.h"
#include "interp/ops.h"
#include "interp/seg.h"
#include "machine/cpuid.h"
#include "vmb_abi.h"

/* CPL > IOPL: consult the TSS I/O permission bitmap. */
static int io_allowed(struct cpu *c, unsigned port, unsigned size)
{
	uint64_t base, bits;
	int rc;

	if (x86_cpl(&c->s) <= ((c->s.rflags >> 12) & 3))
		return OP_OK;
	if (c->s.tr.limit < 103 || (rc = seg_tss_read(c, 102, 2, &base)))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if (base + port / 8 + 1 > c->s.tr.limit ||
	    seg_tss_read(c, (unsigned)(base + port / 8), 2, &bits))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	return OP_OK;
}

static void io_done(struct cpu *c)
{
	c->traps.count[TRAP_PIO]++;
	if (c->m->exit_requested)
		c->blk_end = 0;
}

int sysio_port(struct cpu *c, unsigned port, uint8_t *data, unsigned size,
	       bool write)
{
	int rc = io_allowed(c, port, size);

	if (rc)
		return rc;
	io_bus_access(c->m, IO_SPACE_PIO, port, data, size, write);
	io_done(c);
	return OP_OK;
}

int op_in(struct cpu *c, const struct insn *i)
{
	unsigned size = i->o[0].size;
	unsigned port = i->o[1].kind == OPK_IMM ? (unsigned)(i->imm & 0xff)
						: (unsigned)(c->s.gpr[X86_RDX] & 0xffff);
	uint8_t data[4] = { 0 };
	uint32_t v;
	int rc = io_allowed(c, port, size);

	if (rc)
		return rc;
	io_bus_access(c->m, IO_SPACE_PIO, port, data, size, false);
	memcpy(&v, data, 4);
	reg_set(c, X86_RAX, size, v);
	io_done(c);
	return OP_OK;
}

int op_out(struct cpu *c, const struct insn *i)
{
	unsigned size = i->o[1].size;
	unsigned port = i->o[0].kind == OPK_IMM ? (unsigned)(i->imm & 0xff)
						: (unsigned)(c->s.gpr[X86_RDX] & 0xffff);
	uint32_t v = (uint32_t)c->s.gpr[X86_RAX];
	uint8_t data[4];
	int rc = io_allowed(c, port, size);

	if (rc)
		return rc;
	memcpy(data, &v, 4);
	io_bus_access(c->m, IO_SPACE_PIO, port, data, size, true);
	io_done(c);
	return OP_OK;
}

uint64_t cpu_tsc(const struct cpu *c)
{
	return __rdtsc() + c->s.tsc_offset;
}

static uint64_t *msr_slot(struct cpu *c, uint32_t msr)
{
	switch (msr) {
	case X86_MSR_EFER: return &c->s.efer;
	case X86_MSR_STAR: return &c->s.star;
	case X86_MSR_LSTAR: return &c->s.lstar;
	case X86_MSR_CSTAR: return &c->s.cstar;
	case X86_MSR_SFMASK: return &c->s.sfmask;
	case X86_MSR_FS_BASE: return &c->s.seg[X86_FS].base;
	case X86_MSR_GS_BASE: return &c->s.seg[X86_GS].base;
	case X86_MSR_KERNEL_GS_BASE: return &c->s.kernel_gs_base;
	case X86_MSR_TSC_AUX: return &c->s.tsc_aux;
	case X86_MSR_PAT: return &c->s.pat;
	case X86_MSR_APIC_BASE: return &c->s.apic_base;
	case X86_MSR_SYSENTER_CS: return &c->s.sysenter_cs;
	case X86_MSR_SYSENTER_ESP: return &c->s.sysenter_esp;
	case X86_MSR_SYSENTER_EIP: return &c->s.sysenter_eip;
	default: return NULL;
	}
}

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static int msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
	uint64_t *p;

	if (msr >= X86_MSR_X2APIC_FIRST && msr <= X86_MSR_X2APIC_LAST) {
		c->irq_check = true;	/* EOI, TPR, self-IPI, timer arm */
		return x2apic_msr_write(&c->apic, msr, __rdtsc(), v) ? -1 : 0;
	}
	if (msr == X86_MSR_TSC) {
		c->s.tsc_offset = v - __rdtsc();
		return 0;
	}
	if (msr == X86_MSR_EFER) {
		/* LMA is read-only; LME/LMA must stay on in 64-bit mode */
		if ((v & ~(X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA |
			   X86_EFER_NXE)) || !(v & X86_EFER_LME))
			return -1;
		v |= X86_EFER_LMA;
		if ((v ^ c->s.efer) & X86_EFER_NXE)
			mem_paging_changed(c, false);
	}
	if ((msr == X86_MSR_FS_BASE || msr == X86_MSR_GS_BASE ||
	     msr == X86_MSR_KERNEL_GS_BASE || msr == X86_MSR_LSTAR ||
	     msr == X86_MSR_CSTAR) && !canonical(v))
		return -1;
	if (!(p = msr_slot(c, msr)))
		return -1;
	*p = v;
	return 0;
}

static int msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
	uint64_t *p;

	if (msr >= X86_MSR_X2APIC_FIRST && msr <= X86_MSR_X2APIC_LAST)
		return x2apic_msr_read(&c->apic, msr, __rdtsc(), v);
	if (msr == X86_MSR_TSC) {
		*v = cpu_tsc(c);
		return 0;
	}
	if (!(p = msr_slot(c, msr)))
		return -1;
	*v = *p;
	return 0;
}

int op_rdmsr(struct cpu *c, const struct insn *i)
{
	uint64_t v;

	(void)i;
	if (x86_cpl(&c->s) != 0)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->traps.count[TRAP_MSR]++;
	if (msr_read(c, (uint32_t)c->s.gpr[X86_RCX], &v))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->s.gpr[X86_RAX] = (uint32_t)v;
	c->s.gpr[X86_RDX] = v >> 32;
	return OP_OK;
}

int op_wrmsr(struct cpu *c, const struct insn *i)
{
	uint64_t v = (uint32_t)c->s.gpr[X86_RAX] | c->s.gpr[X86_RDX] << 32;

	(void)i;
	if (x86_cpl(&c->s) != 0)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	c->traps.count[TRAP_MSR]++;
	if (msr_write(c, (uint32_t)c->s.gpr[X86_RCX], v))
		return cpu_fault_err(c, X86_VEC_GP, 0);
	return OP_OK;
}

int op_cpuid(struct cpu *c, const struct insn *i)
{
	uint32_t a, b, cx, d;

	(void)i;
	c->traps.count[TRAP_CPUID]++;
	cpuid_lookup((uint32_t)c->s.gpr[X86_RAX], (uint32_t)c->s.gpr[X86_RCX],
		     &a, &b, &cx, &d);
	c->s.gpr[X86_RAX] = a;
	c->s.gpr[X86_RBX] = b;
	c->s.gpr[X86_RCX] = cx;
	c->s.gpr[X86_RDX] = d;
	return OP_OK;
}

static int tsc_read(struct cpu *c, bool aux)
{
	uint64_t t;

	if ((c->s.cr4 & X86_CR4_TSD) && x86_cpl(&c->s) != 0)
		return cpu_fault_err(c, X86_VEC_GP, 0);
	t = cpu_tsc(c);
	c->s.gpr[X86_RAX] = (uint32_t)t;
	c->s.gpr[X86_RDX] = t >> 32;
	if (aux)
		c->s.gpr[X86_RCX] = (uint32_t)c->s.tsc_aux;
	return OP_OK;
}

int op_rdtsc(struct cpu *c, const struct insn *i) { (void)i; return tsc_read(c, false); }
int op_rdtscp(struct cpu *c, const struct insn *i) { (void)i; return tsc_read(c, true); }

int op_vmcall(struct cpu *c, const struct insn *i)
{
	(void)i;
	c->traps.count[TRAP_HYPERCALL]++;
	c->s.gpr[X86_RAX] = x86_cpl(&c->s) ? VMB_HC_EPERM : VMB_HC_ENOSYS;
	return OP_OK;
}
