/*
 * vm.c - page tables, demand-zero paging and copy on write.
 *
 * All page-table pages are reached through the direct map (P2V), so the
 * kernel edits any address space without switching to it. Changes to a
 * leaf of the current address space are followed by INVLPG; changes to
 * another one need nothing, since CR3 loads flush its non-global entries.
 * The kernel half is the same in every address space and never changes
 * after kvm_init(), so its leaves are global (as in Linux): a context
 * switch keeps their TLB entries (and a shadow-paging VMM its shadows).
 */
#include "console.h"
#include "kalloc.h"
#include "memlayout.h"
#include "vm.h"
#include "vmb.h"
#include "vmb_syscall.h"
#include "x86.h"

#define PX(level, va) (((va) >> (12 + 9 * (level))) & 511)
#define PTE_TABLE (PTE_P | PTE_W | PTE_U | PTE_A) /* non-leaf user entries */

static pte_t *kernel_pml4;
static pte_t *cur_pml4;

/*
 * The leaf PTE for (va) in (pml4), allocating missing page-table pages
 * when (alloc). Returns NULL if absent (or out of memory when allocating).
 */
static pte_t *walk(pte_t *pml4, uint64_t va, int alloc)
{
	pte_t *table = pml4;

	for (int level = 3; level > 0; level--) {
		pte_t *e = &table[PX(level, va)];
		if (!(*e & PTE_P)) {
			if (!alloc)
				return NULL;
			void *page = kalloc_zeroed();
			if (!page)
				return NULL;
			*e = V2P(page) | PTE_TABLE;
		}
		table = P2V(PTE_ADDR(*e));
	}
	return &table[PX(0, va)];
}

/* A and D for a leaf being installed for use now (see vm.h). */
static pte_t leaf_used(pte_t pte)
{
	return PTE_A | ((pte & PTE_W) ? PTE_D : 0);
}

static pte_t prot_bits(int prot)
{
	return PTE_U | ((prot & VMB_PROT_WRITE) ? PTE_W : 0) |
	       ((prot & VMB_PROT_EXEC) ? 0 : PTE_NX);
}

static void flush(pte_t *pml4, uint64_t va)
{
	if (pml4 == cur_pml4)
		invlpg(va);
}

static int user_range(uint64_t va, uint64_t len)
{
	return !(va & (PGSIZE - 1)) && !(len & (PGSIZE - 1)) && len &&
	       va < USER_TOP && len <= USER_TOP - va;
}

void kvm_init(uint64_t ram_top)
{
	kernel_pml4 = kalloc_zeroed();
	pte_t *pdpt = kalloc_zeroed(), *pd[2], *dev = kalloc_zeroed();
	pd[0] = kalloc_zeroed();
	pd[1] = kalloc_zeroed();
	if (!kernel_pml4 || !pdpt || !pd[0] || !pd[1] || !dev)
		panic("kvm_init: out of memory", ram_top);

	kernel_pml4[511] = V2P(pdpt) | PTE_P | PTE_W;
	pdpt[510] = V2P(pd[0]) | PTE_P | PTE_W;
	pdpt[511] = V2P(pd[1]) | PTE_P | PTE_W;
	for (uint64_t pa = 0; pa < ram_top; pa += HUGE_PGSIZE)
		pd[pa >> 30][(pa >> 21) & 511] = pa | PTE_P | PTE_W | PTE_PS |
						 PTE_G;
	/* Device window: the last 2 MiB, 4 KiB pages, uncached. */
	pd[1][511] = V2P(dev) | PTE_P | PTE_W;
	dev[0] = VMB_MMIO_NULL_BASE | PTE_P | PTE_W | PTE_PCD | PTE_PWT |
		 PTE_NX | PTE_G;
	dev[1] = XAPIC_PHYS | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_NX |
		 PTE_G;
	vm_switch(kernel_pml4);
	lcr4(rcr4() | CR4_PGE);	/* flushes everything, then globals stay */
}

pte_t *kvm_pml4(void)
{
	return kernel_pml4;
}

void vm_switch(pte_t *pml4)
{
	if (pml4 != cur_pml4) {
		cur_pml4 = pml4;
		lcr3(V2P(pml4));
	}
}

pte_t *uvm_create(void)
{
	pte_t *pml4 = kalloc_zeroed();

	if (pml4)
		pml4[511] = kernel_pml4[511];
	return pml4;
}

int uvm_reserve(pte_t *pml4, uint64_t va, uint64_t len, int prot)
{
	if (!user_range(va, len))
		return -VMB_EINVAL;
	for (uint64_t a = va; a < va + len; a += PGSIZE) {
		pte_t *pte = walk(pml4, a, 1);
		if (!pte)
			return -VMB_ENOMEM;
		if (*pte)
			return -VMB_EINVAL;
		*pte = PTE_LAZY | prot_bits(prot);
	}
	return 0;
}

void *uvm_map_page(pte_t *pml4, uint64_t va, int prot)
{
	pte_t *pte = walk(pml4, va, 1);
	void *page;

	if (!pte || (*pte & PTE_P) || !(page = kalloc_zeroed()))
		return NULL;
	*pte = V2P(page) | PTE_P | prot_bits(prot);
	*pte |= leaf_used(*pte);
	flush(pml4, va);
	return page;
}

int uvm_unmap(pte_t *pml4, uint64_t va, uint64_t len)
{
	if (!user_range(va, len))
		return -VMB_EINVAL;
	for (uint64_t a = va; a < va + len; a += PGSIZE) {
		pte_t *pte = walk(pml4, a, 0);
		if (!pte || !*pte)
			continue;
		if (*pte & PTE_P)
			kfree(P2V(PTE_ADDR(*pte)));
		*pte = 0;
		flush(pml4, a);
	}
	return 0;
}

