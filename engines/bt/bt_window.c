/*
 * bt_window.c - 4 GiB host windows over guest RAM (see bt_window.h).
 *
 * Mapping and unmapping are single mmap() calls with MAP_FIXED inside our
 * own reservation, so they can never clobber host memory: every address
 * passed to mmap here is checked against the window first. Unmapping puts
 * back PROT_NONE anonymous memory rather than calling munmap(), so the
 * reservation stays whole and nothing else in the process can be placed
 * inside it.
 */
#include "bt/bt_window.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

int bt_window_create(struct bt_window *w, int ram_fd, uint64_t ram_size,
		     const char *name, char *err, size_t errlen)
{
	size_t len = BT_WINDOW_SIZE + 2 * BT_WINDOW_GUARD;
	void *p;

	memset(w, 0, sizeof(*w));
	w->ram_fd = ram_fd;
	w->ram_size = ram_size;
	w->name = name;
	p = mmap(NULL, len, PROT_NONE, RESERVE_FLAGS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "bt window %s: reserving %zu bytes: %s",
			 name, len, strerror(errno));
		return -1;
	}
	w->reserve = p;
	w->reserve_len = len;
	w->base = w->reserve + BT_WINDOW_GUARD;
	w->page_state = calloc(BT_WINDOW_PAGES, 1);
	w->mapped = calloc(BT_WINDOW_PAGES, sizeof(*w->mapped));
	w->mapped_pos = calloc(BT_WINDOW_PAGES, sizeof(*w->mapped_pos));
	w->page_frame = calloc(BT_WINDOW_PAGES, sizeof(*w->page_frame));
	w->page_pte = calloc(BT_WINDOW_PAGES, sizeof(*w->page_pte));
	w->frame_writable = calloc(ram_size >> 12 ? ram_size >> 12 : 1,
				   sizeof(*w->frame_writable));
	w->cap = BT_WINDOW_PAGES;
	if (!w->page_state || !w->mapped || !w->mapped_pos || !w->page_frame ||
	    !w->page_pte || !w->frame_writable) {
		snprintf(err, errlen, "bt window %s: out of memory for page state",
			 name);
		bt_window_destroy(w);
		return -1;
	}
	return 0;
}

void bt_window_destroy(struct bt_window *w)
{
	if (w->reserve)
		munmap(w->reserve, w->reserve_len);
	free(w->page_state);
	free(w->mapped);
	free(w->mapped_pos);
	free(w->page_frame);
	free(w->page_pte);
	free(w->frame_writable);
	memset(w, 0, sizeof(*w));
	w->ram_fd = -1;
}

bool bt_window_lookup(const struct bt_window *w, uintptr_t addr,
		      uint64_t *off, bool *in_guard)
{
	uintptr_t lo = (uintptr_t)w->reserve;

	if (!w->reserve || addr < lo || addr - lo >= w->reserve_len)
		return false;
	*off = (uint64_t)(addr - (uintptr_t)w->base);
	*in_guard = addr < (uintptr_t)w->base ||
		    addr - (uintptr_t)w->base >= BT_WINDOW_SIZE;
	return true;
}

static void mapped_add(struct bt_window *w, uint32_t page)
{
	w->mapped_pos[page] = w->nmapped;
	w->mapped[w->nmapped++] = page;
}

static void mapped_remove(struct bt_window *w, uint32_t page)
{
	uint32_t pos = w->mapped_pos[page];
	uint32_t last = w->mapped[--w->nmapped];

	w->mapped[pos] = last;
	w->mapped_pos[last] = pos;
}

/*
 * Run accounting: a run is a maximal stretch of mapped pages with
 * consecutive RAM frames and the same rights, which the kernel keeps as
 * one VMA. Called with (page)'s state as it is now: run_join() is how
 * many runs (page) links up (0 with no neighbour, 2 between two).
 */
