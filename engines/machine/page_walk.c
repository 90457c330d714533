/*
 * page_walk.c - long-mode 4-level page walk with hardware permission rules
 * (SDM vol. 3, 4.5 and 4.6).
 *
 * The walk reads one entry per level from guest RAM. A not-present entry
 * ends it with a #PF without P; a present entry with reserved bits set
 * ends it with P|RSVD. Rights are combined over all levels: user only if
 * U/S is set everywhere, writable only if R/W is set everywhere,
 * executable unless XD is set anywhere (with EFER.NXE). Accessed bits are
 * written only when the whole translation succeeds, and D only on a write
 * to the final entry; this is what KVM's software walker does, so interp,
 * bt and kvm leave the same bits in guest page tables.
 */
#include "machine/page_walk.h"

#include "machine/cpuid.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_XD (1ull << 63)

/* Bits [hi:lo] set. */
#define BITS(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

#define PTE_ADDR (BITS(CPUID_PHYS_ADDR_BITS - 1, 12))
#define PTE_RSVD_PHYS (BITS(51, CPUID_PHYS_ADDR_BITS))

/* Reserved bits of a present entry at (level) (4 = PML4E .. 1 = PTE). */
static uint64_t pte_reserved(uint64_t e, int level, bool nxe)
{
	uint64_t rsvd = PTE_RSVD_PHYS | (nxe ? 0 : PTE_XD);

	if (level == 4)
		rsvd |= PTE_PS;
	else if (level == 3 && (e & PTE_PS))
		rsvd |= BITS(29, 13);
	else if (level == 2 && (e & PTE_PS))
		rsvd |= BITS(20, 13);
	return e & rsvd;
}

/* Do the combined rights of the translation allow the access? */
static bool access_allowed(const struct walk_ctx *ctx, enum walk_access acc,
			   bool user_page, bool writable, bool executable)
{
	bool user_access = ctx->cpl == 3 && !ctx->implicit_supervisor;

	if (user_access) {
		if (!user_page)
			return false;
		if (acc == WALK_WRITE)
			return writable;
		return acc == WALK_READ || executable;
	}
	if (acc == WALK_EXEC)
		return executable && !(user_page && (ctx->cr4 & X86_CR4_SMEP));
	if (user_page && (ctx->cr4 & X86_CR4_SMAP) &&
	    (!ctx->ac || ctx->implicit_supervisor))
		return false;
	return acc != WALK_WRITE || writable || !(ctx->cr0 & X86_CR0_WP);
}

/* The #PF error code for (acc) under (ctx), without P and RSVD. */
static uint32_t pf_base(const struct walk_ctx *ctx, enum walk_access acc)
{
	uint32_t pfec = 0;

	if (acc == WALK_WRITE)
		pfec |= X86_PF_W;
	if (ctx->cpl == 3 && !ctx->implicit_supervisor)
		pfec |= X86_PF_U;
	if (acc == WALK_EXEC &&
	    ((ctx->efer & X86_EFER_NXE) || (ctx->cr4 & X86_CR4_SMEP)))
		pfec |= X86_PF_I;
	return pfec;
}

int page_walk(struct guest_mem *mem, const struct walk_ctx *ctx, uint64_t va,
	      enum walk_access access, struct walk_result *res,
	      uint32_t *pf_error)
{
	const bool nxe = ctx->efer & X86_EFER_NXE;
	uint64_t table = ctx->cr3 & PTE_ADDR, e = 0, size = 0;
	uint64_t *entry[4] = { NULL };
	bool writable = true, user = true, executable = true;
	unsigned refs = 0;
	int level;

	for (level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t egpa = table + ((va >> shift) & 511) * 8;
		uint64_t *p = guest_mem_ptr(mem, egpa, 8);

		if (!p) /* a table outside RAM: no memory answers there */
			goto rsvd;
		e = *p;
		refs++;
		entry[4 - level] = p;
		if (!(e & PTE_P)) {
			*pf_error = pf_base(ctx, access);
			return -1;
		}
		if (pte_reserved(e, level, nxe))
			goto rsvd;
		writable &= !!(e & PTE_RW);
		user &= !!(e & PTE_US);
		if (nxe && (e & PTE_XD))
			executable = false;
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			size = 1ull << shift;
			break;
		}
		table = e & PTE_ADDR;
	}
	if (!access_allowed(ctx, access, user, writable, executable)) {
		*pf_error = pf_base(ctx, access) | X86_PF_P;
		return -1;
	}
	for (int i = 0; i < 4 && entry[i]; i++)
		if (!(*entry[i] & PTE_A))
			*entry[i] |= PTE_A;
	if (access == WALK_WRITE && !(*entry[4 - level] & PTE_D))
		*entry[4 - level] |= PTE_D;
	res->gpa = (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1));
	res->page_size = size;
	res->writable = writable;
	res->user = user;
	res->executable = executable;
	res->global = e & PTE_G;
	res->dirty = *entry[4 - level] & PTE_D;
	res->mem_refs = refs;
	res->pte_gpa = (uint64_t)((uint8_t *)entry[4 - level] - mem->host);
	return 0;
rsvd:
	*pf_error = pf_base(ctx, access) | X86_PF_P | X86_PF_RSVD;
	return -1;
}
