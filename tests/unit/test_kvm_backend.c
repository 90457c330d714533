/*
 * test_kvm_backend.c - backend detection on fake /sys/module trees (runs
 * everywhere) and the x86_state <-> KVM register conversion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvm/kvm_backend.h"
#include "kvm/kvm_state.h"

/* A fresh fake sysfs root with (mod)/parameters/(param) = (val). */
static void fake_param(const char *root, const char *mod, const char *param,
		       const char *val)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, mod);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/parameters", root, mod);
	mkdir(path, 0755);
	if (!param)
		return;
	snprintf(path, sizeof(path), "%s/%s/parameters/%s", root, mod, param);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", val);
	fclose(f);
}

static int root_make(void **state)
{
	char *root = strdup("/tmp/vmb-kvm-sysfs-XXXXXX");

	assert_non_null(mkdtemp(root));
	*state = root;
	return 0;
}

static int root_remove(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static enum kvm_backend_kind detect(const char *root, struct kvm_backend *b)
{
	kvm_backend_detect_at(root, b);
	return b->kind;
}

static void intel_ept_onAndOff(void **state)
{
	struct kvm_backend b;

	fake_param(*state, "kvm_intel", "ept", "Y");
	assert_int_equal(detect(*state, &b), KVM_BACKEND_VMX_EPT);
	assert_string_equal(kvm_backend_name(b.kind), "vmx+ept");
	assert_true(kvm_backend_is_tdp(b.kind));
	fake_param(*state, "kvm_intel", "ept", "N");
	assert_int_equal(detect(*state, &b), KVM_BACKEND_VMX_SHADOW);
	assert_non_null(strstr(b.detail, "ept=N"));
	assert_false(kvm_backend_is_tdp(b.kind));
}

static void amd_npt_numericValues(void **state)
{
	struct kvm_backend b;

	fake_param(*state, "kvm_amd", "npt", "1");
	assert_int_equal(detect(*state, &b), KVM_BACKEND_SVM_NPT);
	assert_string_equal(kvm_backend_name(b.kind), "svm+npt");
	fake_param(*state, "kvm_amd", "npt", "0");
	assert_int_equal(detect(*state, &b), KVM_BACKEND_SVM_SHADOW);
	assert_string_equal(kvm_backend_name(b.kind), "svm-shadow");
}

static void pvm_winsOverHardwareModules(void **state)
{
	struct kvm_backend b;

	fake_param(*state, "kvm_amd", "npt", "1");
	fake_param(*state, "kvm_pvm", NULL, NULL);
	assert_int_equal(detect(*state, &b), KVM_BACKEND_PVM);
	assert_string_equal(kvm_backend_name(b.kind), "pvm");
	assert_false(kvm_backend_is_tdp(b.kind));
}

static void nothing_loaded_isUnknownWithReason(void **state)
{
	struct kvm_backend b;

	assert_int_equal(detect(*state, &b), KVM_BACKEND_UNKNOWN);
	assert_non_null(strstr(b.detail, "none of"));
	fake_param(*state, "kvm_intel", NULL, NULL);
	assert_int_equal(detect(*state, &b), KVM_BACKEND_UNKNOWN);
	assert_non_null(strstr(b.detail, "no ept"));
}

static void seg_equal(const struct x86_segment *a,
		      const struct x86_segment *b)
{
	assert_int_equal(a->selector, b->selector);
	assert_int_equal(a->base, b->base);
	assert_int_equal(a->limit, b->limit);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->s, b->s);
	assert_int_equal(a->dpl, b->dpl);
	assert_int_equal(a->present, b->present);
	assert_int_equal(a->avl, b->avl);
	assert_int_equal(a->l, b->l);
	assert_int_equal(a->db, b->db);
	assert_int_equal(a->g, b->g);
	assert_int_equal(a->unusable, b->unusable);
}

