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
 *  - vtlb: one address space; the windows behave like a TLB: a CR3 write
 *    drops every non-global shadow mapping (all of them without CR4.PGE),
 *    INVLPG drops one page. Guest page-table writes are not traced; the
 *    guest's own TLB discipline keeps the shadows right.
 *  - trace: up to BT_SHADOW_MAX_AS address spaces, each with its own pair
 *    of windows, kept across CR3 switches (a switch changes the GS base;
 *    the least recently used space is recycled when a new CR3 needs one).
 *    Every guest page-table page a fill walked through is write-protected
 *    in every window; a guest write to one (BT_SHADOW_PT_WRITE) is
 *    carried out by the fault handler when it is a plain store
 *    (bt_shadow_pt_store), else let through alone
 *    (bt_shadow_pt_write_begin/_end: the page is opened for one
 *    instruction and compared with its copy afterwards), and only the
 *    shadows derived from entries it made less permissive are dropped:
 *    one page for a leaf entry, the range an upper-level entry covers,
 *    marked and unmapped by the next bt_shadow_sync() (as INVLPG's), so
 *    translated code already running may use the old translation until
 *    it leaves, as a CPU may until INVLPG. A leaf entry made present with
 *    A is mapped at once when the current space reaches it
 *    (prefetch-on-write). The table stays traced. A table written
 *    BT_SHADOW_PT_FLOOD times in a row with no fill walking it in between
 *    (the guest zero-fills or rebuilds it) is untraced instead
 *    (bt_shadow_pt_write) until a fill walks it again; the engine then
 *    maps it writable at once for the rest of the burst. INVLPG drops the page in the current space.
 *
 * Self-modifying code: RAM pages holding translated code are mapped
 * read-only in every window (bt_shadow_code_protect), so a guest store to
 * one is reported (BT_SHADOW_CODE_WRITE), not filled, and the translator's
 * owner drops the page's translations before letting the store through.
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
 * Upper bound on mapped runs over all windows. A run (consecutive pages
 * over consecutive RAM with the same rights) is one host VMA and splits
 * the reservation around it into one more; Linux allows 65530 VMAs per
 * process (vm.max_map_count) and the process needs its own, so past this
 * bound the shadows are dropped (a capacity flush) and refilled on
 * demand. Guest memory that is physically contiguous costs one run for
 * any size.
 */
#define BT_SHADOW_MAX_MAPPED 16384u

/* Fault-around group: pages (aligned) considered around a hidden fault
 * (the default of bt_shadow.around_n; a power of two, at most 512). */
#define BT_SHADOW_AROUND 512u

/* Pages from the faulting one on that a fill populates (sh->populate). */
#define BT_SHADOW_POPULATE_AHEAD 16u

/* Address spaces the trace policy keeps shadows for. */
#define BT_SHADOW_MAX_AS 6

/* trace: PT-write traps in a row to one table, with no fill walking it in
 * between, after which it is untraced rather than trapped (a rebuild). */
#define BT_SHADOW_PT_FLOOD 2u

struct bt_shadow_counters {
	uint64_t hidden_faults;	/* fills the guest never sees */
	uint64_t hidden_dirty;	/* of which: write to a clean page (sets D) */
	uint64_t reflected_pf;	/* real guest #PF */
	uint64_t mmio_faults;	/* the page is not RAM: device access */
	uint64_t outside_faults; /* guard / out-of-layout: no fill possible */
	uint64_t invalidations;	/* shadow pages dropped (INVLPG, CR3, flush) */
	uint64_t cr3_flushes;	/* CR3 writes that dropped shadows (vtlb) */
	uint64_t invlpg;	/* INVLPG requests */
	uint64_t capacity_flushes; /* max_mapped reached */
	uint64_t walk_refs;	/* guest PTEs read by fill walks */
	uint64_t code_protects;	/* RAM pages write-protected for holding code */
	uint64_t code_writes;	/* guest writes to such pages (SMC) */
	uint64_t as_switches;	/* trace: CR3 writes served by a kept space */
	uint64_t as_recycled;	/* trace: spaces dropped for a new CR3 */
	uint64_t pt_protects;	/* trace: page-table pages write-protected */
	uint64_t pt_writes;	/* trace: guest writes to them (traps) */
	uint64_t pt_entries;	/* trace: entries changed by trapped writes */
	uint64_t pt_restricts;	/* of which: less permissive (invalidate) */
	uint64_t pt_floods;	/* trace: tables untraced for a write flood */
	uint64_t pt_drop_alls;	/* trace: PT writes to upper-level tables
				 * that dropped every shadow (a flood, or an
				 * entry whose place is not known) */
	uint64_t pt_deferred;	/* trace: shadow pages of restricted entries
				 * marked, unmapped by the next sync */
	uint64_t pt_flood_fills; /* trace: tables mapped writable right after
				 * the store that untraced them (no fault
				 * for the next store of the burst) */
	uint64_t pt_prefetches;	/* trace: pages mapped when a trapped write
				 * made their PTE present (prefetch-on-write) */
	uint64_t around_pages;	/* neighbours mapped by fault-around */
	uint64_t prefetches;	/* pages mapped ahead of the retried access
				 * after a guest #PF (bt_shadow_prefetch) */
};

/* One guest address space: its CR3 and its windows. */
struct bt_shadow_as {
	uint64_t cr3;		/* page-table root (address bits only) */
	bool used;
	uint64_t stamp;		/* last use, for recycling */
	struct bt_window win[BT_SPACE_NR];
};

struct bt_shadow {
	struct guest_mem *mem;
	enum bt_shadow_policy policy;
	struct walk_ctx ctx;	/* current CR0/CR3/CR4/EFER (cpl unused) */
	struct bt_shadow_counters cnt;
	uint8_t *code;		/* per RAM page: 1 = holds translated code */
	uint8_t *pt_use;	/* per RAM page: BT_PT_* (trace) */
	struct bt_shadow_as as[BT_SHADOW_MAX_AS];
	unsigned nas;		/* 1 (vtlb) or BT_SHADOW_MAX_AS (trace) */
	struct bt_shadow_as *cur; /* the space of ctx.cr3 */
	struct bt_window *win;	/* cur->win: the windows in use */
	uint64_t stamp;
	bool around;		/* fault-around on (default; see .c) */
	unsigned around_n;	/* its group: BT_SHADOW_AROUND (tests vary) */
	bool populate;		/* fill host PTEs at map time (default) */
	unsigned populate_ahead; /* pages from the faulting one on to fill:
				 * BT_SHADOW_POPULATE_AHEAD (tests vary) */
	bool prefetch;		/* map after a user #PF (default; see
				 * bt_shadow_prefetch) */
	bool pt_prefetch;	/* trace: map a page when a trapped write
				 * makes its PTE present (default; see
				 * bt_shadow_pt_store) */
	bool drop_pending[BT_SPACE_NR]; /* windows of that privilege hold
				 * pages marked BT_PAGE_DROP (INVLPG): see
				 * bt_shadow_sync */
	bool pf_pending;	/* a user-mode #PF was reflected at pf_gva */
	uint64_t pf_gva;
	uint32_t max_mapped;	/* run bound: BT_SHADOW_MAX_MAPPED (tests
				 * lower it) */
	uint64_t gen;		/* bumped whenever guest translations may
				 * have changed (CR3, INVLPG, PT write...) */
	/* trace: where each traced table was walked: the canonical VA its
	 * region starts at | its level (1-4) | BT_PTVA_MULTI when walked at
	 * another VA or level too; 0 = not yet */
	uint64_t *pt_va;
	/* trace: RAM pages of every table traced since the last drop of
	 * everything (pt_listed[page] = 1 when in pt_list), so that drop
	 * clears only those */
	uint32_t *pt_list;
	uint32_t pt_nlist;
	uint8_t *pt_listed;
	/* trace: the table opened by bt_shadow_pt_write_begin() */
	bool ptw_open;
	uint64_t ptw_gpa;	/* its page */
	struct bt_window *ptw_win; /* where a write fill mapped it writable */
	uint32_t ptw_off;
	uint64_t ptw_last;	/* page of the last trap, and how many in a */
	unsigned ptw_streak;	/* row with no fill walking it */
	uint64_t ptw_old[512];	/* its contents at begin */
};

#define BT_PTVA_LEVEL 0x7ull
#define BT_PTVA_MULTI 0x8ull

#define BT_PT_LEAF 0x1		/* walked as a level-1 table */
#define BT_PT_UPPER 0x2		/* walked as a level-2..4 table */

/* What bt_shadow_fault() found. */
enum bt_shadow_result {
	BT_SHADOW_FILLED,	/* mapped: run the access again */
	BT_SHADOW_GUEST_PF,	/* deliver #PF: fill.gva is CR2, fill.pf_error */
	BT_SHADOW_MMIO,		/* translates to fill.gpa outside RAM */
	BT_SHADOW_OUTSIDE,	/* guard region: no guest VA to fill */
	BT_SHADOW_CODE_WRITE,	/* allowed write to a page holding code:
				 * fill.gpa; the caller invalidates first */
	BT_SHADOW_PT_WRITE,	/* trace: allowed write to a traced page
				 * table at fill.gpa: bt_shadow_pt_write() */
	BT_SHADOW_ERROR,	/* host mmap failed: internal error */
};

struct bt_shadow_fill {
	uint64_t gva;		/* guest VA of the faulting access */
	uint64_t gpa;		/* its translation (FILLED, MMIO, *_WRITE) */
	uint32_t pf_error;	/* #PF error code (GUEST_PF) */
};

/*
 * Reserve the windows over (mem) for (policy) with paging state (ctx)
 * (cr0, cr3, cr4, efer; cpl and ac are ignored). Returns 0, or -1 with
 * (err) set.
 */
int bt_shadow_create(struct bt_shadow *sh, struct guest_mem *mem,
		     enum bt_shadow_policy policy, const struct walk_ctx *ctx,
		     char *err, size_t errlen);

/* Release the windows. Safe on a zeroed struct. */
void bt_shadow_destroy(struct bt_shadow *sh);

/* Host GS base for accesses from (space) in the current address space. */
static inline uint64_t bt_shadow_gs_base(const struct bt_shadow *sh,
					 enum bt_space space)
{
	return (uint64_t)(uintptr_t)sh->win[space].base;
}

/*
 * Handle a host fault at window offset (off) of window (space) of the
 * current address space, a write if (write). Async-signal-safe. Fills
 * (out) as described for each result.
 */
enum bt_shadow_result bt_shadow_fault(struct bt_shadow *sh,
				      enum bt_space space, uint64_t off,
				      bool write, struct bt_shadow_fill *out);

/*
 * The guest is about to run user code again after a user-mode #PF was
 * reflected (sh->pf_pending): its kernel has usually made the page present
 * and returns to the faulting instruction. Map that page now, before the
 * retried access would fault for it, but only when nothing the guest can
 * observe changes: every entry of its walk already has A set (the guest
 * kernel sets A when it installs a PTE, as Linux does), so the walk writes
 * nothing; it is mapped writable only when D is set too. Otherwise, or
 * when the walk fails, nothing happens and the access faults as usual.
 * This is what a CPU may do at any time: cache a translation whose A bits
 * are set (Intel SDM Vol. 3A 4.10.2.3). Clears pf_pending. Returns 0, or
 * -1 when the host mmap fails (nothing is half done).
 */
int bt_shadow_prefetch(struct bt_shadow *sh);

/*
 * Which address space and privilege window (w) is; false when (w) is not
 * one of (sh)'s windows.
 */
bool bt_shadow_window_find(const struct bt_shadow *sh,
			   const struct bt_window *w, unsigned *as,
			   enum bt_space *space);

/*
 * The guest wrote CR3 (cr3). vtlb drops the non-global shadows (all of
 * them when CR4.PGE is clear); trace switches to the space of (cr3),
 * recycling one if needed. Returns 0 or -1 (host mmap failure).
 */
int bt_shadow_cr3_write(struct bt_shadow *sh, uint64_t cr3);

/*
 * The guest changed CR0, CR4 or EFER: the new values are used by later
 * fills; a change of a bit that affects translations (PG, WP, PGE, PSE,
 * PAE, SMEP, SMAP, NXE) drops every shadow. Returns 0 or -1.
 */
int bt_shadow_control_write(struct bt_shadow *sh, uint64_t cr0, uint64_t cr4,
			    uint64_t efer);

/*
 * INVLPG (gva): drop its page from the current space. The host unmap is
 * deferred (the page is marked and sh->drop_pending[] set) so that a run
 * of INVLPGs -- a guest mprotect or munmap flushes page by page -- costs
 * one mmap() per stretch of pages: bt_shadow_sync(space) must run before
 * guest code next touches a window of (space) (the vCPU does it at every
 * entry for the privilege it enters with: kernel code between the
 * INVLPGs of a loop never reaches the user window; fills do it first
 * too). Returns 0.
 */
int bt_shadow_invlpg(struct bt_shadow *sh, uint64_t gva);

/* Carry out the deferred unmaps in the windows of (space) (of every
 * address space). Returns 0 or -1 (host mmap failure). */
int bt_shadow_sync(struct bt_shadow *sh, enum bt_space space);

/* Drop every shadow mapping of every space (globals too). 0 or -1. */
int bt_shadow_flush(struct bt_shadow *sh);

/*
 * trace: the guest is about to write the page table at (gpa) and the
 * write cannot be compared (the monitor writes it): drop the shadows
 * derived from it (from every table, for an upper-level one) and stop
 * tracing it, so the write and the ones after it go through. Closes an
 * open table first. Returns 0 or -1.
 */
int bt_shadow_pt_write(struct bt_shadow *sh, uint64_t gpa);

/*
 * trace: a guest write to the traced table at (gpa) trapped
 * (BT_SHADOW_PT_WRITE). Copy the table and open it: the next write fill
 * of that page (the trapped store, run again alone) maps it writable.
 * bt_shadow_pt_write_end() must follow once that instruction has run (or
 * did not), before the guest runs anything else. After BT_SHADOW_PT_FLOOD
 * traps in a row the table is untraced instead (bt_shadow_pt_write) and
 * nothing is opened. Returns 0 or -1 (host mmap failure).
 */
int bt_shadow_pt_write_begin(struct bt_shadow *sh, uint64_t gpa);

/*
 * trace: carry out a trapped store (BT_SHADOW_PT_WRITE) of (size) bytes
 * (1, 2, 4, 8) of (value) at RAM (gpa), inside one page, the walk having
 * allowed it (A/D set): write it, then drop the shadows of the entries it
 * made less permissive, as bt_shadow_pt_write_end() does (deferred: the
 * pages are unmapped by the next bt_shadow_sync()). An entry of a leaf
 * table made present, with A, is mapped right away when the current
 * address space reaches it through that entry (prefetch-on-write,
 * sh->pt_prefetch), so the first access takes no hidden fault. The table
 * stays traced. Async-signal-safe (the fault handler runs it and skips
 * the store). Counts the trap and the write flood: after
 * BT_SHADOW_PT_FLOOD in a row the table is untraced (and the store
 * written all the same). Returns 0 or -1 (host mmap failure).
 */
int bt_shadow_pt_store(struct bt_shadow *sh, uint64_t gpa, uint64_t value,
		       unsigned size);

/*
 * Close the table opened by bt_shadow_pt_write_begin() (no-op when none):
 * write-protect it again and, for every entry that changed, prefetch it as
 * bt_shadow_pt_store() does or drop (deferred) the
 * shadows derived from it when it became less permissive (not present,
 * another frame or page size, W/U/A/D cleared, NX or reserved bits set);
 * a more permissive entry needs nothing (the shadows are a subset of its
 * rights; the next access refills lazily). Bumps gen when something was
 * dropped. Returns 0 or -1 (host mmap failure).
 */
int bt_shadow_pt_write_end(struct bt_shadow *sh);

/*
 * The RAM page at (gpa) now holds translated code: every window mapping
 * of it becomes read-only and later fills map it read-only, so a guest
 * write to it comes back as BT_SHADOW_CODE_WRITE. Returns 0 or -1.
 */
int bt_shadow_code_protect(struct bt_shadow *sh, uint64_t gpa);

/* The translations of page (gpa) are gone: writes may go through again
 * (they refault once to get a writable mapping). */
void bt_shadow_code_release(struct bt_shadow *sh, uint64_t gpa);

/* trace: is the RAM page at (gpa) a traced page table? */
static inline bool bt_shadow_is_traced(const struct bt_shadow *sh,
				       uint64_t gpa)
{
	return sh->policy == BT_SHADOW_TRACE && sh->pt_use[gpa >> 12] != 0;
}

/* Does the RAM page at (gpa) hold translated code? */
static inline bool bt_shadow_is_code(const struct bt_shadow *sh, uint64_t gpa)
{
	return sh->code[gpa >> 12] != 0;
}

/* Name of (policy): "vtlb", "trace". */
const char *bt_shadow_policy_name(enum bt_shadow_policy policy);

/* Parse "vtlb" / "trace" into (*out). Returns 0, or -1 when unknown. */
int bt_shadow_policy_parse(const char *name, enum bt_shadow_policy *out);

#endif /* VMB_BT_SHADOW_H */
