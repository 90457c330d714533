/*
 * pvm.c - the PVM accommodations (see pvm.h and docs/kvm-pvm.md).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kvm/kvm_guest_mem.h"
#include "kvm/kvm_state.h"
#include "kvm/pvm.h"
#include "vmb_abi.h"

void pvm_setup(struct pvm *p, struct machine *m, bool assist)
{
	struct vmb_boot_info *bi;

	memset(p, 0, sizeof(*p));
	p->active = true;
	bi = guest_mem_ptr(&m->mem, VMB_PHYS_BOOT_INFO, sizeof(*bi));
	if (assist && bi && bi->magic == VMB_BOOT_MAGIC) {
		bi->flags |= VMB_BOOT_F_PVM_ASSIST;
		p->assist = true;
	}
}

/* An IDT gate, unpacked. */
struct idt_gate {
	uint64_t offset;
	uint16_t selector;
	uint8_t type, dpl, present, ist;
};

static void gate_unpack(const uint64_t g[2], struct idt_gate *d)
{
	d->offset = (g[0] & 0xffff) | ((g[0] >> 32) & 0xffff0000ull) |
		    (g[1] << 32);
	d->selector = (uint16_t)(g[0] >> 16);
	d->ist = (uint8_t)((g[0] >> 32) & 7);
	d->type = (uint8_t)((g[0] >> 40) & 0xf);
	d->dpl = (uint8_t)((g[0] >> 45) & 3);
	d->present = (uint8_t)((g[0] >> 47) & 1);
}

/* Decode the software-interrupt instruction at (b): vector and length. */
static int soft_int_decode(const uint8_t *b, unsigned n, unsigned *vec,
			   unsigned *len)
{
	if (n >= 2 && b[0] == 0xcd) {
		*vec = b[1];
		*len = 2;
		return 0;
	}
	if (n >= 1 && b[0] == 0xcc) {
		*vec = X86_VEC_BP;
		*len = 1;
		return 0;
	}
	return -1;
}

/* Load CS for (sel) from the guest GDT into (cs). */
static int gdt_cs_load(struct machine *m, const struct kvm_sregs *sr,
		       uint16_t sel, struct kvm_segment *cs)
{
	struct x86_segment x;
	uint64_t desc;

	if ((sel & ~7u) + 7u > sr->gdt.limit ||
	    kvm_guest_vcopy(m, sr, sr->gdt.base + (sel & ~7u), &desc, 8,
			    false, NULL) < 0)
		return -1;
	x86_segment_from_desc(&x, sel, desc);
	kvm_state_seg_to_kvm(&x, cs);
	return 0;
}

/* Deliver vector (vec) of an instruction of (len) bytes at CPL0. */
static int pvm_soft_int_deliver(struct kvm_vcpu *vcpu, struct machine *m,
				struct kvm_regs *r, struct kvm_sregs *sr,
				unsigned vec, unsigned len, struct run_exit *x)
{
	struct idt_gate g;
	uint64_t raw[2], frame[5], rsp = r->rsp;
	bool cs_changes;

	if (vec * 16 + 15 > sr->idt.limit ||
	    kvm_guest_vcopy(m, sr, sr->idt.base + vec * 16, raw, 16, false,
			    NULL) < 0) {
		snprintf(x->message, sizeof(x->message), "pvm: INT 0x%x at "
			 "rip 0x%llx: IDT entry outside the IDT or unmapped",
			 vec, (unsigned long long)r->rip);
		return -1;
	}
	gate_unpack(raw, &g);
	if (!g.present || (g.type != 0xe && g.type != 0xf)) {
		snprintf(x->message, sizeof(x->message), "pvm: INT 0x%x at "
			 "rip 0x%llx: gate not present or not an interrupt/"
			 "trap gate (type 0x%x)", vec,
			 (unsigned long long)r->rip, g.type);
		return -1;
	}
	if (g.ist) {
		uint64_t ist_off = 0x24 + (g.ist - 1) * 8ull;

		if (kvm_guest_vcopy(m, sr, sr->tr.base + ist_off, &rsp, 8,
				    false, NULL) < 0)
			goto bad_stack;
	}
	rsp &= ~0xfull;
	/* Pushed in this order: SS, RSP, RFLAGS, CS, RIP (lowest address). */
	frame[4] = sr->ss.selector;
	frame[3] = r->rsp;
	frame[2] = r->rflags;
	frame[1] = sr->cs.selector;
	frame[0] = r->rip + len;
	rsp -= sizeof(frame);
	if (kvm_guest_vcopy(m, sr, rsp, frame, sizeof(frame), true, NULL) < 0)
		goto bad_stack;
	cs_changes = g.selector != sr->cs.selector;
	if (cs_changes && gdt_cs_load(m, sr, g.selector, &sr->cs) < 0) {
		snprintf(x->message, sizeof(x->message), "pvm: INT 0x%x: gate "
			 "selector 0x%x not in the GDT", vec, g.selector);
		return -1;
	}
	r->rflags &= ~(X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF |
		       (1ull << 17));
	if (g.type == 0xe)
		r->rflags &= ~X86_RFLAGS_IF;
	r->rsp = rsp;
	r->rip = g.offset;
	/* Same CS (the usual case): only the GPRs, RIP and RFLAGS change. */
	if ((cs_changes && kvm_vcpu_sregs_set(vcpu, sr) < 0) ||
	    kvm_vcpu_regs_set(vcpu, r) < 0) {
		snprintf(x->message, sizeof(x->message), "pvm: INT 0x%x: %s",
			 vec, vcpu->err);
		return -1;
	}
	return 0;
bad_stack:
	snprintf(x->message, sizeof(x->message), "pvm: INT 0x%x at rip "
		 "0x%llx: stack 0x%llx unmapped", vec,
		 (unsigned long long)r->rip, (unsigned long long)rsp);
	return -1;
}