/* (pte) with protection (prot), keeping frame and state. */
static pte_t pte_protect(pte_t pte, int prot)
{
	pte_t bits = prot_bits(prot);

	pte &= ~(PTE_W | PTE_NX | PTE_COW);
	if (!(pte & PTE_P) || !(bits & PTE_W))
		return pte | bits;
	/* Writable and present: a shared frame stays read-only until copied. */
	if (page_refs(PTE_ADDR(pte)) > 1)
		return pte | (bits & ~PTE_W) | PTE_COW;
	return pte | bits;
}

int uvm_protect(pte_t *pml4, uint64_t va, uint64_t len, int prot)
{
	if (!user_range(va, len) || !(prot & (VMB_PROT_READ | VMB_PROT_WRITE)))
		return -VMB_EINVAL;
	for (uint64_t a = va; a < va + len; a += PGSIZE) {
		pte_t *pte = walk(pml4, a, 0);
		if (!pte || !*pte)
			return -VMB_ENOMEM;	/* Linux: ENOMEM for unmapped */
		*pte = pte_protect(*pte, prot);
		flush(pml4, a);
	}
	return 0;
}

static void table_free(pte_t *table, int level, unsigned nentries);

/* Copy one leaf: present pages are shared, writable ones become COW. */
static pte_t leaf_fork(pte_t *src)
{
	pte_t pte = *src;

	if (pte & PTE_P) {
		if (pte & (PTE_W | PTE_COW))
			pte = (pte & ~PTE_W) | PTE_COW;
		*src = pte;
		page_ref(PTE_ADDR(pte));
	}
	return pte;
}

/* Copy the table (src) at (level) into a new page; NULL if out of memory. */
static pte_t *table_fork(pte_t *src, int level, unsigned nentries)
{
	pte_t *dst = kalloc_zeroed();

	if (!dst)
		return NULL;
	for (unsigned i = 0; i < nentries; i++) {
		if (!src[i])
			continue;
		if (level == 0) {
			dst[i] = leaf_fork(&src[i]);
			continue;
		}
		pte_t *sub = table_fork(P2V(PTE_ADDR(src[i])), level - 1, 512);
		if (!sub) {
			table_free(dst, level, nentries);
			return NULL;
		}
		dst[i] = V2P(sub) | PTE_TABLE;
	}
	return dst;
}

pte_t *uvm_fork(pte_t *pml4)
{
	pte_t *child = table_fork(pml4, 3, 256);

	if (child)
		child[511] = kernel_pml4[511];
	if (pml4 == cur_pml4)
		lcr3(V2P(pml4));	/* parent's writable pages became COW */
	return child;
}

static void table_free(pte_t *table, int level, unsigned nentries)
{
	for (unsigned i = 0; i < nentries; i++) {
		pte_t e = table[i];
		if (!(e & PTE_P))
			continue;
		if (level > 0)
			table_free(P2V(PTE_ADDR(e)), level - 1, 512);
		else
			kfree(P2V(PTE_ADDR(e)));
	}
	kfree(table);
}

void uvm_free(pte_t *pml4)
{
	if (pml4 == cur_pml4)
		panic("uvm_free: address space in use", V2P(pml4));
	table_free(pml4, 3, 256);
}

int vm_fault(uint64_t va, uint64_t err)
{
	int write = (err & 2) != 0;
	pte_t *pte;

	if (va >= USER_TOP || cur_pml4 == kernel_pml4 ||
	    !(pte = walk(cur_pml4, va, 0)))
		return VM_FAULT_BAD;
	va = PGROUNDDOWN(va);
	if (!(*pte & PTE_P) && (*pte & PTE_LAZY)) {
		if (write && !(*pte & PTE_W))
			return -1;
		void *page = kalloc_zeroed();
		if (!page)
			return VM_FAULT_OOM;
		*pte = V2P(page) | PTE_P | (*pte & (PTE_U | PTE_W | PTE_NX));
		*pte |= leaf_used(*pte);
		return 0;	/* a not-present entry is never cached */
	}
	if ((*pte & PTE_P) && (*pte & PTE_COW) && write) {
		uint64_t pa = PTE_ADDR(*pte);
		if (page_refs(pa) > 1) {
			void *copy = kalloc();
			if (!copy)
				return VM_FAULT_OOM;
			vmb_memcpy(copy, P2V(pa), PGSIZE);
			kfree(P2V(pa));
			pa = V2P(copy);
		}
		*pte = pa | PTE_P | PTE_W | PTE_A | PTE_D | (*pte & (PTE_U | PTE_NX));
		invlpg(va);
		return 0;
	}
	return VM_FAULT_BAD;
}

int uvm_access(uint64_t va, uint64_t len, int write)
{
	if (!len)
		return 0;
	if (va >= USER_TOP || len > USER_TOP - va || cur_pml4 == kernel_pml4)
		return VM_FAULT_BAD;
	for (uint64_t a = PGROUNDDOWN(va); a < va + len; a += PGSIZE) {
		pte_t *pte = walk(cur_pml4, a, 0);
		if (!pte || !(*pte & PTE_U))	/* nothing there (PTE 0) */
			return VM_FAULT_BAD;
		if ((*pte & PTE_P) && (!write || (*pte & PTE_W)))
			continue;
		/* Lazy, or a write to a read-only page: the fault the user's
		 * access would take (U/S = 1, P as in the PTE). */
		uint64_t err = 4 | (*pte & PTE_P) | (write ? 2 : 0);
		int r = vm_fault(a, err);
		if (r)
			return r;
	}
	return 0;
}
