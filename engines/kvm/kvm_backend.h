/*
 * kvm_backend.h - which KVM backend serves /dev/kvm on this host.
 *
 * The same ioctls run on very different machinery: Intel VMX with EPT or
 * with shadow paging (kvm_intel ept=0), AMD SVM with nested paging or
 * shadow paging (kvm_amd npt=0), or PVM (module kvm_pvm: no hardware
 * virtualization; guest user code runs natively, guest kernel code is
 * emulated, see docs/kvm-pvm.md). Every result row names the backend, and
 * the PVM accommodations (pvm.h) switch on only for KVM_BACKEND_PVM.
 *
 * Detection reads the loaded modules' parameters under /sys/module: it is
 * what the kernel says it is using, not a guess from CPU flags.
 */
#ifndef VMB_KVM_BACKEND_H
#define VMB_KVM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

enum kvm_backend_kind {
	KVM_BACKEND_UNKNOWN,
	KVM_BACKEND_VMX_EPT,
	KVM_BACKEND_VMX_SHADOW,
	KVM_BACKEND_SVM_NPT,
	KVM_BACKEND_SVM_SHADOW,
	KVM_BACKEND_PVM,
};

struct kvm_backend {
	enum kvm_backend_kind kind;
	char module[16];	/* "kvm_intel", "kvm_amd", "kvm_pvm", "" */
	char detail[96];	/* e.g. "ept=Y unrestricted_guest=Y" */
};

/*
 * Detect the backend from the sysfs tree rooted at (sys_module) (normally
 * "/sys/module"; tests pass a fake tree). Never fails: an unrecognised
 * host gives KVM_BACKEND_UNKNOWN with detail saying what was seen.
 */
void kvm_backend_detect_at(const char *sys_module, struct kvm_backend *b);

/* kvm_backend_detect_at("/sys/module", b). */
void kvm_backend_detect(struct kvm_backend *b);

/* Stable short name: "vmx+ept", "vmx-shadow", "svm+npt", "svm-shadow",
 * "pvm", "unknown". Used in result rows. */
const char *kvm_backend_name(enum kvm_backend_kind kind);

/* True when the backend uses two-dimensional paging (EPT/NPT). */
bool kvm_backend_is_tdp(enum kvm_backend_kind kind);

#endif /* VMB_KVM_BACKEND_H */
