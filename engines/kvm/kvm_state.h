/*
 * kvm_state.h - convert the machine's struct x86_state to and from KVM's
 * register structs (kvm_regs, kvm_sregs, an MSR list).
 *
 * x86_state keeps segment hidden parts unpacked like kvm_segment, so the
 * conversion is field by field. FS/GS bases travel in the segments, not as
 * MSRs. CR8 goes through sregs. The TSC offset is not set here (KVM keeps
 * guest TSC = host TSC unless told otherwise, which is what the machine
 * spec asks for).
 */
#ifndef VMB_KVM_STATE_H
#define VMB_KVM_STATE_H

#include "kvm/libkvm/libkvm.h"
#include "machine/x86_state.h"

/* The MSRs of struct x86_state that KVM transfers, in kvm_state_msrs order. */
#define KVM_STATE_NMSRS 11

/* One segment register, field by field. */
void kvm_state_seg_to_kvm(const struct x86_segment *x, struct kvm_segment *k);
void kvm_state_seg_from_kvm(struct x86_segment *x, const struct kvm_segment *k);

void kvm_state_to_regs(const struct x86_state *s, struct kvm_regs *r);
void kvm_state_from_regs(struct x86_state *s, const struct kvm_regs *r);

/* (sr) must hold KVM_GET_SREGS output first: fields x86_state lacks
 * (interrupt bitmap, apic_base handled separately) are left alone. */
void kvm_state_to_sregs(const struct x86_state *s, struct kvm_sregs *sr);
void kvm_state_from_sregs(struct x86_state *s, const struct kvm_sregs *sr);

/* Fill (e) with the KVM_STATE_NMSRS MSRs of (s) (index and data). */
void kvm_state_to_msrs(const struct x86_state *s, struct kvm_msr_entry *e);
/* Take the MSR values of (e) (as filled by kvm_state_to_msrs + GET). */
void kvm_state_from_msrs(struct x86_state *s, const struct kvm_msr_entry *e);

/*
 * Load all of (s) into (vcpu): MSRs (APIC base first, so x2APIC mode is
 * set before anything depends on it), sregs, regs. Returns 0 or -errno
 * with vcpu->err naming the ioctl.
 */
int kvm_state_load(struct kvm_vcpu *vcpu, const struct x86_state *s);

/* Read the whole state of (vcpu) into (s). Returns 0 or -errno. */
int kvm_state_save(struct kvm_vcpu *vcpu, struct x86_state *s);

#endif /* VMB_KVM_STATE_H */
