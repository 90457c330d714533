/*
 * bt_window.h - host windows: 4 GiB of host address space standing for one
 * guest address space at one privilege level.
 *
 * Translated code reaches guest memory only as %gs:(32-bit effective
 * address), with the GS base at a window's base. Because the effective
 * address is truncated to 32 bits, every such access lands in
 * [base, base + 4 GiB + 64): the window plus its trailing guard. The guest
 * layout (user below 2 GiB, kernel in the top 2 GiB) makes the low 32 bits
 * of every supported guest VA unique, so the window offset of a guest VA
 * is simply its low 32 bits.
 *
 * A window is reserved PROT_NONE (MAP_NORESERVE) with a guard region on
 * each side that is never mapped. A guest page becomes visible by mapping
 * its RAM page (the guest memfd at offset gpa) at base + offset with the
 * permissions the shadow policy computes; unmapping puts PROT_NONE
 * anonymous memory back. The window keeps one state byte per page, so the
 * shadow code knows what is mapped, and the list of mapped pages, so a
 * flush costs what was mapped rather than 4 GiB.
 *
 * Not thread-safe; the signal handler (bt_fault.c) only reads base/size.
 */
#ifndef VMB_BT_WINDOW_H
#define VMB_BT_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BT_WINDOW_SIZE (1ull << 32)
#define BT_WINDOW_PAGE 4096ull
#define BT_WINDOW_PAGES (BT_WINDOW_SIZE / BT_WINDOW_PAGE)
/* Unmapped host space on each side of a window (64 KiB: larger than any
 * single access, so an access straddling an edge faults in the guard). */
#define BT_WINDOW_GUARD (64ull << 10)

/* Per-page state bits (bt_window.page_state[]). */
#define BT_PAGE_MAPPED 0x01	/* a RAM page is mapped here */
#define BT_PAGE_WRITE 0x02	/* mapped writable */
#define BT_PAGE_GLOBAL 0x04	/* guest PTE had G (kept across CR3 writes) */
#define BT_PAGE_USER 0x08	/* free for the policy: e.g. user-page marker */
#define BT_PAGE_DROP 0x40	/* still mapped, to be unmapped by
				 * bt_window_unmap_marked() */

/* Request bit for bt_window_map*() (flags), never stored: fill the host
 * page-table entries now (MAP_POPULATE), so the first access after the
 * map takes no host fault. Populating costs about one host fault for the
 * first page and little for each further one (the kernel maps 16 per
 * step), so it pays for pages about to be touched. */
#define BT_MAP_POPULATE 0x80

struct bt_window {
	uint8_t *base;		/* guest offset 0; NULL when not reserved */
	uint8_t *reserve;	/* start of the reservation (base - guard) */
	size_t reserve_len;
	int ram_fd;		/* guest memfd pages are mapped from */
	uint64_t ram_size;
	const char *name;	/* "kernel", "user": for messages */

	uint8_t *page_state;	/* BT_WINDOW_PAGES bytes */
	uint32_t *mapped;	/* indices of pages with BT_PAGE_MAPPED */
	uint32_t *mapped_pos;	/* page index -> slot in mapped[] (valid when mapped) */
	uint32_t *page_frame;	/* page index -> gpa >> 12 (valid when mapped) */
	uint32_t *page_pte;	/* page index -> guest PTE gpa >> 3, 0 = none */
	uint32_t *frame_writable; /* RAM frame -> pages mapping it writable
				 * here (bt_window_protect_frame's filter) */
	uint32_t nmapped, cap;
	uint32_t runs;		/* mapped runs (one host VMA each; see .c) */
	bool drops;		/* pages may be marked BT_PAGE_DROP: cleared
				 * by bt_window_unmap_marked() and flushes */

	uint64_t maps, unmaps, flushes; /* counters */
};

/*
 * Reserve a window for guest RAM (ram_fd, ram_size) (struct guest_mem's fd
 * and size). (name) must outlive the window. Returns 0, or -1 with (err)
 * naming the failing call.
 */
int bt_window_create(struct bt_window *w, int ram_fd, uint64_t ram_size,
		     const char *name, char *err, size_t errlen);

/* Unmap everything and release the reservation. Safe on a zeroed struct. */
void bt_window_destroy(struct bt_window *w);

/* Window offset of guest virtual address (gva): its low 32 bits. */
static inline uint32_t bt_window_off(uint64_t gva)
{
	return (uint32_t)gva;
}

/* The guest VA that window offset (off) stands for: bit 31 sign-extended,
 * so offsets >= 2 GiB are kernel addresses (0xffffffff8...). */
static inline uint64_t bt_window_gva(uint32_t off)
{
	return (uint64_t)(int64_t)(int32_t)off;
}

/* Is (gva) inside the layout the windows support (user below 2 GiB,
 * kernel in the top 2 GiB)? */
static inline bool bt_window_gva_ok(uint64_t gva)
{
	return bt_window_gva(bt_window_off(gva)) == gva;
}

/*
 * If host address (addr) is inside (w) or its guards, return true and set
 * (*off) to the window offset (guard addresses give offsets past 4 GiB or
 * "negative" ones, reported through (*in_guard)).
 */
