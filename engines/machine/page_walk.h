/*
 * page_walk.h - the guest's 4-level page walk, as the hardware does it.
 *
 * Shared by interp (behind its software TLB) and bt (to fill shadow
 * mappings). Implements long-mode 4-level paging with 4 KiB, 2 MiB and
 * 1 GiB pages, U/S, R/W with CR0.WP, NX with EFER.NXE, reserved-bit checks,
 * SMEP/SMAP when enabled in CR4, and sets Accessed/Dirty bits in guest
 * memory exactly when hardware would (A on every successful walk level, D
 * on a write to the final entry). On failure it returns the #PF error code
 * the CPU would report.
 *
 * A and D are written only when the whole translation succeeds (as KVM's
 * software walker does); a faulting walk leaves guest memory untouched.
 * The caller has already checked that (va) is canonical (else #GP) and
 * that paging is on in long mode. Physical-address bits from
 * CPUID_PHYS_ADDR_BITS to 51 are reserved in every entry.
 */
#ifndef VMB_PAGE_WALK_H
#define VMB_PAGE_WALK_H

#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

enum walk_access {
	WALK_READ = 0,
	WALK_WRITE = 1,
	WALK_EXEC = 2,
};

/* The paging-related control state a walk depends on. */
struct walk_ctx {
	uint64_t cr3, cr0, cr4, efer;
	unsigned cpl;		/* 3 = user access */
	bool implicit_supervisor; /* descriptor-table access: supervisor even at CPL3 */
	bool ac;		/* RFLAGS.AC, for SMAP */
};

struct walk_result {
	uint64_t gpa;		/* translated guest-physical address */
	uint64_t page_size;	/* 4 KiB, 2 MiB or 1 GiB */
	bool writable;		/* R/W set at every level (CR0.WP not applied) */
	bool user;		/* U/S set at every level */
	bool executable;	/* no XD at any level (or EFER.NXE clear) */
	bool global;
	bool dirty;		/* final entry's D after this walk */
	unsigned mem_refs;	/* page-table entries read (for counters) */
	uint64_t pte_gpa;	/* guest-physical address of the final entry */
};

/*
 * Translate (va) for (access) under (ctx). Returns 0 and fills (res), or
 * returns -1 with (*pf_error) set to the #PF error code (the caller
 * delivers #PF with CR2 = va). A/D updates are written to (mem). A page
 * table pointing outside RAM is reported as a reserved-bit #PF.
 */
int page_walk(struct guest_mem *mem, const struct walk_ctx *ctx, uint64_t va,
	      enum walk_access access, struct walk_result *res,
	      uint32_t *pf_error);

#endif /* VMB_PAGE_WALK_H */
