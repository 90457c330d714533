/*
 * kvm_tiny.c - the minimal long-mode VM of kvm_tiny.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm/kvm_tiny.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PS 0x80ull

static void tiny_tables_build(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + 0x1000);
	uint64_t *pdpt = (uint64_t *)(ram + 0x2000);
	uint64_t *pd0 = (uint64_t *)(ram + 0x3000);
	uint64_t *pd3 = (uint64_t *)(ram + 0x4000);
	uint64_t *gdt = (uint64_t *)(ram + 0x5000);

	/* User-accessible too, so code can drop to CPL3 (no SMEP/SMAP). */
	pml4[0] = 0x2000 | PTE_P | PTE_W | PTE_U;
	pdpt[0] = 0x3000 | PTE_P | PTE_W | PTE_U;
	pdpt[3] = 0x4000 | PTE_P | PTE_W | PTE_U;
	pd0[0] = 0x0 | PTE_P | PTE_W | PTE_U | PTE_PS;
	pd0[1] = 0x200000 | PTE_P | PTE_W | PTE_U | PTE_PS;
	pd3[0] = KVM_TINY_MMIO | PTE_P | PTE_W | PTE_U | PTE_PS;
	gdt[1] = 0x00af9b000000ffffull; /* 64-bit code, DPL0, accessed */
	gdt[2] = 0x00cf93000000ffffull; /* data, DPL0, accessed */
	gdt[3] = 0x00affb000000ffffull; /* 64-bit code, DPL3 */
	gdt[4] = 0x00cff3000000ffffull; /* data, DPL3 */
}

static void tiny_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     bool code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !code, .s = 1, .l = code,
		.g = 1,
	};
}

int kvm_tiny_reset(struct kvm_tiny *t, char *err, size_t errlen)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = KVM_TINY_CODE, .rsp = KVM_TINY_STACK,
			      .rflags = 2 };

	if (kvm_vcpu_sregs_get(&t->vcpu, &s) < 0)
		goto fail;
	tiny_seg(&s.cs, 0x08, 11, true);
	tiny_seg(&s.ds, 0x10, 3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = 0x5000;
	s.gdt.limit = 39;
	s.idt.base = 0x6000;
	s.idt.limit = 0xfff;
	s.cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	s.cr3 = 0x1000;
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LMA LME */
	if (kvm_vcpu_sregs_set(&t->vcpu, &s) < 0 ||
	    kvm_vcpu_regs_set(&t->vcpu, &r) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", t->vcpu.err);
	return -EINVAL;
}

static int tiny_cpuid_set(struct kvm_tiny *t, char *err, size_t errlen)
{
	unsigned max = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max *
				      sizeof(struct kvm_cpuid_entry2));
	int r;

	if (!c)
		return -ENOMEM;
	r = kvm_vm_supported_cpuid_get(&t->vm, c, max);
	if (r < 0)
		snprintf(err, errlen, "%s", t->vm.err);
	else if ((r = kvm_vcpu_cpuid_set(&t->vcpu, c->entries, c->nent)) < 0)
		snprintf(err, errlen, "%s", t->vcpu.err);
	free(c);
	return r;
}

int kvm_tiny_create(struct kvm_tiny *t, const void *code, size_t len,
		    char *err, size_t errlen)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->vcpu.fd = t->vm.fd = t->vm.kvm_fd = -1;
	if (len > KVM_TINY_STACK - KVM_TINY_CODE - 0x1000) {
		snprintf(err, errlen, "kvm_tiny: code too large (%zu)", len);
		return -EINVAL;
	}
	t->ram = mmap(NULL, KVM_TINY_RAM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->ram == MAP_FAILED) {
		t->ram = NULL;
		snprintf(err, errlen, "kvm_tiny: mmap RAM: %m");
		return -ENOMEM;
	}
	tiny_tables_build(t->ram);
	memcpy(t->ram + KVM_TINY_CODE, code, len);
	r = kvm_vm_create(&t->vm);
	if (r == 0)
		r = kvm_vm_memslot_set(&t->vm, 0, 0, KVM_TINY_RAM, t->ram, 0);
	if (r < 0) {
		snprintf(err, errlen, "%s", t->vm.err);
		goto fail;
	}
	r = kvm_vcpu_create(&t->vm, 0, &t->vcpu);
	if (r < 0) {
		snprintf(err, errlen, "%s", t->vcpu.err);
		goto fail;
	}
	r = tiny_cpuid_set(t, err, errlen);
	if (r == 0)
		r = kvm_tiny_reset(t, err, errlen);
	if (r < 0)
		goto fail;
	return 0;
fail:
	kvm_tiny_destroy(t);
	return r;
}

void kvm_tiny_destroy(struct kvm_tiny *t)
{
	kvm_vcpu_destroy(&t->vcpu);
	kvm_vm_destroy(&t->vm);
	if (t->ram)
		munmap(t->ram, KVM_TINY_RAM);
	t->ram = NULL;
}
