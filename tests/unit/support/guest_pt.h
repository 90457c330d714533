/*
 * guest_pt.h - 4-level guest page tables written straight into guest RAM,
 * for tests and benches that drive bt's vCPU or shadow (or any page walk)
 * without a guest kernel.
 *
 * Table pages come from a bump allocator: (*next_table) is the
 * guest-physical address of the next free, zeroed, page-aligned page; the
 * caller points it at a free RAM area before the first mapping and may
 * move it (e.g. to build a second address space elsewhere).
 */
#ifndef VMB_TEST_GUEST_PT_H
#define VMB_TEST_GUEST_PT_H

#include <stdint.h>

#include "machine/guest_mem.h"

/*
 * The leaf PTE slot for (va) in the tables rooted at (cr3), creating the
 * missing upper tables as guest_pt_map4k() does (the leaf is left as it
 * is); NULL when a table would lie outside RAM.
 */
uint64_t *guest_pt_slot(struct guest_mem *m, uint64_t *next_table,
		       uint64_t cr3, uint64_t va);

/*
 * Map the 4 KiB page at (va) to guest-physical (gpa) with leaf flags
 * (flags) (P, RW, US, A, D, G, NX as the caller wants them) in the tables
 * rooted at (cr3) in (m). Missing tables are taken from (*next_table) and
 * linked present, writable and user, so the leaf alone decides. Returns
 * 0, or -1 when a table would lie outside RAM (nothing is written then).
 */
int guest_pt_map4k(struct guest_mem *m, uint64_t *next_table, uint64_t cr3,
		   uint64_t va, uint64_t gpa, uint64_t flags);

#endif /* VMB_TEST_GUEST_PT_H */
