/*
 * cpuid.c - the fixed CPUID table of the vmbench machine and its lookup.
 *
 * The lookup follows KVM's rules for leaves missing from a table handed
 * to KVM_SET_CPUID2 with an Intel vendor string (arch/x86/kvm/cpuid.c,
 * kvm_cpuid()): an exact (function, index) match wins; a function inside
 * the range its class's leaf 0 advertises but absent reads as zeroes; a
 * function beyond its class's maximum (or in a class without a leaf 0)
 * reads as the maximum basic leaf, with the original index. interp and bt
 * answer exactly what the kvm engine's guest sees.
 *
 * docs/machine.md explains every bit set here.
 */
#include "machine/cpuid.h"

#define SIG(a, b, c, d)                                                      \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |          \
	 (uint32_t)(d) << 24)

/* CPUID.1:EDX */
#define F1D_FPU (1u << 0)
#define F1D_TSC (1u << 4)
#define F1D_MSR (1u << 5)
#define F1D_PAE (1u << 6)
#define F1D_CX8 (1u << 8)
#define F1D_APIC (1u << 9)
#define F1D_PGE (1u << 13)
#define F1D_CMOV (1u << 15)
#define F1D_MMX (1u << 23)
#define F1D_FXSR (1u << 24)
#define F1D_SSE (1u << 25)
#define F1D_SSE2 (1u << 26)
/* CPUID.1:ECX */
#define F1C_X2APIC (1u << 21)
#define F1C_HYPERVISOR (1u << 31)
/* CPUID.80000001H:EDX */
#define F81D_SYSCALL (1u << 11)
#define F81D_NX (1u << 20)
#define F81D_PDPE1GB (1u << 26)
#define F81D_RDTSCP (1u << 27)
#define F81D_LM (1u << 29)
/* CPUID.80000007H:EDX */
#define F87D_INVTSC (1u << 8)

/* Family 6, model 0x3a, stepping 9: a plain 64-bit Intel core. */
#define CPUID_SIGNATURE 0x000306a9u

static const struct cpuid_entry cpuid_entries[] = {
	/* max basic leaf 7, "GenuineIntel" (KVM picks Intel rules from it) */
	{ 0x0, 0, 0, 0x7, SIG('G', 'e', 'n', 'u'), SIG('n', 't', 'e', 'l'),
	  SIG('i', 'n', 'e', 'I') },
	/* signature; APIC ID 0; x2APIC, hypervisor; x86-64 baseline */
	{ 0x1, 0, 0, CPUID_SIGNATURE, 0, F1C_X2APIC | F1C_HYPERVISOR,
	  F1D_FPU | F1D_TSC | F1D_MSR | F1D_PAE | F1D_CX8 | F1D_APIC |
		  F1D_PGE | F1D_CMOV | F1D_MMX | F1D_FXSR | F1D_SSE |
		  F1D_SSE2 },
	/* structured extended features: none (no SMEP/SMAP/FSGSBASE/AVX2) */
	{ 0x7, 0, CPUID_F_SIGNIFICANT_INDEX, 0, 0, 0, 0 },
	/* hypervisor range: only this leaf, "vmbench" */
	{ 0x40000000, 0, 0, 0x40000000, SIG('v', 'm', 'b', 'e'),
	  SIG('n', 'c', 'h', 0), 0 },
	{ 0x80000000, 0, 0, 0x80000008, 0, 0, 0 },
	{ 0x80000001, 0, 0, 0, 0, 0,
	  F81D_SYSCALL | F81D_NX | F81D_PDPE1GB | F81D_RDTSCP | F81D_LM },
	/* brand string "vmbench virtual x86-64 CPU", NUL padded */
	{ 0x80000002, 0, 0, SIG('v', 'm', 'b', 'e'), SIG('n', 'c', 'h', ' '),
	  SIG('v', 'i', 'r', 't'), SIG('u', 'a', 'l', ' ') },
	{ 0x80000003, 0, 0, SIG('x', '8', '6', '-'), SIG('6', '4', ' ', 'C'),
	  SIG('P', 'U', 0, 0), 0 },
	{ 0x80000004, 0, 0, 0, 0, 0, 0 },
	{ 0x80000007, 0, 0, 0, 0, 0, F87D_INVTSC },
	/* physical and linear address widths */
	{ 0x80000008, 0, 0, CPUID_PHYS_ADDR_BITS | (48u << 8), 0, 0, 0 },
};

const struct cpuid_entry *cpuid_table(size_t *n)
{
	*n = sizeof(cpuid_entries) / sizeof(cpuid_entries[0]);
	return cpuid_entries;
}

/* KVM's kvm_find_cpuid_entry_index(): exact function, index if it matters. */
static const struct cpuid_entry *cpuid_find(uint32_t function, uint32_t index)
{
	size_t n;
	const struct cpuid_entry *t = cpuid_table(&n);

	for (size_t i = 0; i < n; i++)
		if (t[i].function == function &&
		    (!(t[i].flags & CPUID_F_SIGNIFICANT_INDEX) ||
		     t[i].index == index))
			return &t[i];
	return NULL;
}

/* KVM's get_out_of_range_cpuid_entry() for an Intel vendor string. */
static const struct cpuid_entry *cpuid_out_of_range(uint32_t function,
						    uint32_t index)
{
	const struct cpuid_entry *basic = cpuid_find(0, 0), *class;

	if (function >= 0x40000000 && function <= 0x4fffffff)
		class = cpuid_find(function & 0xffffff00, 0);
	else if (function >= 0xc0000000)
		class = cpuid_find(0xc0000000, 0);
	else
		class = cpuid_find(function & 0x80000000, 0);
	if (class && function <= class->eax)
		return NULL;
	return cpuid_find(basic->eax, index);
}

void cpuid_lookup(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
		  uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	const struct cpuid_entry *e = cpuid_find(leaf, subleaf);

	if (!e)
		e = cpuid_out_of_range(leaf, subleaf);
	if (!e) {
		*eax = *ebx = *ecx = *edx = 0;
		return;
	}
	*eax = e->eax;
	*ebx = e->ebx;
	*ecx = e->ecx;
	*edx = e->edx;
}
