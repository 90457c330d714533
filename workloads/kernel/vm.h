/*
 * vm.h - page tables: the kernel's own map and per-process user maps.
 *
 * x86-64 4-level paging, 4 KiB leaf pages for users, 2 MiB pages for the
 * kernel's direct map. User leaf PTEs are in one of three states:
 *   0                     nothing mapped: an access is a fatal fault;
 *   !P, PTE_LAZY          reserved, demand-zero: the first access maps a
 *                         fresh zero page with the W/NX bits kept here;
 *   P                     mapped; PTE_COW marks a page shared after fork
 *                         (read-only in hardware, writable in intent).
 * As Linux does on x86, a PTE is installed with A already set (and D when
 * it is writable: a zero-filled or copied page is about to be used), and
 * table entries with A: the CPU's walk then has nothing to write, and a
 * shadow-paging VMM may map such pages ahead of their first access
 * without the guest seeing a difference.
 * Page-table pages (not leaves) are private to one address space, except
 * the kernel half (PML4 entry 511), which all share with kernel_pml4.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdint.h>

typedef uint64_t pte_t;

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)	/* accessed (set by the CPU's walk) */
#define PTE_D (1ull << 6)	/* dirty (set by the CPU on a write) */
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)	/* global: kept across CR3 loads (CR4.PGE) */
#define PTE_LAZY (1ull << 9)	/* software: demand-zero when !P */
#define PTE_COW (1ull << 10)	/* software: copy on write when P */
#define PTE_NX (1ull << 63)
#define PTE_ADDR(pte) ((pte) & 0x000FFFFFFFFFF000ull)

/* Build the kernel page tables for RAM [0, ram_top) and switch to them. */
void kvm_init(uint64_t ram_top);

/* The kernel-only address space (kernel virtual address of its PML4). */
pte_t *kvm_pml4(void);

/* A new address space with an empty user half, or NULL. */
pte_t *uvm_create(void);

/*
 * Reserve [va, va + len) (page aligned) as demand-zero memory with
 * VMB_PROT_* (prot). Returns 0, or -VMB_ENOMEM / -VMB_EINVAL (already
 * mapped).
 */
int uvm_reserve(pte_t *pml4, uint64_t va, uint64_t len, int prot);

/* Map a fresh zero page at (va) now. Returns its kernel address or NULL. */
void *uvm_map_page(pte_t *pml4, uint64_t va, int prot);

/* Unmap [va, va + len), freeing the pages. Returns 0 or -VMB_EINVAL. */
int uvm_unmap(pte_t *pml4, uint64_t va, uint64_t len);

/* Change the protection of [va, va + len) to (prot). 0 or -VMB_E*. */
int uvm_protect(pte_t *pml4, uint64_t va, uint64_t len, int prot);

/* Copy (pml4)'s user half copy-on-write. Returns the new PML4 or NULL. */
pte_t *uvm_fork(pte_t *pml4);

/* Free the user half of (pml4) and the PML4 itself. Not the current one. */
void uvm_free(pte_t *pml4);

/*
 * Resolve a page fault at (va) with error code (err) in the current
 * address space: demand zero or copy on write. Returns 0 when resolved,
 * VM_FAULT_BAD when the access is illegal, VM_FAULT_OOM when no page is
 * left to resolve it.
 */
#define VM_FAULT_BAD (-1)
#define VM_FAULT_OOM (-2)
int vm_fault(uint64_t va, uint64_t err);

/*
 * Make [va, va + len) of the current address space ready for the kernel
 * to read, or to write when (write), exactly as the user could: every
 * page below USER_TOP, user-accessible, and writable (or copy on write)
 * for a write. Lazy pages and, for a write, copy-on-write pages are
 * resolved now through vm_fault(), as the user's own access would. After
 * 0, kernel accesses to the range cannot fault until the address space
 * changes. Returns 0, VM_FAULT_BAD or VM_FAULT_OOM. len 0 is always 0.
 */
int uvm_access(uint64_t va, uint64_t len, int write);

/* Switch to address space (pml4). */
void vm_switch(pte_t *pml4);

#endif
