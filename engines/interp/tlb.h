/*
 * tlb.h - the interpreter's software TLB.
 *
 * Two-way set-associative, TLB_ENTRIES sets per access kind (read,
 * write, fetch) and per privilege (supervisor, user), so a hit needs no
 * permission check: an entry exists only where the page walk allowed that access at
 * that privilege. Write entries are filled only by write walks (so the D
 * bit is already set) and never for pages that hold decoded code (so
 * self-modifying writes always take the slow path). Entries map RAM pages
 * only; MMIO pages are walked every time. A fill puts the new entry in
 * way 0 and moves the one it replaces to way 1, so two pages whose
 * numbers collide (a table and the buffer it is indexed by) both stay;
 * the fast paths look at way 0, then way 1.
 */
#ifndef VMB_INTERP_TLB_H
#define VMB_INTERP_TLB_H

#include <stdbool.h>
#include <stdint.h>

#define TLB_ENTRIES 512		/* sets */
#define TLB_WAYS 2
#define TLB_SLOTS (TLB_ENTRIES * TLB_WAYS)
#define TLB_INVALID 1ull	/* never equal to a page-aligned tag */
/* Privilege index 2: CPL3 data accesses while alignment checking is on
 * (CR0.AM, RFLAGS.AC). Its entries are never filled, so every such access
 * misses into mem_*_slow(), which checks alignment there: the check
 * costs nothing while it is off. */
#define TLB_ACHECK 2u
#define TLB_USERS 3
/* From an entry to the one of the same set and privilege of the next
 * kind (read -> write). */
#define TLB_KIND_STRIDE (TLB_USERS * TLB_SLOTS)

enum tlb_kind { TLB_R, TLB_W, TLB_X, TLB_NKIND };

struct tlb_entry {
	uint64_t tag;		/* virtual page address, or TLB_INVALID */
	uint8_t *host;		/* host address of the page */
	uint64_t gpa;		/* guest-physical page address */
	uint8_t page_shift;	/* log2 of the guest page's size, for INVLPG */
	bool global;
};	/* 32 bytes: a set (two ways) is one 64-byte line */

#define TLB_LARGE_MAX 16

struct tlb {
	struct tlb_entry e[TLB_NKIND][TLB_USERS][TLB_SLOTS];	/* set s: 2s, 2s+1 */
	uint64_t epoch;		/* bumped by every invalidation */
	/* Guest large pages (2 MiB/1 GiB) with entries in the TLB, so INVLPG
	 * of an address outside all of them only checks its own slots. */
	uint64_t large_base[TLB_LARGE_MAX], large_mask[TLB_LARGE_MAX];
	unsigned nlarge;
	bool large_overflow;	/* more than TLB_LARGE_MAX: always scan */
};

/* Way 0 of the set of (va); way 1 follows it. */
static inline struct tlb_entry *tlb_slot(struct tlb *t, unsigned kind,
					 unsigned user, uint64_t va)
{
	return &t->e[kind][user][((va >> 12) & (TLB_ENTRIES - 1)) * TLB_WAYS];
}

/* The entry of the set at (set) whose tag is (tag), or NULL. */
static inline __attribute__((always_inline)) const struct tlb_entry *
tlb_match(const struct tlb_entry *set, uint64_t tag)
{
	if (__builtin_expect(set[0].tag == tag, 1))
		return &set[0];
	if (set[1].tag == tag)
		return &set[1];
	return NULL;
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