static bool run_same(const struct bt_window *w, uint32_t a, uint32_t b)
{
	uint8_t sa = w->page_state[a], sb = w->page_state[b];

	return (sa & sb & BT_PAGE_MAPPED) &&
	       !((sa ^ sb) & BT_PAGE_WRITE) &&
	       w->page_frame[b] == w->page_frame[a] + 1;
}

static int run_join(const struct bt_window *w, uint32_t page)
{
	return (page > 0 && run_same(w, page - 1, page)) +
	       (page + 1 < BT_WINDOW_PAGES && run_same(w, page, page + 1));
}

/* (page) is about to change: take its contribution out of w->runs and
 * w->frame_writable. */
static void run_leave(struct bt_window *w, uint32_t page)
{
	uint8_t st = w->page_state[page];

	if (st & BT_PAGE_MAPPED)
		w->runs -= 1 - run_join(w, page);
	if ((st & (BT_PAGE_MAPPED | BT_PAGE_WRITE)) ==
	    (BT_PAGE_MAPPED | BT_PAGE_WRITE))
		w->frame_writable[w->page_frame[page]]--;
}

/* (page) has changed: put its contribution back. */
static void run_enter(struct bt_window *w, uint32_t page)
{
	uint8_t st = w->page_state[page];

	if (st & BT_PAGE_MAPPED)
		w->runs += 1 - run_join(w, page);
	if ((st & (BT_PAGE_MAPPED | BT_PAGE_WRITE)) ==
	    (BT_PAGE_MAPPED | BT_PAGE_WRITE))
		w->frame_writable[w->page_frame[page]]++;
}

