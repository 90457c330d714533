/*
 * bt_shadow.h - shadow paging with the host MMU.
 *
 * The shadow page tables of a guest address space are the host page
 * tables of its windows: one window for kernel-mode accesses (CPL0) and
 * one for user-mode accesses (CPL3). Pages are filled lazily: a host fault
 * in a window (bt_fault.h) is passed to bt_shadow_fault(), which walks the
 * guest's page tables with the shared walker (setting A/D as hardware
 * does) and either maps the guest page's RAM at its window offset (a
 * hidden fault, invisible to the guest) or reports the #PF the guest must
 * see. A page is mapped writable only when the guest may write it *and*
 * its guest dirty bit is set, so the first write to a clean page faults
 * again and sets D, exactly like hardware.
 *
 * Policies (chosen per run):
 *  - vtlb: the windows behave like a TLB: a CR3 write drops every
 *    non-global shadow mapping (all of them without CR4.PGE), INVLPG drops
 *    one page in both windows. Guest page-table writes are not traced; the
 *    guest's own TLB discipline keeps the shadows right.
 *  - trace: keeps per-address-space shadows across CR3 switches and
 *    write-protects guest page-table pages (not implemented yet:
 *    bt_shadow_create() refuses it with a message).
 *
 * Kernel-window mappings of user pages assume CR4.SMAP is off (the guest
 * image never enables it); with SMAP on, faults are still decided by the
 * walker at fill time but STAC/CLAC do not flush.
 */
#ifndef VMB_BT_SHADOW_H
#define VMB_BT_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/bt_window.h"
#include "machine/page_walk.h"

struct guest_mem;

enum bt_shadow_policy {
	BT_SHADOW_VTLB,
	BT_SHADOW_TRACE,
};

/* Which window: the privilege an access is made with. */
enum bt_space {
	BT_SPACE_KERNEL,	/* CPL0 accesses */
	BT_SPACE_USER,		/* CPL3 accesses */
	BT_SPACE_NR
};

/*
 * Upper bound on shadow-mapped pages over both windows. Every isolated
 * mapped page costs the host one or two VMAs and Linux allows 65530 per
 * process (vm.max_map_count); past this bound the shadows are dropped
 * (a capacity flush) and refilled on demand.
 */
#define BT_SHADOW_MAX_MAPPED 24576u

struct bt_shadow_counters {
	uint64_t hidden_faults;	/* fills the guest never sees */
	uint64_t hidden_dirty;	/* of which: write to a clean page (sets D) */
	uint64_t reflected_pf;	/* real guest #PF */
	uint64_t mmio_faults;	/* the page is not RAM: device access */
	uint64_t outside_faults; /* guard / out-of-layout: no fill possible */
	uint64_t invalidations;	/* shadow pages dropped (INVLPG, CR3, flush) */
	uint64_t cr3_flushes;	/* CR3 writes that dropped shadows */
	uint64_t invlpg;	/* INVLPG requests */
	uint64_t capacity_flushes; /* BT_SHADOW_MAX_MAPPED reached */
	uint64_t walk_refs;	/* guest PTEs read by fill walks */
};

struct bt_shadow {
	struct guest_mem *mem;
	enum bt_shadow_policy policy;
	struct bt_window win[BT_SPACE_NR];
	struct walk_ctx ctx;	/* current CR0/CR3/CR4/EFER (cpl unused) */
	struct bt_shadow_counters cnt;
};

/* What bt_shadow_fault() found. */
enum bt_shadow_result {
	BT_SHADOW_FILLED,	/* mapped: run the access again */
	BT_SHADOW_GUEST_PF,	/* deliver #PF: fill.gva is CR2, fill.pf_error */
	BT_SHADOW_MMIO,		/* translates to fill.gpa outside RAM */
	BT_SHADOW_OUTSIDE,	/* guard region: no guest VA to fill */
	BT_SHADOW_ERROR,	/* host mmap failed: internal error */
};

struct bt_shadow_fill {
	uint64_t gva;		/* guest VA of the faulting access */
	uint64_t gpa;		/* its translation (FILLED, MMIO) */
	uint32_t pf_error;	/* #PF error code (GUEST_PF) */
};

/*
 * Reserve the windows over (mem) for (policy) with paging state (ctx)
 * (cr0, cr3, cr4, efer; cpl and ac are ignored). Returns 0, or -1 with
 * (err) set (trace is refused for now, naming the reason).
 */
int bt_shadow_create(struct bt_shadow *sh, struct guest_mem *mem,
		     enum bt_shadow_policy policy, const struct walk_ctx *ctx,
		     char *err, size_t errlen);

/* Release the windows. Safe on a zeroed struct. */
void bt_shadow_destroy(struct bt_shadow *sh);

/* Host GS base for accesses from (space). */
static inline uint64_t bt_shadow_gs_base(const struct bt_shadow *sh,
					 enum bt_space space)
{
	return (uint64_t)(uintptr_t)sh->win[space].base;
}

/*
 * Handle a host fault at window offset (off) of window (space), a write if
 * (write). Async-signal-safe. Fills (out) as described for each result.
 */
enum bt_shadow_result bt_shadow_fault(struct bt_shadow *sh,
				      enum bt_space space, uint64_t off,
				      bool write, struct bt_shadow_fill *out);

/*
 * The guest wrote CR3 (cr3): vtlb drops the non-global shadows (all of
 * them when CR4.PGE is clear). Returns 0 or -1 (host mmap failure).
 */
int bt_shadow_cr3_write(struct bt_shadow *sh, uint64_t cr3);

/*
 * The guest changed CR0, CR4 or EFER: the new values are used by later
 * fills; a change of a bit that affects translations (PG, WP, PGE, PSE,
 * PAE, SMEP, SMAP, NXE) drops every shadow. Returns 0 or -1.
 */
int bt_shadow_control_write(struct bt_shadow *sh, uint64_t cr0, uint64_t cr4,
			    uint64_t efer);

/* INVLPG (gva): drop its page from both windows. Returns 0 or -1. */
int bt_shadow_invlpg(struct bt_shadow *sh, uint64_t gva);

/* Drop every shadow mapping (globals too). Returns 0 or -1. */
int bt_shadow_flush(struct bt_shadow *sh);

/* Name of (policy): "vtlb", "trace". */
const char *bt_shadow_policy_name(enum bt_shadow_policy policy);

#endif /* VMB_BT_SHADOW_H */
