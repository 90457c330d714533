/*
 * kvm_guest_mem.h - read and write guest-virtual memory from the VMM, for
 * the few places the kvm engine must look at the guest the way its CPU
 * does: instruction bytes for error reports, the IDT, TSS and stack when
 * pvm.c delivers an interrupt. Translation is the machine's page walk
 * (page_walk.h) under the vCPU's current CR0/CR3/CR4/EFER, as a supervisor
 * access (the VMM acts for the CPU), so A/D bits are set as hardware would.
 */
#ifndef VMB_KVM_GUEST_MEM_H
#define VMB_KVM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/libkvm/libkvm.h"
#include "machine/machine.h"

/*
 * Copy (len) bytes at guest-virtual (gva) into (buf) (or from (buf) when
 * (write)), page by page. Returns 0, or -1 at the first page that does not
 * translate or lies outside RAM (then *bad_gva, if not NULL, is that page).
 */
int kvm_guest_vcopy(struct machine *m, const struct kvm_sregs *sr,
		    uint64_t gva, void *buf, size_t len, bool write,
		    uint64_t *bad_gva);

/* Format up to (n) instruction bytes at (rip) as "0f 01 c1 ..." into
 * (out); "(unreadable at 0x...)" when the page does not translate. */
void kvm_guest_insn_format(struct machine *m, const struct kvm_sregs *sr,
			   uint64_t rip, unsigned n, char *out, size_t outlen);

#endif /* VMB_KVM_GUEST_MEM_H */
