/*
 * kvm_tiny.h - a minimal long-mode VM on libkvm, without the vmbench
 * machine: for the libkvm unit tests and the raw exit microbenchmark.
 *
 * Layout of its 4 MiB of RAM (guest-physical = guest-virtual, 2 MiB pages):
 *   0x1000 PML4, 0x2000 PDPT, 0x3000 PD for [0, 1 GiB), 0x4000 PD for
 *   [3 GiB, 4 GiB) (maps KVM_TINY_MMIO, which has no memslot), all pages
 *   user-accessible; 0x5000 GDT (null, kernel code 0x08, data 0x10, user
 *   code 0x1b, data 0x23), 0x6000 an IDT with no present gate (so
 *   any exception ends in a triple fault), code at KVM_TINY_CODE, stack
 *   below KVM_TINY_STACK.
 * The vCPU starts at CPL0 in 64-bit mode at KVM_TINY_CODE with IF=0 and
 * the host's supported CPUID.
 */
#ifndef VMB_KVM_TINY_H
#define VMB_KVM_TINY_H

#include <stddef.h>
#include <stdint.h>

#include "kvm/libkvm/libkvm.h"

#define KVM_TINY_RAM (4ull << 20)
#define KVM_TINY_CODE 0x10000ull
#define KVM_TINY_STACK 0x80000ull
#define KVM_TINY_MMIO 0xC0000000ull
#define KVM_TINY_SEL_UCODE 0x1b
#define KVM_TINY_SEL_UDATA 0x23

struct kvm_tiny {
	struct kvm_vm vm;
	struct kvm_vcpu vcpu;
	uint8_t *ram;
};

/*
 * Create the VM and copy (len) bytes of (code) to KVM_TINY_CODE. Returns 0,
 * or -errno with (err) naming the failed step (the ioctl and errno).
 */
int kvm_tiny_create(struct kvm_tiny *t, const void *code, size_t len,
		    char *err, size_t errlen);

/* Put the vCPU back at KVM_TINY_CODE with the initial registers. */
int kvm_tiny_reset(struct kvm_tiny *t, char *err, size_t errlen);

/* Free everything. Safe on a zeroed or destroyed struct. */
void kvm_tiny_destroy(struct kvm_tiny *t);

#endif /* VMB_KVM_TINY_H */