bool bt_window_lookup(const struct bt_window *w, uintptr_t addr,
		      uint64_t *off, bool *in_guard);

/*
 * Map the 4 KiB RAM page at (gpa) at window offset (off) (both 4 KiB
 * aligned), writable if (write), recording (flags) (BT_PAGE_GLOBAL,
 * BT_PAGE_USER) in the page state. Replaces any previous mapping there.
 * Async-signal-safe (mmap only, no allocation: the mapped list is
 * preallocated). Returns 0, or -1 when (gpa) is outside RAM or mmap fails
 * (errno kept).
 */
int bt_window_map(struct bt_window *w, uint32_t off, uint64_t gpa, bool write,
		  uint8_t flags);

/*
 * Map (n) consecutive RAM pages from (gpa) at (off) with one mmap(), like
 * (n) calls of bt_window_map(); (flags) may add BT_MAP_POPULATE. Returns
 * 0 or -1.
 */
int bt_window_map_range(struct bt_window *w, uint32_t off, uint64_t gpa,
			uint32_t n, bool write, uint8_t flags);

/*
 * Fill the host page-table entries of the (n) mapped pages at (off) now
 * (madvise MADV_POPULATE_READ, Linux 5.14+; a writable mapping gets
 * writable entries), as BT_MAP_POPULATE does at map time. Best effort:
 * returns 0, or -1 when the host refused (the pages then fault as usual).
 */
int bt_window_populate(struct bt_window *w, uint32_t off, uint32_t n);

/* Make the mapped page at (off) read-only (write=false) or writable.
 * Returns 0, -1 on failure or when nothing is mapped there. */
int bt_window_protect(struct bt_window *w, uint32_t off, bool write);

/*
 * Make every writable mapping of the RAM page at (gpa) read-only (it now
 * holds translated code). Returns how many pages were changed, or -1.
 * Cost: nothing when the window maps it writable nowhere, else a pass
 * over the mapped pages until the last writable mapping is found.
 */
long bt_window_protect_frame(struct bt_window *w, uint64_t gpa);

/* Record that the mapping at (off) came from the guest PTE at (pte_gpa). */
static inline void bt_window_pte_set(struct bt_window *w, uint32_t off,
				     uint64_t pte_gpa)
{
	w->page_pte[off / BT_WINDOW_PAGE] = (uint32_t)(pte_gpa >> 3);
}

/*
 * Unmap every page whose recorded guest PTE lies in the page-table page
 * at (pt_gpa). Returns how many, or -1. These three unmap the pages
 * marked BT_PAGE_DROP before as well (and count them).
 */
long bt_window_unmap_table(struct bt_window *w, uint64_t pt_gpa);

/*
 * Unmap every page whose recorded guest PTE is exactly (pte_gpa) (one
 * pass over the mapped pages). Returns how many, or -1.
 */
long bt_window_unmap_pte(struct bt_window *w, uint64_t pte_gpa);

/*
 * Unmap every mapped page in window offsets [off, off + len) (one pass
 * over the mapped pages, one mmap() per stretch). Returns how many, or -1.
 */
long bt_window_unmap_range(struct bt_window *w, uint32_t off, uint64_t len);

/*
 * The same three, deferred: mark the pages BT_PAGE_DROP (still mapped)
 * for a later bt_window_unmap_marked(), which unmaps them together with
 * every other marked page, one mmap() per stretch. Return how many pages
 * were newly marked (never fail).
 */
long bt_window_mark_table(struct bt_window *w, uint64_t pt_gpa);
/* bt_window_mark_table() when every page from the table lies in the 2 MiB
 * at window offset (off) (a leaf table walked at one place): looks at
 * those 512 pages only. */
long bt_window_mark_table_at(struct bt_window *w, uint64_t pt_gpa,
			     uint32_t off);
long bt_window_mark_pte(struct bt_window *w, uint64_t pte_gpa);
long bt_window_mark_range(struct bt_window *w, uint32_t off, uint64_t len);

/* Mark the mapped page at (off) BT_PAGE_DROP (no-op when unmapped):
 * bt_window_unmap_marked() unmaps it later, with its marked neighbours. */
static inline void bt_window_mark_drop(struct bt_window *w, uint32_t off)
{
	uint8_t *st = &w->page_state[off / BT_WINDOW_PAGE];

	if (*st & BT_PAGE_MAPPED) {
		*st |= BT_PAGE_DROP;
		w->drops = true;
	}
}

/*
 * Unmap every page marked BT_PAGE_DROP, one mmap() per stretch of
 * consecutive marked pages. Returns how many pages, or -1.
 */
long bt_window_unmap_marked(struct bt_window *w);

/* Unmap the page at (off) (no-op when unmapped). Returns 0 or -1. */
int bt_window_unmap(struct bt_window *w, uint32_t off);

/*
 * Unmap every mapped page, except those with BT_PAGE_GLOBAL when
 * (keep_global). Returns the number of pages unmapped, or -1 on failure.
 */
long bt_window_flush(struct bt_window *w, bool keep_global);

/* State byte of the page at (off). */
static inline uint8_t bt_window_state(const struct bt_window *w, uint32_t off)
{
	return w->page_state[off / BT_WINDOW_PAGE];
}

#endif /* VMB_BT_WINDOW_H */
