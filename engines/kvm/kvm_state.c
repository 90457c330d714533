/*
 * kvm_state.c - struct x86_state <-> KVM register structs.
 */
#include <string.h>

#include "kvm/kvm_state.h"

void kvm_state_to_regs(const struct x86_state *s, struct kvm_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rax = s->gpr[X86_RAX];
	r->rcx = s->gpr[X86_RCX];
	r->rdx = s->gpr[X86_RDX];
	r->rbx = s->gpr[X86_RBX];
	r->rsp = s->gpr[X86_RSP];
	r->rbp = s->gpr[X86_RBP];
	r->rsi = s->gpr[X86_RSI];
	r->rdi = s->gpr[X86_RDI];
	r->r8 = s->gpr[X86_R8];
	r->r9 = s->gpr[X86_R9];
	r->r10 = s->gpr[X86_R10];
	r->r11 = s->gpr[X86_R11];
	r->r12 = s->gpr[X86_R12];
	r->r13 = s->gpr[X86_R13];
	r->r14 = s->gpr[X86_R14];
	r->r15 = s->gpr[X86_R15];
	r->rip = s->rip;
	r->rflags = s->rflags | X86_RFLAGS_FIXED;
}

void kvm_state_from_regs(struct x86_state *s, const struct kvm_regs *r)
{
	s->gpr[X86_RAX] = r->rax;
	s->gpr[X86_RCX] = r->rcx;
	s->gpr[X86_RDX] = r->rdx;
	s->gpr[X86_RBX] = r->rbx;
	s->gpr[X86_RSP] = r->rsp;
	s->gpr[X86_RBP] = r->rbp;
	s->gpr[X86_RSI] = r->rsi;
	s->gpr[X86_RDI] = r->rdi;
	s->gpr[X86_R8] = r->r8;
	s->gpr[X86_R9] = r->r9;
	s->gpr[X86_R10] = r->r10;
	s->gpr[X86_R11] = r->r11;
	s->gpr[X86_R12] = r->r12;
	s->gpr[X86_R13] = r->r13;
	s->gpr[X86_R14] = r->r14;
	s->gpr[X86_R15] = r->r15;
	s->rip = r->rip;
	s->rflags = r->rflags;
}

void kvm_state_seg_to_kvm(const struct x86_segment *x, struct kvm_segment *k)
{
	*k = (struct kvm_segment){
		.base = x->base, .limit = x->limit, .selector = x->selector,
		.type = x->type, .present = x->present, .dpl = x->dpl,
		.db = x->db, .s = x->s, .l = x->l, .g = x->g, .avl = x->avl,
		.unusable = x->unusable,
	};
}

void kvm_state_seg_from_kvm(struct x86_segment *x, const struct kvm_segment *k)
{
	*x = (struct x86_segment){
		.selector = k->selector, .base = k->base, .limit = k->limit,
		.type = k->type, .s = k->s, .dpl = k->dpl,
		.present = k->present, .avl = k->avl, .l = k->l, .db = k->db,
		.g = k->g, .unusable = k->unusable,
	};
}

/* kvm_sregs order of the six segment registers, indexed by x86_sreg. */
static struct kvm_segment *sregs_seg(struct kvm_sregs *sr, enum x86_sreg i)
{
	struct kvm_segment *const map[X86_NSREG] = {
		[X86_ES] = &sr->es, [X86_CS] = &sr->cs, [X86_SS] = &sr->ss,
		[X86_DS] = &sr->ds, [X86_FS] = &sr->fs, [X86_GS] = &sr->gs,
	};
	return map[i];
}

void kvm_state_to_sregs(const struct x86_state *s, struct kvm_sregs *sr)
{
	for (int i = 0; i < X86_NSREG; i++)
		kvm_state_seg_to_kvm(&s->seg[i], sregs_seg(sr, (enum x86_sreg)i));
	kvm_state_seg_to_kvm(&s->tr, &sr->tr);
	kvm_state_seg_to_kvm(&s->ldtr, &sr->ldt);
	sr->gdt = (struct kvm_dtable){ .base = s->gdtr.base,
				       .limit = s->gdtr.limit };
	sr->idt = (struct kvm_dtable){ .base = s->idtr.base,
				       .limit = s->idtr.limit };
	sr->cr0 = s->cr0;
	sr->cr2 = s->cr2;
	sr->cr3 = s->cr3;
	sr->cr4 = s->cr4;
	sr->cr8 = s->cr8;
	sr->efer = s->efer;
	if (s->apic_base)
		sr->apic_base = s->apic_base;
}

