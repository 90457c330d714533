/*
 * kalloc.c - physical page allocator.
 *
 * Invariants: pages below `fresh` that are not in use are on `free_list`
 * (linked through their first 8 bytes); pages in [fresh, top) were never
 * handed out. Taking fresh pages lazily means boot does not touch every
 * page of RAM, which would cost one EPT/shadow fill per page on some
 * engines. refs[] holds one count per page of [0, top).
 */
#include "console.h"
#include "kalloc.h"
#include "memlayout.h"
#include "vmb.h"

struct free_page {
	struct free_page *next;
};

static struct free_page *free_list;
static uint64_t fresh, top, base, nfree;
static uint16_t *refs;

void kalloc_init(uint64_t free_start, uint64_t ram_top)
{
	uint64_t npages = ram_top / PGSIZE;

	refs = P2V(free_start);
	vmb_memset(refs, 0, npages * sizeof(*refs));
	base = PGROUNDUP(free_start + npages * sizeof(*refs));
	fresh = base;
	top = ram_top & ~(PGSIZE - 1);
	nfree = (top - fresh) / PGSIZE;
}

void *kalloc(void)
{
	void *va;

	if (free_list) {
		va = free_list;
		free_list = free_list->next;
	} else if (fresh < top) {
		va = P2V(fresh);
		fresh += PGSIZE;
	} else {
		return NULL;
	}
	refs[V2P(va) / PGSIZE] = 1;
	nfree--;
	return va;
}

void *kalloc_zeroed(void)
{
	void *va = kalloc();

	if (va)
		vmb_memset(va, 0, PGSIZE);
	return va;
}

void kfree(void *va)
{
	uint64_t pa = V2P(va);

	if ((pa & (PGSIZE - 1)) || pa < base || pa >= fresh || !refs[pa / PGSIZE])
		panic("kfree: not an allocated page", pa);
	if (--refs[pa / PGSIZE])
		return;
	struct free_page *p = va;
	p->next = free_list;
	free_list = p;
	nfree++;
}

void page_ref(uint64_t pa)
{
	if (pa < base || pa >= fresh || !refs[pa / PGSIZE])
		panic("page_ref: not an allocated page", pa);
	refs[pa / PGSIZE]++;
}

unsigned page_refs(uint64_t pa)
{
	return pa >= base && pa < top ? refs[pa / PGSIZE] : 0;
}

uint64_t kalloc_free_pages(void)
{
	return nfree;
}
