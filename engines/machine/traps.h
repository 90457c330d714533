/*
 * traps.h - the trap taxonomy: one vocabulary for "why did the guest stop
 * running natively", shared by every engine and by the harness output.
 *
 * Each engine maps its own events onto these kinds (interp: every
 * sensitive instruction it executes; bt: monitor calls and host faults;
 * kvm: exit reasons and in-kernel statistics). The names returned by
 * trap_kind_name() are the column names in results: keep them stable.
 */
#ifndef VMB_TRAPS_H
#define VMB_TRAPS_H

#include <stdint.h>

/* X-macro: kind, output name, one-line meaning (docs/machine.md). */
#define TRAP_KINDS(X)                                                        \
	X(TRAP_PIO, "pio", "port I/O instruction")                           \
	X(TRAP_MMIO, "mmio", "access to a device MMIO page")                 \
	X(TRAP_CPUID, "cpuid", "CPUID instruction")                          \
	X(TRAP_MSR, "msr", "RDMSR or WRMSR")                                 \
	X(TRAP_CR_ACCESS, "cr_access", "MOV to or from a control register")  \
	X(TRAP_INVLPG, "invlpg", "INVLPG")                                   \
	X(TRAP_HLT, "hlt", "HLT")                                            \
	X(TRAP_HYPERCALL, "hypercall", "VMCALL")                             \
	X(TRAP_GUEST_EXCEPTION, "guest_exception",                           \
	  "exception delivered to the guest (see by-vector counts)")         \
	X(TRAP_INTERRUPT_INJECTION, "interrupt_injection",                   \
	  "external interrupt delivered to the guest")                       \
	X(TRAP_HIDDEN_PAGE_FAULT, "hidden_page_fault",                       \
	  "shadow page-table fill the guest never sees")                     \
	X(TRAP_PT_WRITE, "pt_write", "write to a traced guest page table")   \
	X(TRAP_CODE_INVALIDATE, "code_invalidate",                           \
	  "write to guest code that had been decoded or translated")        \
	X(TRAP_OTHER, "other", "anything else")

enum trap_kind {
#define TRAP_ENUM(k, name, doc) k,
	TRAP_KINDS(TRAP_ENUM)
#undef TRAP_ENUM
	TRAP_NR
};

#define TRAP_VECTORS 32

struct trap_counters {
	uint64_t count[TRAP_NR];
	uint64_t exception_by_vector[TRAP_VECTORS]; /* split of GUEST_EXCEPTION */
};

/* Stable output name of (kind), e.g. "cr_access"; "?" when out of range. */
const char *trap_kind_name(enum trap_kind kind);

/* One-line description of (kind) for docs and `vmbench info`. */
const char *trap_kind_doc(enum trap_kind kind);

/* Conventional mnemonic of exception (vector): "DE", "PF", ... or "vecNN". */
const char *trap_vector_name(unsigned vector);

/* (out) = (b) - (a), element-wise: the counts between two snapshots. */
void trap_counters_diff(const struct trap_counters *a,
			const struct trap_counters *b,
			struct trap_counters *out);

/* Count one guest exception: bumps GUEST_EXCEPTION and its vector. */
static inline void trap_count_exception(struct trap_counters *t,
					unsigned vector)
{
	t->count[TRAP_GUEST_EXCEPTION]++;
	if (vector < TRAP_VECTORS)
		t->exception_by_vector[vector]++;
}

#endif /* VMB_TRAPS_H */
