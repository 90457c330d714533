/*
 * kalloc.h - physical page allocator, 4 KiB pages with reference counts.
 *
 * Pages are handed out as kernel virtual addresses (direct map). A page
 * starts with one reference; copy-on-write sharing adds references with
 * page_ref() and every owner drops its own with kfree(); the page returns
 * to the free list when the last reference goes.
 */
#ifndef KERNEL_KALLOC_H
#define KERNEL_KALLOC_H

#include <stdint.h>

/*
 * Manage physical pages [free_start, ram_top). Must run before any other
 * function here, with the direct map covering that range.
 */
void kalloc_init(uint64_t free_start, uint64_t ram_top);

/* One page, contents undefined. Returns NULL when memory is exhausted. */
void *kalloc(void);

/* One zero-filled page, or NULL. */
void *kalloc_zeroed(void);

/* Drop one reference to the page at (va); free it when none remain. */
void kfree(void *va);

/* Add a reference to the page at physical address (pa). */
void page_ref(uint64_t pa);

/* Number of references to the page at physical address (pa). */
unsigned page_refs(uint64_t pa);

/* Pages not handed out (for diagnostics). */
uint64_t kalloc_free_pages(void);

#endif
