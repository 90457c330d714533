/*
 * kvm_vm.c - /dev/kvm and VM-level ioctls (see libkvm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm/libkvm/kvm_ioctl.h"
#include "kvm/libkvm/libkvm.h"

int kvm_err_set(char *err, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, KVM_ERR_MAX, fmt, ap);
	va_end(ap);
	return ret;
}

int kvm_ioctl_named(char *err, int fd, unsigned long cmd, const char *name,
		    unsigned long arg)
{
	int r = ioctl(fd, cmd, arg);

	if (r >= 0)
		return r;
	r = -errno;
	/* A kicked KVM_RUN is expected (time limit), not an error to keep. */
	if (r != -EINTR)
		kvm_err_set(err, r, "%s: %s", name, strerror(-r));
	return r;
}

int kvm_available(char *why, size_t whylen)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0) {
		r = -errno;
		if (errno == ENOENT)
			snprintf(why, whylen, "%s does not exist: load the kvm "
				 "module (kvm_intel, kvm_amd or kvm_pvm)",
				 KVM_DEV_PATH);
		else if (errno == EACCES || errno == EPERM)
			snprintf(why, whylen, "%s: permission denied (join the "
				 "kvm group or run as root)", KVM_DEV_PATH);
		else
			snprintf(why, whylen, "open %s: %s", KVM_DEV_PATH,
				 strerror(errno));
		return r;
	}
	r = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (r != KVM_API_VERSION) {
		snprintf(why, whylen, "%s: KVM_GET_API_VERSION returned %d, "
			 "need %d", KVM_DEV_PATH, r, KVM_API_VERSION);
		return -ENOTSUP;
	}
	return 0;
}

int kvm_vm_create(struct kvm_vm *vm)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->kvm_fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return kvm_err_set(vm->err, -errno, "open %s: %s",
				   KVM_DEV_PATH, strerror(errno));
	r = KVM_IOCTL_VAL(vm->err, vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r < 0)
		goto fail;
	vm->api_version = r;
	if (r != KVM_API_VERSION) {
		r = kvm_err_set(vm->err, -ENOTSUP, "KVM_GET_API_VERSION: %d, "
				"need %d", vm->api_version, KVM_API_VERSION);
		goto fail;
	}
	r = KVM_IOCTL_VAL(vm->err, vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		goto fail;
	vm->vcpu_mmap_size = r;
	r = KVM_IOCTL_VAL(vm->err, vm->kvm_fd, KVM_CREATE_VM, 0);
	if (r < 0)
		goto fail;
	vm->fd = r;
	return 0;
fail:
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	return r;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->fd > 0)
		close(vm->fd);
	if (vm->kvm_fd > 0)
		close(vm->kvm_fd);
	vm->fd = vm->kvm_fd = -1;
}

int kvm_vm_sys_cap_check(struct kvm_vm *vm, long cap)
{
	return KVM_IOCTL_VAL(vm->err, vm->kvm_fd, KVM_CHECK_EXTENSION, cap);
}

int kvm_vm_cap_check(struct kvm_vm *vm, long cap)
{
	return KVM_IOCTL_VAL(vm->err, vm->fd, KVM_CHECK_EXTENSION, cap);
}

int kvm_vm_cap_enable(struct kvm_vm *vm, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap ec = { .cap = cap, .args = { arg0 } };
	int r = KVM_IOCTL(vm->err, vm->fd, KVM_ENABLE_CAP, &ec);

	if (r < 0)
		kvm_err_set(vm->err, r, "KVM_ENABLE_CAP(cap %u, arg %llu): %s",
			    cap, (unsigned long long)arg0, strerror(-r));
	return r < 0 ? r : 0;
}

int kvm_vm_supported_cpuid_get(struct kvm_vm *vm, struct kvm_cpuid2 *out,
			       unsigned max)
{
	int r;

	out->nent = max;
	r = KVM_IOCTL(vm->err, vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, out);
	return r < 0 ? r : 0;
}

int kvm_vm_msr_index_list_get(struct kvm_vm *vm, uint32_t *idx, unsigned max)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	struct kvm_msr_list *l;
	unsigned n;
	int r;

	/* The first call fails with E2BIG and tells the count. */
	r = ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe);
	if (r < 0 && errno != E2BIG)
		return kvm_err_set(vm->err, -errno, "KVM_GET_MSR_INDEX_LIST: "
				   "%s", strerror(errno));
	n = probe.nmsrs;
	l = calloc(1, sizeof(*l) + n * sizeof(l->indices[0]));
	if (!l)
		return kvm_err_set(vm->err, -ENOMEM, "KVM_GET_MSR_INDEX_LIST: "
				   "out of memory");
	l->nmsrs = n;
	r = KVM_IOCTL(vm->err, vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, l);
	if (r >= 0) {
		memcpy(idx, l->indices, (n < max ? n : max) * sizeof(*idx));
		r = (int)n;
	}
	free(l);
	return r;
}

int kvm_vm_memslot_set(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		       uint64_t size, void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region reg = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};
	int r = KVM_IOCTL(vm->err, vm->fd, KVM_SET_USER_MEMORY_REGION, &reg);

	if (r < 0)
		kvm_err_set(vm->err, r, "KVM_SET_USER_MEMORY_REGION(slot %u, "
			    "gpa 0x%llx, size 0x%llx, hva %p): %s", slot,
			    (unsigned long long)gpa, (unsigned long long)size,
			    hva, strerror(-r));
	return r < 0 ? r : 0;
}

int kvm_vm_irqchip_create(struct kvm_vm *vm)
{
	int r = KVM_IOCTL_VAL(vm->err, vm->fd, KVM_CREATE_IRQCHIP, 0);

	return r < 0 ? r : 0;
}

int kvm_vm_irqchip_split_enable(struct kvm_vm *vm, uint32_t ioapic_pins)
{
	return kvm_vm_cap_enable(vm, KVM_CAP_SPLIT_IRQCHIP, ioapic_pins);
}

int kvm_vm_tss_addr_set(struct kvm_vm *vm, uint64_t gpa)
{
	int r = KVM_IOCTL_VAL(vm->err, vm->fd, KVM_SET_TSS_ADDR, gpa);

	return r < 0 ? r : 0;
}

int kvm_vm_stats_fd_get(struct kvm_vm *vm)
{
	return KVM_IOCTL_VAL(vm->err, vm->fd, KVM_GET_STATS_FD, 0);
}