void kvm_state_from_sregs(struct x86_state *s, const struct kvm_sregs *sr)
{
	struct kvm_sregs copy = *sr;

	for (int i = 0; i < X86_NSREG; i++)
		kvm_state_seg_from_kvm(&s->seg[i], sregs_seg(&copy, (enum x86_sreg)i));
	kvm_state_seg_from_kvm(&s->tr, &sr->tr);
	kvm_state_seg_from_kvm(&s->ldtr, &sr->ldt);
	s->gdtr = (struct x86_dtable){ .base = sr->gdt.base,
				       .limit = sr->gdt.limit };
	s->idtr = (struct x86_dtable){ .base = sr->idt.base,
				       .limit = sr->idt.limit };
	s->cr0 = sr->cr0;
	s->cr2 = sr->cr2;
	s->cr3 = sr->cr3;
	s->cr4 = sr->cr4;
	s->cr8 = sr->cr8;
	s->efer = sr->efer;
	s->apic_base = sr->apic_base;
}

/* Index and location of each transferred MSR. */
static const uint32_t kStateMsrs[KVM_STATE_NMSRS] = {
	X86_MSR_STAR,	      X86_MSR_LSTAR,	    X86_MSR_CSTAR,
	X86_MSR_SFMASK,	      X86_MSR_KERNEL_GS_BASE, X86_MSR_SYSENTER_CS,
	X86_MSR_SYSENTER_ESP, X86_MSR_SYSENTER_EIP, X86_MSR_TSC_AUX,
	X86_MSR_PAT,	      X86_MSR_APIC_BASE,
};

static uint64_t *state_msr_slot(struct x86_state *s, unsigned i)
{
	uint64_t *const slots[KVM_STATE_NMSRS] = {
		&s->star,	  &s->lstar,	    &s->cstar,
		&s->sfmask,	  &s->kernel_gs_base, &s->sysenter_cs,
		&s->sysenter_esp, &s->sysenter_eip, &s->tsc_aux,
		&s->pat,	  &s->apic_base,
	};
	return slots[i];
}

void kvm_state_to_msrs(const struct x86_state *s, struct kvm_msr_entry *e)
{
	struct x86_state copy = *s;

	for (unsigned i = 0; i < KVM_STATE_NMSRS; i++)
		e[i] = (struct kvm_msr_entry){
			.index = kStateMsrs[i],
			.data = *state_msr_slot(&copy, i),
		};
}

void kvm_state_from_msrs(struct x86_state *s, const struct kvm_msr_entry *e)
{
	for (unsigned i = 0; i < KVM_STATE_NMSRS; i++)
		*state_msr_slot(s, i) = e[i].data;
}

int kvm_state_load(struct kvm_vcpu *vcpu, const struct x86_state *s)
{
	struct kvm_msr_entry e[KVM_STATE_NMSRS];
	struct kvm_sregs sr;
	struct kvm_regs r;
	int rc;

	/* APIC base first: x2APIC mode must be on before LAPIC MSRs. */
	if (s->apic_base) {
		rc = kvm_vcpu_msr_set(vcpu, X86_MSR_APIC_BASE, s->apic_base);
		if (rc < 0)
			return rc;
	}
	rc = kvm_vcpu_sregs_get(vcpu, &sr);
	if (rc < 0)
		return rc;
	kvm_state_to_sregs(s, &sr);
	rc = kvm_vcpu_sregs_set(vcpu, &sr);
	if (rc < 0)
		return rc;
	kvm_state_to_msrs(s, e);
	/* APIC base was done above; a zero apic_base means "leave it". */
	rc = kvm_vcpu_msrs_set(vcpu, e, KVM_STATE_NMSRS - 1);
	if (rc < 0)
		return rc;
	kvm_state_to_regs(s, &r);
	return kvm_vcpu_regs_set(vcpu, &r);
}

int kvm_state_save(struct kvm_vcpu *vcpu, struct x86_state *s)
{
	struct kvm_msr_entry e[KVM_STATE_NMSRS];
	struct kvm_sregs sr;
	struct kvm_regs r;
	int rc;

	rc = kvm_vcpu_regs_get(vcpu, &r);
	if (rc == 0)
		rc = kvm_vcpu_sregs_get(vcpu, &sr);
	if (rc < 0)
		return rc;
	kvm_state_from_regs(s, &r);
	kvm_state_from_sregs(s, &sr);
	kvm_state_to_msrs(s, e);
	rc = kvm_vcpu_msrs_get(vcpu, e, KVM_STATE_NMSRS);
	if (rc == 0)
		kvm_state_from_msrs(s, e);
	return rc;
}