int bt_window_map_range(struct bt_window *w, uint32_t off, uint64_t gpa,
			uint32_t n, bool write, uint8_t flags)
{
	uint32_t page = off / BT_WINDOW_PAGE;
	uint64_t len = (uint64_t)n * BT_WINDOW_PAGE;
	int prot = PROT_READ | (write ? PROT_WRITE : 0);
	void *p;

	if ((off | gpa) & (BT_WINDOW_PAGE - 1) || n == 0 ||
	    gpa >= w->ram_size || w->ram_size - gpa < len ||
	    (uint64_t)off + len > BT_WINDOW_SIZE) {
		errno = EINVAL;
		return -1;
	}
	p = mmap(w->base + off, len, prot,
		 MAP_SHARED | MAP_FIXED |
			 (flags & BT_MAP_POPULATE ? MAP_POPULATE : 0),
		 w->ram_fd, (off_t)gpa);
	if (p == MAP_FAILED)
		return -1;
	for (uint32_t i = 0; i < n; i++, page++) {
		run_leave(w, page);
		if (!(w->page_state[page] & BT_PAGE_MAPPED))
			mapped_add(w, page);
		w->page_state[page] = BT_PAGE_MAPPED |
				      (write ? BT_PAGE_WRITE : 0) |
				      (flags & (BT_PAGE_GLOBAL | BT_PAGE_USER));
		w->page_frame[page] = (uint32_t)((gpa >> 12) + i);
		w->page_pte[page] = 0;
		run_enter(w, page);
	}
	w->maps++;
	return 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

int bt_window_populate(struct bt_window *w, uint32_t off, uint32_t n)
{
	if ((off & (BT_WINDOW_PAGE - 1)) || n == 0 ||
	    (uint64_t)off + (uint64_t)n * BT_WINDOW_PAGE > BT_WINDOW_SIZE) {
		errno = EINVAL;
		return -1;
	}
	return madvise(w->base + off, (size_t)n * BT_WINDOW_PAGE,
		       MADV_POPULATE_READ);
}

int bt_window_map(struct bt_window *w, uint32_t off, uint64_t gpa, bool write,
		  uint8_t flags)
{
	return bt_window_map_range(w, off, gpa, 1, write, flags);
}

/* A dropped stretch costs one mmap() call, not one per page. */
long bt_window_unmap_marked(struct bt_window *w)
{
	long n = 0;

	if (!w->drops)
		return 0;
	for (uint32_t i = 0; i < w->nmapped;) {
		uint32_t page = w->mapped[i], lo = page, hi = page;

		if (!(w->page_state[page] & BT_PAGE_DROP)) {
			i++;
			continue;
		}
		while (lo > 0 && (w->page_state[lo - 1] & BT_PAGE_DROP))
			lo--;
		while (hi + 1 < BT_WINDOW_PAGES &&
		       (w->page_state[hi + 1] & BT_PAGE_DROP))
			hi++;
		if (mmap(w->base + (uint64_t)lo * BT_WINDOW_PAGE,
			 (uint64_t)(hi - lo + 1) * BT_WINDOW_PAGE, PROT_NONE,
			 RESERVE_FLAGS | MAP_FIXED, -1, 0) == MAP_FAILED)
			return -1;
		/* removal moves the last entries into freed slots: slot i is
		 * looked at again */
		for (uint32_t p = lo; p <= hi; p++) {
			run_leave(w, p);
			w->page_state[p] = 0;
			mapped_remove(w, p);
			w->unmaps++;
			n++;
		}
	}
	w->drops = false;
	return n;
}

/* Which mapped pages a mark_where() pass marks: (a, b) as each needs. */
enum mark_kind { MARK_TABLE, MARK_PTE, MARK_RANGE };

static bool mark_match(const struct bt_window *w, uint32_t page,
		       enum mark_kind kind, uint64_t a, uint64_t b)
{
	switch (kind) {
	case MARK_TABLE:	/* PTE in the table whose first entry is a */
		return w->page_pte[page] - (uint32_t)a < BT_WINDOW_PAGE / 8;
	case MARK_PTE:		/* PTE a */
		return w->page_pte[page] == (uint32_t)a;
	default:		/* pages [a, a + b) */
		return page - a < b;
	}
}

/* One pass over the mapped pages; returns how many were newly marked. */
static long mark_where(struct bt_window *w, enum mark_kind kind, uint64_t a,
		       uint64_t b)
{
	long n = 0;

	for (uint32_t i = 0; i < w->nmapped; i++) {
		uint32_t page = w->mapped[i];
		uint8_t *st = &w->page_state[page];

		if (!(*st & BT_PAGE_DROP) && mark_match(w, page, kind, a, b)) {
			*st |= BT_PAGE_DROP;
			n++;
		}
	}
	if (n)
		w->drops = true;
	return n;
}

long bt_window_mark_table(struct bt_window *w, uint64_t pt_gpa)
{
	return mark_where(w, MARK_TABLE,
			  (pt_gpa & ~(BT_WINDOW_PAGE - 1)) >> 3, 0);
}

long bt_window_mark_table_at(struct bt_window *w, uint64_t pt_gpa,
			     uint32_t off)
{
	uint32_t first = (uint32_t)((pt_gpa & ~(BT_WINDOW_PAGE - 1)) >> 3);
	uint32_t page = (off & ~((2u << 20) - 1)) / BT_WINDOW_PAGE;
	long n = 0;

	if (!w->nmapped)
		return 0;
	for (uint32_t i = 0; i < 512; i++, page++) {
		uint8_t *st = &w->page_state[page];

		if ((*st & (BT_PAGE_MAPPED | BT_PAGE_DROP)) == BT_PAGE_MAPPED &&
		    w->page_pte[page] - first < BT_WINDOW_PAGE / 8) {
			*st |= BT_PAGE_DROP;
			n++;
		}
	}
	if (n)
		w->drops = true;
	return n;
}

long bt_window_mark_pte(struct bt_window *w, uint64_t pte_gpa)
{
	return mark_where(w, MARK_PTE, pte_gpa >> 3, 0);
}

long bt_window_mark_range(struct bt_window *w, uint32_t off, uint64_t len)
{
	return mark_where(w, MARK_RANGE, off / BT_WINDOW_PAGE,
			  (len + BT_WINDOW_PAGE - 1) / BT_WINDOW_PAGE);
}

/* The unmap_* forms: mark, then unmap every marked page (those marked
 * earlier too, e.g. by INVLPG: they are counted as well). */
long bt_window_unmap_table(struct bt_window *w, uint64_t pt_gpa)
{
	bt_window_mark_table(w, pt_gpa);
	return bt_window_unmap_marked(w);
}

long bt_window_unmap_pte(struct bt_window *w, uint64_t pte_gpa)
{
	bt_window_mark_pte(w, pte_gpa);
	return bt_window_unmap_marked(w);
}

long bt_window_unmap_range(struct bt_window *w, uint32_t off, uint64_t len)
{
	bt_window_mark_range(w, off, len);
	return bt_window_unmap_marked(w);
}

long bt_window_protect_frame(struct bt_window *w, uint64_t gpa)
{
	uint32_t frame = (uint32_t)(gpa >> 12);
	const uint32_t *left = &w->frame_writable[frame];
	long n = 0;

	if (gpa >= w->ram_size)
		return 0;

	for (uint32_t i = 0; *left && i < w->nmapped; i++) {
		uint32_t page = w->mapped[i];

		if (w->page_frame[page] != frame ||
		    !(w->page_state[page] & BT_PAGE_WRITE))
			continue;
		if (bt_window_protect(w, page * (uint32_t)BT_WINDOW_PAGE, false))
			return -1;
		n++;
	}
	return n;
}

int bt_window_protect(struct bt_window *w, uint32_t off, bool write)
{
	uint32_t page = off / BT_WINDOW_PAGE;
	uint8_t *st = &w->page_state[page];

	if (!(*st & BT_PAGE_MAPPED)) {
		errno = EINVAL;
		return -1;
	}
	if (mprotect(w->base + (uint64_t)page * BT_WINDOW_PAGE, BT_WINDOW_PAGE,
		     PROT_READ | (write ? PROT_WRITE : 0)))
		return -1;
	run_leave(w, page);
	*st = (uint8_t)((*st & ~BT_PAGE_WRITE) | (write ? BT_PAGE_WRITE : 0));
	run_enter(w, page);
	return 0;
}

int bt_window_unmap(struct bt_window *w, uint32_t off)
{
	uint32_t page = off / BT_WINDOW_PAGE;
	void *p;

	if (!(w->page_state[page] & BT_PAGE_MAPPED))
		return 0;
	p = mmap(w->base + (uint64_t)page * BT_WINDOW_PAGE, BT_WINDOW_PAGE,
		 PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	run_leave(w, page);
	w->page_state[page] = 0;
	mapped_remove(w, page);
	w->unmaps++;
	return 0;
}

/* Re-reserve the whole window in one call (cheaper than page by page once
 * many pages are mapped) and clear the state of every mapped page. */
static long flush_all(struct bt_window *w)
{
	long n = w->nmapped;
	void *p;

	if (!n)	/* nothing mapped: the reservation is whole */
		return 0;
	p = mmap(w->base, BT_WINDOW_SIZE, PROT_NONE, RESERVE_FLAGS | MAP_FIXED,
		 -1, 0);
	if (p == MAP_FAILED)
		return -1;
	for (uint32_t i = 0; i < w->nmapped; i++) {
		uint32_t page = w->mapped[i];

		if (w->page_state[page] & BT_PAGE_WRITE)
			w->frame_writable[w->page_frame[page]]--;
		w->page_state[page] = 0;
	}
	w->nmapped = 0;
	w->runs = 0;
	w->drops = false;
	w->unmaps += (uint64_t)n;
	return n;
}

long bt_window_flush(struct bt_window *w, bool keep_global)
{
	w->flushes++;
	if (!keep_global)
		return flush_all(w);
	for (uint32_t i = 0; i < w->nmapped; i++) {
		uint32_t page = w->mapped[i];

		if (!(w->page_state[page] & BT_PAGE_GLOBAL))
			w->page_state[page] |= BT_PAGE_DROP;
	}
	w->drops = true;
	return bt_window_unmap_marked(w);
}
