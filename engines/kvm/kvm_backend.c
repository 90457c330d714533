/*
 * kvm_backend.c - backend detection from /sys/module (see kvm_backend.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kvm/kvm_backend.h"

/* Read /sys/module/<mod>/parameters/<param> into (val); 0 or -1. */
static int param_read(const char *root, const char *mod, const char *param,
		      char *val, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/parameters/%s", root, mod, param);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(val, (int)len, f))
		val[0] = '\0';
	fclose(f);
	val[strcspn(val, "\n")] = '\0';
	return 0;
}

static bool module_loaded(const char *root, const char *mod)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, mod);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Module parameters print booleans as Y/N or 1/0. */
static bool param_true(const char *v)
{
	return v[0] == 'Y' || v[0] == 'y' || v[0] == '1';
}

static void detect_hw(const char *root, struct kvm_backend *b,
		      const char *mod, const char *tdp, enum kvm_backend_kind on,
		      enum kvm_backend_kind off)
{
	char v[32] = "";

	snprintf(b->module, sizeof(b->module), "%s", mod);
	if (param_read(root, mod, tdp, v, sizeof(v)) < 0) {
		b->kind = KVM_BACKEND_UNKNOWN;
		snprintf(b->detail, sizeof(b->detail), "%s loaded but no %s "
			 "parameter", mod, tdp);
		return;
	}
	b->kind = param_true(v) ? on : off;
	snprintf(b->detail, sizeof(b->detail), "%s %s=%s", mod, tdp, v);
}

void kvm_backend_detect_at(const char *root, struct kvm_backend *b)
{
	memset(b, 0, sizeof(*b));
	if (module_loaded(root, "kvm_pvm")) {
		char v[32] = "?";

		b->kind = KVM_BACKEND_PVM;
		snprintf(b->module, sizeof(b->module), "kvm_pvm");
		param_read(root, "kvm", "tdp_mmu", v, sizeof(v));
		snprintf(b->detail, sizeof(b->detail), "kvm_pvm (software "
			 "backend, shadow paging; kvm tdp_mmu=%s)", v);
	} else if (module_loaded(root, "kvm_intel")) {
		detect_hw(root, b, "kvm_intel", "ept", KVM_BACKEND_VMX_EPT,
			  KVM_BACKEND_VMX_SHADOW);
	} else if (module_loaded(root, "kvm_amd")) {
		detect_hw(root, b, "kvm_amd", "npt", KVM_BACKEND_SVM_NPT,
			  KVM_BACKEND_SVM_SHADOW);
	} else {
		b->kind = KVM_BACKEND_UNKNOWN;
		snprintf(b->detail, sizeof(b->detail), "none of kvm_intel, "
			 "kvm_amd, kvm_pvm under %s", root);
	}
}

void kvm_backend_detect(struct kvm_backend *b)
{
	kvm_backend_detect_at("/sys/module", b);
}

const char *kvm_backend_name(enum kvm_backend_kind kind)
{
	static const char *const names[] = {
		[KVM_BACKEND_UNKNOWN] = "unknown",
		[KVM_BACKEND_VMX_EPT] = "vmx+ept",
		[KVM_BACKEND_VMX_SHADOW] = "vmx-shadow",
		[KVM_BACKEND_SVM_NPT] = "svm+npt",
		[KVM_BACKEND_SVM_SHADOW] = "svm-shadow",
		[KVM_BACKEND_PVM] = "pvm",
	};

	if ((unsigned)kind < sizeof(names) / sizeof(names[0]))
		return names[kind];
	return "unknown";
}

bool kvm_backend_is_tdp(enum kvm_backend_kind kind)
{
	return kind == KVM_BACKEND_VMX_EPT || kind == KVM_BACKEND_SVM_NPT;
}
