/*
 * tlb.h - the interpreter's software TLB.
 *
 * Direct-mapped, TLB_ENTRIES entries per access kind (read, write, fetch)
 * and per privilege (supervisor, user), so a hit needs no permission
 * check: an entry exists only where the page walk allowed that access at
 * that privilege. Write entries are filled only by write walks (so the D
 * bit is already set) and never for pages that hold decoded code (so
 * self-modifying writes always take the slow path). Entries map RAM pages
 * only; MMIO pages are walked every time.
 */
#ifndef VMB_INTERP_TLB_H
#define VMB_INTERP_TLB_H

#include <stdbool.h>
#include <stdint.h>

#define TLB_ENTRIES 512
#define TLB_INVALID 1ull	/* never equal to a page-aligned tag */

enum tlb_kind { TLB_R, TLB_W, TLB_X, TLB_NKIND };

struct tlb_entry {
	uint64_t tag;		/* virtual page address, or TLB_INVALID */
	uint8_t *host;		/* host address of the page */
	uint64_t gpa;		/* guest-physical page address */
	uint8_t page_shift;	/* log2 of the guest page's size, for INVLPG */
	bool global;
};	/* 32 bytes: a slot index is a shift */

#define TLB_LARGE_MAX 16

struct tlb {
	struct tlb_entry e[TLB_NKIND][2][TLB_ENTRIES];
	uint64_t epoch;		/* bumped by every invalidation */
	/* Guest large pages (2 MiB/1 GiB) with entries in the TLB, so INVLPG
	 * of an address outside all of them only checks its own slots. */
	uint64_t large_base[TLB_LARGE_MAX], large_mask[TLB_LARGE_MAX];
	unsigned nlarge;
	bool large_overflow;	/* more than TLB_LARGE_MAX: always scan */
};

static inline struct tlb_entry *tlb_slot(struct tlb *t, unsigned kind,
					 unsigned user, uint64_t va)
{
	return &t->e[kind][user][(va >> 12) & (TLB_ENTRIES - 1)];
}

/* Invalidate everything, or everything but global pages (keep_global). */
void tlb_flush(struct tlb *t, bool keep_global);

/* Remember that entries of the large page (va, size) are being filled. */
void tlb_note_large(struct tlb *t, uint64_t va, uint64_t size);

/* Invalidate the entries of one kind (used when a page becomes code). */
void tlb_flush_kind(struct tlb *t, unsigned kind);

/* Invalidate every entry from the guest page holding (va), whatever
 * its size (INVLPG). */
void tlb_flush_page(struct tlb *t, uint64_t va);

#endif /* VMB_INTERP_TLB_H */
