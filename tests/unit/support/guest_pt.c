/* guest_pt.c - guest page tables in guest RAM for tests (guest_pt.h). */
#include "guest_pt.h"

#include <stddef.h>
#include <string.h>

#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_US 4ull
#define PTE_ADDR 0x000ffffffffff000ull

/* The 8-byte entry (idx) of the table at guest-physical (table). */
static uint64_t *entry(struct guest_mem *m, uint64_t table, unsigned idx)
{
	return guest_mem_ptr(m, table + idx * 8ull, 8);
}

uint64_t *guest_pt_slot(struct guest_mem *m, uint64_t *next_table,
		       uint64_t cr3, uint64_t va)
{
	uint64_t table = cr3 & PTE_ADDR, *e;

	for (int level = 4; level > 1; level--) {
		e = entry(m, table, (va >> (12 + 9 * (level - 1))) & 511);
		if (!e)
			return NULL;
		if (!(*e & PTE_P)) {
			if (!guest_mem_ptr(m, *next_table, 4096))
				return NULL;
			*e = *next_table | PTE_P | PTE_RW | PTE_US;
			*next_table += 0x1000;
		}
		table = *e & PTE_ADDR;
	}
	return entry(m, table, (va >> 12) & 511);
}

int guest_pt_map4k(struct guest_mem *m, uint64_t *next_table, uint64_t cr3,
		   uint64_t va, uint64_t gpa, uint64_t flags)
{
	uint64_t *e = guest_pt_slot(m, next_table, cr3, va);

	if (!e)
		return -1;
	*e = gpa | flags;
	return 0;
}
