/*
 * kvm_vcpu.c - vCPU ioctls (see libkvm.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/libkvm/kvm_ioctl.h"
#include "kvm/libkvm/libkvm.h"

int kvm_vcpu_create(struct kvm_vm *vm, unsigned id, struct kvm_vcpu *vcpu)
{
	void *run;
	int r;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	r = KVM_IOCTL_VAL(vcpu->err, vm->fd, KVM_CREATE_VCPU, id);
	if (r < 0) {
		vcpu->fd = -1;
		return r;
	}
	vcpu->fd = r;
	vcpu->run_size = (size_t)vm->vcpu_mmap_size;
	run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	if (run == MAP_FAILED) {
		r = kvm_err_set(vcpu->err, -errno, "mmap kvm_run (%zu bytes): "
				"%s", vcpu->run_size, strerror(errno));
		close(vcpu->fd);
		vcpu->fd = -1;
		return r;
	}
	vcpu->run = run;
	return 0;
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd > 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	int r = KVM_IOCTL_VAL(vcpu->err, vcpu->fd, KVM_RUN, 0);

	return r < 0 ? r : 0;
}

int kvm_vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_GET_REGS, regs);

	return r < 0 ? r : 0;
}

int kvm_vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_SET_REGS, regs);

	return r < 0 ? r : 0;
}

int kvm_vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_GET_SREGS, sregs);

	return r < 0 ? r : 0;
}

int kvm_vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_SET_SREGS, sregs);

	return r < 0 ? r : 0;
}

/* KVM_{GET,SET}_MSRS return how many entries were done; short = refused. */
static int vcpu_msrs_xfer(struct kvm_vcpu *vcpu, unsigned long cmd,
			  const char *name, const struct kvm_msr_entry *e,
			  struct kvm_msr_entry *out, unsigned n)
{
	struct kvm_msrs *m;
	int r;

	m = calloc(1, sizeof(*m) + n * sizeof(*e));
	if (!m)
		return kvm_err_set(vcpu->err, -ENOMEM, "%s: out of memory",
				   name);
	m->nmsrs = n;
	memcpy(m->entries, e, n * sizeof(*e));
	r = kvm_ioctl_named(vcpu->err, vcpu->fd, cmd, name,
			    (unsigned long)m);
	if (r >= 0 && (unsigned)r < n)
		r = kvm_err_set(vcpu->err, -EINVAL, "%s: MSR 0x%x refused "
				"(%d of %u done)", name, e[r].index, r, n);
	else if (r >= 0 && out)
		memcpy(out, m->entries, n * sizeof(*e));
	free(m);
	return r < 0 ? r : 0;
}

int kvm_vcpu_msrs_get(struct kvm_vcpu *vcpu, struct kvm_msr_entry *e,
		      unsigned n)
{
	KVM_IOCTL_SIZE_CHECK(KVM_GET_MSRS, (struct kvm_msrs *)0);
	return vcpu_msrs_xfer(vcpu, KVM_GET_MSRS, "KVM_GET_MSRS", e, e, n);
}

int kvm_vcpu_msrs_set(struct kvm_vcpu *vcpu, const struct kvm_msr_entry *e,
		      unsigned n)
{
	KVM_IOCTL_SIZE_CHECK(KVM_SET_MSRS, (struct kvm_msrs *)0);
	return vcpu_msrs_xfer(vcpu, KVM_SET_MSRS, "KVM_SET_MSRS", e, NULL, n);
}

int kvm_vcpu_msr_get(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *val)
{
	struct kvm_msr_entry e = { .index = index };
	int r = kvm_vcpu_msrs_get(vcpu, &e, 1);

	*val = e.data;
	return r;
}

int kvm_vcpu_msr_set(struct kvm_vcpu *vcpu, uint32_t index, uint64_t val)
{
	struct kvm_msr_entry e = { .index = index, .data = val };

	return kvm_vcpu_msrs_set(vcpu, &e, 1);
}

int kvm_vcpu_cpuid_set(struct kvm_vcpu *vcpu,
		       const struct kvm_cpuid_entry2 *e, unsigned n)
{
	struct kvm_cpuid2 *c;
	int r;

	c = calloc(1, sizeof(*c) + n * sizeof(*e));
	if (!c)
		return kvm_err_set(vcpu->err, -ENOMEM, "KVM_SET_CPUID2: out "
				   "of memory");
	c->nent = n;
	memcpy(c->entries, e, n * sizeof(*e));
	r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? r : 0;
}

int kvm_vcpu_lapic_get(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_GET_LAPIC, s);

	return r < 0 ? r : 0;
}

int kvm_vcpu_lapic_set(struct kvm_vcpu *vcpu, const struct kvm_lapic_state *s)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_SET_LAPIC, s);

	return r < 0 ? r : 0;
}

int kvm_vcpu_mp_state_set(struct kvm_vcpu *vcpu, const struct kvm_mp_state *mp)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_SET_MP_STATE, mp);

	return r < 0 ? r : 0;
}

int kvm_vcpu_events_get(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_GET_VCPU_EVENTS, ev);

	return r < 0 ? r : 0;
}

int kvm_vcpu_events_set(struct kvm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_SET_VCPU_EVENTS, ev);

	return r < 0 ? r : 0;
}

int kvm_vcpu_tsc_offset_get(struct kvm_vcpu *vcpu, uint64_t *offset)
{
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)(uintptr_t)offset,
	};
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_GET_DEVICE_ATTR, &a);

	return r < 0 ? r : 0;
}

int kvm_vcpu_tsc_offset_set(struct kvm_vcpu *vcpu, uint64_t offset)
{
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)(uintptr_t)&offset,
	};
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_SET_DEVICE_ATTR, &a);

	return r < 0 ? r : 0;
}

int kvm_vcpu_mp_state_get(struct kvm_vcpu *vcpu, struct kvm_mp_state *mp)
{
	int r = KVM_IOCTL(vcpu->err, vcpu->fd, KVM_GET_MP_STATE, mp);

	return r < 0 ? r : 0;
}

int kvm_vcpu_tsc_khz_get(struct kvm_vcpu *vcpu)
{
	return KVM_IOCTL_VAL(vcpu->err, vcpu->fd, KVM_GET_TSC_KHZ, 0);
}

int kvm_vcpu_stats_fd_get(struct kvm_vcpu *vcpu)
{
	return KVM_IOCTL_VAL(vcpu->err, vcpu->fd, KVM_GET_STATS_FD, 0);
}
