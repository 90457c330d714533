/*
 * cpuid.h - the machine's CPUID table, identical on every engine.
 *
 * The guest sees one fixed processor description whatever the host is:
 * interp and bt answer CPUID from this table, kvm passes it to
 * KVM_SET_CPUID2. It advertises only what every engine implements (long
 * mode, NX, SYSCALL, RDTSCP, x2APIC, no SSE use by the guest, ...); the
 * exact contents are listed in docs/machine.md. Leaves above the maximum
 * return the highest basic leaf's values, as on Intel hardware.
 */
#ifndef VMB_CPUID_H
#define VMB_CPUID_H

#include <stddef.h>
#include <stdint.h>

struct cpuid_entry {
	uint32_t function, index;
	uint32_t flags;		/* CPUID_F_SIGNIFICANT_INDEX when index matters */
	uint32_t eax, ebx, ecx, edx;
};

#define CPUID_F_SIGNIFICANT_INDEX 1u

/* MAXPHYADDR advertised in CPUID.80000008H:EAX[7:0]. Page-table entry bits
 * from here to 51 are reserved (page_walk.c checks them). */
#define CPUID_PHYS_ADDR_BITS 39u

/* The table and its length (stable for the life of the process). */
const struct cpuid_entry *cpuid_table(size_t *n);

/* Answer CPUID(leaf, subleaf) the way the machine spec says. */
void cpuid_lookup(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
		  uint32_t *ebx, uint32_t *ecx, uint32_t *edx);

#endif /* VMB_CPUID_H */