int pvm_internal_error_handle(struct pvm *p, struct kvm_vcpu *vcpu,
			      struct machine *m, struct run_exit *x)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs r;
	struct kvm_sregs sr;
	uint8_t b[16];
	unsigned n = 0, vec, len;

	if (!p->active || run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
		return 0;
	if (kvm_vcpu_regs_get(vcpu, &r) < 0 ||
	    kvm_vcpu_sregs_get(vcpu, &sr) < 0) {
		snprintf(x->message, sizeof(x->message), "pvm: %s", vcpu->err);
		return -1;
	}
	if (sr.cs.dpl != 0)
		return 0;
	if (run->emulation_failure.flags &
	    KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) {
		n = run->emulation_failure.insn_size;
		if (n > sizeof(b))
			n = sizeof(b);
		memcpy(b, run->emulation_failure.insn_bytes, n);
	} else if (kvm_guest_vcopy(m, &sr, r.rip, b, 2, false, NULL) == 0) {
		n = 2;
	}
	if (soft_int_decode(b, n, &vec, &len) < 0)
		return 0;
	if (pvm_soft_int_deliver(vcpu, m, &r, &sr, vec, len, x) < 0)
		return -1;
	p->int_emulated++;
	return 1;
}

int pvm_watchdog_check(struct pvm *p, struct kvm_vcpu *vcpu,
		       struct machine *m, uint64_t emulations,
		       struct run_exit *x)
{
	static const uint8_t kVmcall[3] = { 0x0f, 0x01, 0xc1 };
	struct kvm_regs r;
	struct kvm_sregs sr;
	uint8_t b[3];
	bool busy;

	p->watchdog_kicks++;
	if (kvm_vcpu_regs_get(vcpu, &r) < 0 ||
	    kvm_vcpu_sregs_get(vcpu, &sr) < 0) {
		snprintf(x->message, sizeof(x->message), "pvm: %s", vcpu->err);
		return -1;
	}
	/* A livelocked VMCALL is re-emulated ~10^6 times a second. */
	busy = emulations - p->last_emulations > 1000;
	if (r.rip == p->last_rip && busy &&
	    kvm_guest_vcopy(m, &sr, r.rip, b, 3, false, NULL) == 0 &&
	    memcmp(b, kVmcall, 3) == 0)
		p->same_rip_kicks++;
	else
		p->same_rip_kicks = 0;
	p->last_rip = r.rip;
	p->last_emulations = emulations;
	if (p->same_rip_kicks < 2)
		return 0;
	p->vmcall_refused++;
	x->reason = RUN_EXIT_UNSUPPORTED_ON_BACKEND;
	x->rip = r.rip;
	snprintf(x->message, sizeof(x->message), "unsupported on this "
		 "backend: VMCALL at rip 0x%llx (CPL%u) livelocks in PVM's "
		 "instruction emulator (re-emulated forever, RIP never "
		 "advances, KVM_RUN never returns); hypercalls cannot run on "
		 "kvm/pvm", (unsigned long long)r.rip, sr.cs.dpl);
	return 1;
}

/* The value of "bench=" in (cmdline) into (out); "" when absent. */
static void cmdline_bench(const char *cmdline, char *out, size_t outlen)
{
	const char *p = cmdline, *hit;
	size_t n = 0;

	out[0] = '\0';
	while (p && (hit = strstr(p, "bench=")) != NULL) {
		if (hit == cmdline || hit[-1] == ' ') {
			for (hit += 6; *hit && *hit != ' ' && n + 1 < outlen;
			     hit++)
				out[n++] = *hit;
			out[n] = '\0';
			return;
		}
		p = hit + 6;
	}
}

int pvm_cmdline_check(struct pvm *p, const char *cmdline, struct run_exit *x)
{
	char bench[64];

	if (!p->active)
		return 0;
	cmdline_bench(cmdline, bench, sizeof(bench));
	if (strcmp(bench, "hypercall") != 0)
		return 0;
	p->vmcall_refused++;
	x->reason = RUN_EXIT_UNSUPPORTED_ON_BACKEND;
	snprintf(x->message, sizeof(x->message), "unsupported on this "
		 "backend: the hypercall workload executes VMCALL, which "
		 "livelocks in PVM's instruction emulator (re-emulated "
		 "forever, RIP never advances); refused before boot");
	return 1;
}

void pvm_counters_add(const struct pvm *p, struct machine *m,
		      struct engine_counters *c)
{
	const struct vmb_boot_info *bi;

	engine_stat_add(c, "pvm_assist", p->assist);
	engine_stat_add(c, "pvm_int_emulated", p->int_emulated);
	engine_stat_add(c, "pvm_watchdog_kicks", p->watchdog_kicks);
	engine_stat_add(c, "pvm_vmcall_refused", p->vmcall_refused);
	if (!p->assist)
		return;
	bi = guest_mem_ptr(&m->mem, VMB_PHYS_BOOT_INFO, sizeof(*bi));
	if (!bi)
		return;
	engine_stat_add(c, "pvm_assist_syscall", bi->pvm_assist_syscall);
	engine_stat_add(c, "pvm_assist_int80", bi->pvm_assist_int80);
}