static void state_roundtrip_keepsEveryField(void **state)
{
	struct x86_state s, back;
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct kvm_msr_entry e[KVM_STATE_NMSRS];

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&back, 0, sizeof(back));
	memset(&sr, 0, sizeof(sr));
	for (int i = 0; i < X86_NGPR; i++)
		s.gpr[i] = 0x1000u + (uint64_t)i;
	s.rip = 0xffffffff80100000ull;
	s.rflags = 0x202;
	for (int i = 0; i < X86_NSREG; i++)
		s.seg[i] = (struct x86_segment){ .selector = (uint16_t)(8 * i),
						 .base = 0x100u * (unsigned)i,
						 .limit = 0xfffff, .type = 3,
						 .s = 1, .present = 1, .g = 1 };
	s.seg[X86_CS].l = 1;
	s.tr = (struct x86_segment){ .selector = 0x28, .limit = 0x67,
				     .type = 11, .present = 1 };
	s.ldtr.unusable = 1;
	s.gdtr = (struct x86_dtable){ 0xffffffff80002000ull, 23 };
	s.idtr = (struct x86_dtable){ 0xffffffff80003000ull, 4095 };
	s.cr0 = 0x80050033;
	s.cr2 = 0x1234;
	s.cr3 = 0x10000;
	s.cr4 = 0x20;
	s.cr8 = 1;
	s.efer = 0xd01;
	s.star = 1, s.lstar = 2, s.cstar = 3, s.sfmask = 4;
	s.kernel_gs_base = 5, s.sysenter_cs = 6, s.sysenter_esp = 7;
	s.sysenter_eip = 8, s.tsc_aux = 9, s.pat = 0x7040600070406ull;
	s.apic_base = 0xfee00d00;

	kvm_state_to_regs(&s, &r);
	kvm_state_to_sregs(&s, &sr);
	kvm_state_to_msrs(&s, e);
	assert_int_equal(e[KVM_STATE_NMSRS - 1].index, X86_MSR_APIC_BASE);
	kvm_state_from_regs(&back, &r);
	kvm_state_from_sregs(&back, &sr);
	kvm_state_from_msrs(&back, e);
	/* Field by field: struct padding is not part of the state. */
	assert_memory_equal(s.gpr, back.gpr, sizeof(s.gpr));
	assert_int_equal(back.rip, s.rip);
	assert_int_equal(back.rflags, s.rflags);
	for (int i = 0; i < X86_NSREG; i++)
		seg_equal(&s.seg[i], &back.seg[i]);
	seg_equal(&s.tr, &back.tr);
	seg_equal(&s.ldtr, &back.ldtr);
	assert_int_equal(back.gdtr.base, s.gdtr.base);
	assert_int_equal(back.gdtr.limit, s.gdtr.limit);
	assert_int_equal(back.idtr.base, s.idtr.base);
	assert_int_equal(back.idtr.limit, s.idtr.limit);
	assert_int_equal(back.cr0, s.cr0);
	assert_int_equal(back.cr2, s.cr2);
	assert_int_equal(back.cr3, s.cr3);
	assert_int_equal(back.cr4, s.cr4);
	assert_int_equal(back.cr8, s.cr8);
	assert_int_equal(back.efer, s.efer);
	assert_int_equal(back.star, 1);
	assert_int_equal(back.lstar, 2);
	assert_int_equal(back.cstar, 3);
	assert_int_equal(back.sfmask, 4);
	assert_int_equal(back.kernel_gs_base, 5);
	assert_int_equal(back.sysenter_cs, 6);
	assert_int_equal(back.sysenter_esp, 7);
	assert_int_equal(back.sysenter_eip, 8);
	assert_int_equal(back.tsc_aux, 9);
	assert_int_equal(back.pat, s.pat);
	assert_int_equal(back.apic_base, s.apic_base);
	assert_int_equal(sr.cs.l, 1);
	assert_int_equal(sr.fs.base, 0x400);
	assert_int_equal(sr.tr.type, 11);
}

#define T(f) cmocka_unit_test_setup_teardown(f, root_make, root_remove)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(intel_ept_onAndOff),
		T(amd_npt_numericValues),
		T(pvm_winsOverHardwareModules),
		T(nothing_loaded_isUnknownWithReason),
		cmocka_unit_test(state_roundtrip_keepsEveryField),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
