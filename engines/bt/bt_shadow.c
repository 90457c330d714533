/*
 * bt_shadow.c - lazy shadow fills and vtlb invalidation (bt_shadow.h).
 */
#include "bt/bt_shadow.h"

#include <stdio.h>
#include <string.h>

#include "machine/guest_mem.h"
#include "machine/x86_state.h"

#define PAGE_MASK (~(BT_WINDOW_PAGE - 1))

/* Control bits whose change alters translations. */
#define CR0_PAGING_BITS (X86_CR0_PG | X86_CR0_WP)
#define CR4_PAGING_BITS (X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE | \
			 X86_CR4_SMEP | X86_CR4_SMAP)

const char *bt_shadow_policy_name(enum bt_shadow_policy policy)
{
	return policy == BT_SHADOW_TRACE ? "trace" : "vtlb";
}

int bt_shadow_create(struct bt_shadow *sh, struct guest_mem *mem,
		     enum bt_shadow_policy policy, const struct walk_ctx *ctx,
		     char *err, size_t errlen)
{
	static const char *const names[BT_SPACE_NR] = { "kernel", "user" };

	memset(sh, 0, sizeof(*sh));
	if (policy != BT_SHADOW_VTLB) {
		snprintf(err, errlen,
			 "bt: shadow policy %s is not implemented yet "
			 "(use shadow=vtlb)", bt_shadow_policy_name(policy));
		return -1;
	}
	sh->mem = mem;
	sh->policy = policy;
	sh->ctx = *ctx;
	sh->ctx.cpl = 0;
	sh->ctx.ac = false;
	sh->ctx.implicit_supervisor = false;
	for (int s = 0; s < BT_SPACE_NR; s++) {
		if (bt_window_create(&sh->win[s], mem->fd, mem->size, names[s],
				     err, errlen)) {
			bt_shadow_destroy(sh);
			return -1;
		}
	}
	return 0;
}

void bt_shadow_destroy(struct bt_shadow *sh)
{
	for (int s = 0; s < BT_SPACE_NR; s++)
		bt_window_destroy(&sh->win[s]);
}

static uint32_t mapped_total(const struct bt_shadow *sh)
{
	return sh->win[BT_SPACE_KERNEL].nmapped + sh->win[BT_SPACE_USER].nmapped;
}

/* Drop shadows in both windows (globals kept when keep_global). */
static int shadow_drop(struct bt_shadow *sh, bool keep_global)
{
	for (int s = 0; s < BT_SPACE_NR; s++) {
		long n = bt_window_flush(&sh->win[s], keep_global);

		if (n < 0)
			return -1;
		sh->cnt.invalidations += (uint64_t)n;
	}
	return 0;
}

/* May (space) write the page, given the walk (res)? CR0.WP only matters
 * for supervisor accesses. */
static bool space_writable(const struct bt_shadow *sh, enum bt_space space,
			   const struct walk_result *res)
{
	if (space == BT_SPACE_USER)
		return res->writable;
	return res->writable || !(sh->ctx.cr0 & X86_CR0_WP);
}

enum bt_shadow_result bt_shadow_fault(struct bt_shadow *sh,
				      enum bt_space space, uint64_t off,
				      bool write, struct bt_shadow_fill *out)
{
	struct walk_ctx ctx = sh->ctx;
	struct walk_result res;
	uint64_t gpa_page;
	bool w;

	memset(out, 0, sizeof(*out));
	if (off >= BT_WINDOW_SIZE) {
		sh->cnt.outside_faults++;
		return BT_SHADOW_OUTSIDE;
	}
	out->gva = bt_window_gva((uint32_t)off);
	ctx.cpl = space == BT_SPACE_USER ? 3 : 0;
	if (page_walk(sh->mem, &ctx, out->gva, write ? WALK_WRITE : WALK_READ,
		      &res, &out->pf_error)) {
		sh->cnt.reflected_pf++;
		return BT_SHADOW_GUEST_PF;
	}
	sh->cnt.walk_refs += res.mem_refs;
	out->gpa = res.gpa;
	gpa_page = res.gpa & PAGE_MASK;
	if (!guest_mem_contains(sh->mem, gpa_page, BT_WINDOW_PAGE)) {
		sh->cnt.mmio_faults++;
		return BT_SHADOW_MMIO;
	}
	if (mapped_total(sh) >= BT_SHADOW_MAX_MAPPED) {
		sh->cnt.capacity_flushes++;
		if (shadow_drop(sh, false))
			return BT_SHADOW_ERROR;
	}
	/* Writable only once D is set: the first write to a clean page must
	 * come back here so the walk sets D. */
	w = space_writable(sh, space, &res) && res.dirty;
	if (bt_window_map(&sh->win[space], (uint32_t)off & (uint32_t)PAGE_MASK,
			  gpa_page, w,
			  (res.global ? BT_PAGE_GLOBAL : 0) |
				  (res.user ? BT_PAGE_USER : 0)))
		return BT_SHADOW_ERROR;
	sh->cnt.hidden_faults++;
	if (write && w)
		sh->cnt.hidden_dirty++;
	return BT_SHADOW_FILLED;
}

int bt_shadow_cr3_write(struct bt_shadow *sh, uint64_t cr3)
{
	sh->ctx.cr3 = cr3;
	sh->cnt.cr3_flushes++;
	return shadow_drop(sh, (sh->ctx.cr4 & X86_CR4_PGE) != 0);
}

int bt_shadow_control_write(struct bt_shadow *sh, uint64_t cr0, uint64_t cr4,
			    uint64_t efer)
{
	bool changed = ((cr0 ^ sh->ctx.cr0) & CR0_PAGING_BITS) ||
		       ((cr4 ^ sh->ctx.cr4) & CR4_PAGING_BITS) ||
		       ((efer ^ sh->ctx.efer) & X86_EFER_NXE);

	sh->ctx.cr0 = cr0;
	sh->ctx.cr4 = cr4;
	sh->ctx.efer = efer;
	return changed ? shadow_drop(sh, false) : 0;
}

int bt_shadow_invlpg(struct bt_shadow *sh, uint64_t gva)
{
	uint32_t off = bt_window_off(gva) & (uint32_t)PAGE_MASK;

	sh->cnt.invlpg++;
	if (!bt_window_gva_ok(gva))
		return 0; /* never filled: nothing to drop */
	for (int s = 0; s < BT_SPACE_NR; s++) {
		struct bt_window *w = &sh->win[s];

		if (!(bt_window_state(w, off) & BT_PAGE_MAPPED))
			continue;
		if (bt_window_unmap(w, off))
			return -1;
		sh->cnt.invalidations++;
	}
	return 0;
}

int bt_shadow_flush(struct bt_shadow *sh)
{
	return shadow_drop(sh, false);
}
