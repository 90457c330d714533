/*
 * bt_shadow.c - lazy shadow fills, vtlb invalidation and traced page
 * tables (bt_shadow.h).
 */
#include "bt/bt_shadow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/guest_mem.h"
#include "machine/x86_state.h"

#define PAGE_MASK (~(BT_WINDOW_PAGE - 1))
#define PTE_ADDR 0x000ffffffffff000ull
#define CR3_ADDR 0x000ffffffffff000ull
#define VA_48 0x0000ffffffffffffull

/* The canonical form of 48-bit VA (va). */
static inline uint64_t va_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16);
}

/* Control bits whose change alters translations. */
#define CR0_PAGING_BITS (X86_CR0_PG | X86_CR0_WP)
#define CR4_PAGING_BITS (X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE | \
			 X86_CR4_SMEP | X86_CR4_SMAP)

/* Every window of every address space (a statement follows). */
#define for_each_window(sh, w)                                              \
	for (unsigned w##_a = 0; w##_a < (sh)->nas; w##_a++)               \
		for (int w##_s = 0; w##_s < BT_SPACE_NR; w##_s++)          \
			for (struct bt_window *w = &(sh)->as[w##_a].win[w##_s]; \
			     w; w = NULL)

const char *bt_shadow_policy_name(enum bt_shadow_policy policy)
{
	return policy == BT_SHADOW_TRACE ? "trace" : "vtlb";
}

int bt_shadow_policy_parse(const char *name, enum bt_shadow_policy *out)
{
	if (!strcmp(name, "vtlb"))
		*out = BT_SHADOW_VTLB;
	else if (!strcmp(name, "trace"))
		*out = BT_SHADOW_TRACE;
	else
		return -1;
	return 0;
}

static void as_use(struct bt_shadow *sh, struct bt_shadow_as *as,
		   uint64_t cr3)
{
	as->cr3 = cr3 & CR3_ADDR;
	as->used = true;
	as->stamp = ++sh->stamp;
	sh->cur = as;
	sh->win = as->win;
}

int bt_shadow_create(struct bt_shadow *sh, struct guest_mem *mem,
		     enum bt_shadow_policy policy, const struct walk_ctx *ctx,
		     char *err, size_t errlen)
{
	static const char *const names[BT_SPACE_NR] = { "kernel", "user" };

	memset(sh, 0, sizeof(*sh));
	sh->mem = mem;
	sh->policy = policy;
	sh->ctx = *ctx;
	sh->ctx.cpl = 0;
	sh->ctx.ac = false;
	sh->ctx.implicit_supervisor = false;
	sh->nas = policy == BT_SHADOW_TRACE ? BT_SHADOW_MAX_AS : 1;
	sh->around = true;
	sh->around_n = BT_SHADOW_AROUND;
	sh->populate = true;
	sh->populate_ahead = BT_SHADOW_POPULATE_AHEAD;
	sh->prefetch = true;
	sh->pt_prefetch = true;
	sh->max_mapped = BT_SHADOW_MAX_MAPPED;
	sh->code = calloc(mem->size >> 12, 1);
	sh->pt_use = calloc(mem->size >> 12, 1);
	sh->pt_va = calloc(mem->size >> 12, sizeof(*sh->pt_va));
	sh->pt_list = calloc(mem->size >> 12, sizeof(*sh->pt_list));
	sh->pt_listed = calloc(mem->size >> 12, 1);
	if (!sh->code || !sh->pt_use || !sh->pt_va || !sh->pt_list ||
	    !sh->pt_listed) {
		snprintf(err, errlen, "bt: shadow: out of memory");
		bt_shadow_destroy(sh);
		return -1;
	}
	for (unsigned a = 0; a < sh->nas; a++) {
		for (int s = 0; s < BT_SPACE_NR; s++) {
			if (bt_window_create(&sh->as[a].win[s], mem->fd,
					     mem->size, names[s], err, errlen)) {
				bt_shadow_destroy(sh);
				return -1;
			}
		}
	}
	as_use(sh, &sh->as[0], ctx->cr3);
	return 0;
}

void bt_shadow_destroy(struct bt_shadow *sh)
{
	for (unsigned a = 0; a < BT_SHADOW_MAX_AS; a++)
		for (int s = 0; s < BT_SPACE_NR; s++)
			bt_window_destroy(&sh->as[a].win[s]);
	free(sh->code);
	free(sh->pt_use);
	free(sh->pt_va);
	free(sh->pt_list);
	free(sh->pt_listed);
	sh->pt_list = NULL;
	sh->pt_listed = NULL;
	sh->code = sh->pt_use = NULL;
	sh->pt_va = NULL;
}

bool bt_shadow_window_find(const struct bt_shadow *sh,
			   const struct bt_window *w, unsigned *as,
			   enum bt_space *space)
{
	for (unsigned a = 0; a < sh->nas; a++) {
		for (int s = 0; s < BT_SPACE_NR; s++) {
			if (&sh->as[a].win[s] == w) {
				*as = a;
				*space = (enum bt_space)s;
				return true;
			}
		}
	}
	return false;
}

/* Mapped runs over every window (~ host VMAs / 2; see bt_shadow.h). */
static uint32_t mapped_total(const struct bt_shadow *sh)
{
	uint32_t n = 0;

	for (unsigned a = 0; a < sh->nas; a++)
		for (int s = 0; s < BT_SPACE_NR; s++)
			n += sh->as[a].win[s].runs;
	return n;
}

/* Drop the shadows of (as) (globals kept when keep_global). */
static int as_drop(struct bt_shadow *sh, struct bt_shadow_as *as,
		   bool keep_global)
{
	for (int s = 0; s < BT_SPACE_NR; s++) {
		if (sh->ptw_win == &as->win[s])
			sh->ptw_win = NULL; /* its writable mapping goes */
		long n = bt_window_flush(&as->win[s], keep_global);

		if (n < 0)
			return -1;
		sh->cnt.invalidations += (uint64_t)n;
	}
	return 0;
}

/* Drop every shadow; nothing depends on any guest table afterwards. */
static int drop_all(struct bt_shadow *sh)
{
	sh->gen++;
	for (unsigned a = 0; a < sh->nas; a++)
		if (as_drop(sh, &sh->as[a], false))
			return -1;
	/* only the tables traced since the last drop_all (clearing the
	 * whole arrays, 9 bytes per RAM page, was 6.5% of forkexec under
	 * trace) */
	for (uint32_t i = 0; i < sh->pt_nlist; i++) {
		uint32_t f = sh->pt_list[i];

		sh->pt_use[f] = 0;
		sh->pt_va[f] = 0;
		sh->pt_listed[f] = 0;
	}
	sh->pt_nlist = 0;
	sh->ptw_open = false;	/* nothing is traced: nothing to compare */
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

/* Write-protect the RAM page at (gpa) in every window. */
static int frame_protect(struct bt_shadow *sh, uint64_t gpa)
{
	for_each_window(sh, w)
		if (bt_window_protect_frame(w, gpa & PAGE_MASK) < 0)
			return -1;
	return 0;
}

/*
 * trace: mark the tables the walk of (va) went through (all present, the
 * walk succeeded) and protect the ones not yet traced.
 */
static int tables_trace(struct bt_shadow *sh, uint64_t va, uint64_t page_size)
{
	uint64_t table = sh->ctx.cr3 & CR3_ADDR;
	int last = page_size == (1ull << 30) ? 3 : page_size == (2ull << 20) ? 2
									    : 1;

	for (int level = 4; level >= last; level--) {
		uint64_t *e = guest_mem_ptr(sh->mem, table +
					    ((va >> (12 + 9 * (level - 1))) & 511) * 8, 8);
		uint8_t bit = level == 1 ? BT_PT_LEAF : BT_PT_UPPER;
		uint8_t *use;

		/* 48-bit: a top-level table is at 0 for either half */
		uint64_t base = va & VA_48 & ~((1ull << (12 + 9 * level)) - 1);
		uint64_t *where = &sh->pt_va[table >> 12];

		if (!e)
			return 0;
		use = &sh->pt_use[table >> 12];
		if (!sh->pt_listed[table >> 12]) {
			sh->pt_listed[table >> 12] = 1;
			sh->pt_list[sh->pt_nlist++] = (uint32_t)(table >> 12);
		}
		if (!*use) {
			sh->cnt.pt_protects++;
			if (frame_protect(sh, table))
				return -1;
		}
		*use |= bit;
		if (!*where)
			*where = base | (uint64_t)level;
		else if (*where != (base | (uint64_t)level))
			*where |= BT_PTVA_MULTI;
		if (table == sh->ptw_last)
			sh->ptw_streak = 0; /* used: not a rebuild */
		table = *e & PTE_ADDR;
	}
	return 0;
}

/* May a neighbour page at RAM (gpa) be mapped writable? Not when it holds
 * code or a traced table (those writes must be seen). */
static bool frame_writable(const struct bt_shadow *sh, uint64_t gpa)
{
	return !sh->code[gpa >> 12] &&
	       !(sh->policy == BT_SHADOW_TRACE && sh->pt_use[gpa >> 12]);
}

/* A run of neighbour pages being collected by fault_around(). */
struct around_run {
	uint32_t off;		/* window offset of its first page */
	uint64_t gpa;		/* RAM of its first page */
	unsigned j, n;		/* first leaf index, pages */
	bool write;
	uint8_t flags;
};

static int around_map(struct bt_shadow *sh, struct bt_window *w,
		      const struct around_run *r, const uint64_t *leaf,
		      const struct walk_result *res, unsigned idx)
{
	uint64_t table = res->pte_gpa & PAGE_MASK;
	bool has_fault = idx >= r->j && idx < r->j + r->n;
	/* populate the faulting page and up to BT_SHADOW_POPULATE_AHEAD - 1
	 * pages after it: the retried access then takes no host fault, nor
	 * do the next ones of a sequential walk; the rest of a long run and
	 * neighbour-only runs are left to host faults (after a flush most
	 * neighbours are not touched again) */
	unsigned ahead = sh->populate_ahead;
	bool whole = sh->populate && has_fault && r->n <= ahead;
	uint8_t flags = r->flags | (whole ? BT_MAP_POPULATE : 0);

	if (!r->n)
		return 0;
	if (bt_window_map_range(w, r->off, r->gpa, r->n, r->write, flags))
		return has_fault ? -1 : 0; /* neighbours are best effort */
	if (sh->populate && has_fault && !whole) {
		unsigned n = r->j + r->n - idx;

		bt_window_populate(w, r->off + (idx - r->j) * 4096u,
				   n < ahead ? n : ahead);
	}
	sh->cnt.around_pages += r->n - has_fault;
	for (unsigned k = 0; k < r->n; k++)
		bt_window_pte_set(w, r->off + k * 4096u,
				  leaf ? table + 8ull * (r->j + k) : res->pte_gpa);
	return 0;
}

/*
 * The first index from (j) on, below (end), that fault_around() must look
 * at: (idx) or an entry with P and A; (end) when none. Eight entries (a
 * cache line) whose P&A bits are all clear are passed over at a time,
 * without a branch per entry: an isolated first touch scans a table of
 * unused entries, and doing it entry by entry cost about 1 us here.
 */
static unsigned around_skip(const uint64_t *leaf, unsigned j, unsigned end,
			    unsigned idx)
{
	while (j < end) {
		uint64_t any = 0;

		if (j == idx || (leaf[j] & 0x21) == 0x21)
			return j;
		if ((j & 7) || end - j < 8 || idx - j < 8) {
			j++;
			continue;
		}
		for (unsigned k = 0; k < 8; k++)
			any |= leaf[j + k] & (leaf[j + k] >> 5); /* P & A */
		if (any & 1)
			j++;
		else
			j += 8;
	}
	return end;
}

/*
 * Fault-around: map the faulting page (gva) together with the other pages
 * of its aligned group of sh->around_n that the guest could reach without
 * the walk changing anything it can see, i.e. whose leaf entry already has
 * A (and D, to be writable) -- a refill after a vtlb flush, or pages the
 * guest kernel installed with A set -- or that lie in the same large page
 * (whose A the walk just set). Runs of contiguous RAM with the same rights
 * are mapped with one mmap(), populated when sh->populate (the pages have
 * been or are about to be used: filling their host PTEs now costs less
 * than a host fault each later).
 * Best effort for neighbours (one that does not qualify is left to
 * fault); returns -1 only when the faulting page could not be mapped.
 */
static int fault_around(struct bt_shadow *sh, enum bt_space space,
			uint64_t gva, const struct walk_result *res, bool w_fault)
{
	struct bt_window *w = &sh->win[space];
	const uint64_t *leaf = NULL;
	unsigned group = sh->around_n;
	unsigned idx = (unsigned)(gva >> 12) & 511;
	unsigned first = idx & ~(group - 1u);
	uint64_t base_gva = gva & ~0x1fffffull;
	struct around_run run = { 0 };
	bool nxe = sh->ctx.efer & X86_EFER_NXE;
	bool wp = sh->ctx.cr0 & X86_CR0_WP;

	if (res->page_size == BT_WINDOW_PAGE)
		leaf = guest_mem_ptr(sh->mem, res->pte_gpa & PAGE_MASK, 4096);
	for (unsigned j = first; j <= first + group; j++) {
		uint64_t gpa = 0, pte = 0;
		uint32_t off = bt_window_off(base_gva + ((uint64_t)j << 12));
		bool ok = false, wr = false, user = res->user, global = res->global;

		if (j != idx && j < first + group && leaf &&
		    (leaf[j] & 0x21) != 0x21) {
			/* not present or never used: the common case of a
			 * first touch, decided first and cheaply (the scan
			 * runs over the whole table on every fill) */
			if (run.n && around_map(sh, w, &run, leaf, res, idx))
				return -1;
			run.n = 0;
			j = around_skip(leaf, j + 1, first + group, idx) - 1;
			continue;
		}
		if (j == idx) {
			/* the faulting page itself, as the walk decided */
			ok = true;
			gpa = res->gpa & PAGE_MASK;
			wr = w_fault;
		} else if (j < first + group &&
			   !(bt_window_state(w, off) & BT_PAGE_MAPPED)) {
			if (leaf) {
				pte = leaf[j];
				gpa = pte & PTE_ADDR;
				user = res->user && (pte & 0x4);
				global = pte & 0x100;
				ok = (pte & 0x21) == 0x21 && /* P, A */
				     !(pte & 0x7ff0000000000000ull) &&
				     (nxe || !(pte >> 63)) &&
				     (space == BT_SPACE_KERNEL || user);
				wr = ((res->writable && (pte & 0x2)) ||
				      (space == BT_SPACE_KERNEL && !wp)) &&
				     (pte & 0x40); /* D */
			} else {
				gpa = (res->gpa & PAGE_MASK) +
				      ((uint64_t)j - idx) * 4096;
				ok = true;
				wr = space_writable(sh, space, res) && res->dirty;
			}
			ok = ok && guest_mem_contains(sh->mem, gpa, 4096);
			wr = wr && ok && frame_writable(sh, gpa);
		}
		uint8_t flags = (uint8_t)((user ? BT_PAGE_USER : 0) |
					  (global ? BT_PAGE_GLOBAL : 0));
		if (ok && run.n && wr == run.write && flags == run.flags &&
		    gpa == run.gpa + run.n * 4096ull) {
			run.n++;
			continue;
		}
		if (around_map(sh, w, &run, leaf, res, idx))
			return -1;
		run.n = 0;
		if (ok)
			run = (struct around_run){ off, gpa, j, 1, wr, flags };
	}
	return 0;
}

/*
 * The fill behind bt_shadow_fault() and the prefetches. A prefetch (a read
 * walk whose A bits are all set already; (prefetch) is its counter, NULL
 * for a fault) counts nothing on failure, never flushes for capacity and
 * records no pending #PF.
 */
static enum bt_shadow_result fill(struct bt_shadow *sh, enum bt_space space,
				  uint64_t off, bool write, uint64_t *prefetch,
				  struct bt_shadow_fill *out)
{
	struct walk_ctx ctx = sh->ctx;
	struct walk_result res;
	uint64_t gpa_page;
	uint32_t woff;
	bool trace = sh->policy == BT_SHADOW_TRACE, w, open_hit = false;

	memset(out, 0, sizeof(*out));
	if (bt_shadow_sync(sh, space))
		return BT_SHADOW_ERROR;
	if (off >= BT_WINDOW_SIZE) {
		sh->cnt.outside_faults++;
		return BT_SHADOW_OUTSIDE;
	}
	woff = (uint32_t)off & (uint32_t)PAGE_MASK;
	out->gva = bt_window_gva((uint32_t)off);
	ctx.cpl = space == BT_SPACE_USER ? 3 : 0;
	if (page_walk(sh->mem, &ctx, out->gva, write ? WALK_WRITE : WALK_READ,
		      &res, &out->pf_error)) {
		if (prefetch)
			return BT_SHADOW_GUEST_PF;
		sh->cnt.reflected_pf++;
		if (space == BT_SPACE_USER && sh->prefetch) {
			sh->pf_pending = true;
			sh->pf_gva = out->gva;
		}
		return BT_SHADOW_GUEST_PF;
	}
	sh->cnt.walk_refs += res.mem_refs;
	out->gpa = res.gpa;
	gpa_page = res.gpa & PAGE_MASK;
	if (!guest_mem_contains(sh->mem, gpa_page, BT_WINDOW_PAGE)) {
		if (!prefetch)
			sh->cnt.mmio_faults++;
		return BT_SHADOW_MMIO;
	}
	if (write && sh->code[gpa_page >> 12]) {
		sh->cnt.code_writes++;
		return BT_SHADOW_CODE_WRITE;
	}
	if (write && trace && sh->pt_use[gpa_page >> 12]) {
		/* the store let through by bt_shadow_pt_write_begin() */
		if (!sh->ptw_open || gpa_page != sh->ptw_gpa || prefetch)
			return BT_SHADOW_PT_WRITE; /* counted by _begin */
		open_hit = true;
	}
	if (mapped_total(sh) >= sh->max_mapped) {
		if (prefetch)
			return BT_SHADOW_OUTSIDE;
		sh->cnt.capacity_flushes++;
		if (drop_all(sh))
			return BT_SHADOW_ERROR;
	}
	if (trace && tables_trace(sh, out->gva, res.page_size))
		return BT_SHADOW_ERROR;
	/* Writable only once D is set: the first write to a clean page must
	 * come back here so the walk sets D. Code and traced tables stay
	 * read-only so writes to them are seen. */
	w = space_writable(sh, space, &res) && res.dirty &&
	    !sh->code[gpa_page >> 12] &&
	    (open_hit || !(trace && sh->pt_use[gpa_page >> 12]));
	if (sh->around &&
	    mapped_total(sh) + 2 < sh->max_mapped) {
		/* maps the faulting page with its neighbours, in runs */
		if (fault_around(sh, space, out->gva, &res, w))
			return BT_SHADOW_ERROR;
	} else {
		if (bt_window_map(&sh->win[space], woff, gpa_page, w,
				  (res.global ? BT_PAGE_GLOBAL : 0) |
					  (res.user ? BT_PAGE_USER : 0) |
					  (sh->populate ? BT_MAP_POPULATE : 0)))
			return BT_SHADOW_ERROR;
		/* a large page has no 4 KiB PTE: record the entry mapping it */
		bt_window_pte_set(&sh->win[space], woff, res.pte_gpa);
	}
	if (open_hit && w && sh->ptw_open) {
		/* _end() write-protects it again */
		sh->ptw_win = &sh->win[space];
		sh->ptw_off = woff;
	}
	if (prefetch) {
		(*prefetch)++;
		return BT_SHADOW_FILLED;
	}
	sh->cnt.hidden_faults++;
	if (write && w)
		sh->cnt.hidden_dirty++;
	return BT_SHADOW_FILLED;
}

enum bt_shadow_result bt_shadow_fault(struct bt_shadow *sh,
				      enum bt_space space, uint64_t off,
				      bool write, struct bt_shadow_fill *out)
{
	return fill(sh, space, off, write, NULL, out);
}

/* Does every entry of the walk of (va) have P and A set, so that a read
 * walk writes nothing to guest memory? (*leaf) is then the RAM address of
 * the last entry (the PTE, or the large-page entry). */
static bool walk_accessed(const struct bt_shadow *sh, uint64_t va,
			  uint64_t *leaf)
{
	uint64_t table = sh->ctx.cr3 & CR3_ADDR;

	for (int level = 4; level >= 1; level--) {
		uint64_t at = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
		const uint64_t *e = guest_mem_ptr(sh->mem, at, 8);

		if (!e || (*e & 0x21) != 0x21) /* P, A */
			return false;
		*leaf = at;
		if (level == 1 || (level <= 3 && (*e & 0x80))) /* PS */
			return true;
		table = *e & PTE_ADDR;
	}
	return false;
}

int bt_shadow_prefetch(struct bt_shadow *sh)
{
	struct bt_shadow_fill out;
	uint64_t gva = sh->pf_gva;
	uint32_t off = bt_window_off(gva) & (uint32_t)PAGE_MASK;
	uint64_t leaf;

	sh->pf_pending = false;
	if (!bt_window_gva_ok(gva) ||
	    (bt_window_state(&sh->win[BT_SPACE_USER], off) & BT_PAGE_MAPPED) ||
	    !walk_accessed(sh, gva, &leaf))
		return 0;
	return fill(sh, BT_SPACE_USER, off, false, &sh->cnt.prefetches,
		    &out) == BT_SHADOW_ERROR
		       ? -1
		       : 0;
}

/*
 * Prefetch-on-write (trace): a trapped store made entry (i) of the leaf
 * table (table) present. When the table has one known place (pt_va) and
 * the current address space reaches that VA through this very entry with
 * every A bit already set (the guest kernel installs its PTEs with A, as
 * Linux does), map the page now, read-only unless D is set, in the user
 * window for a user page and in the kernel window otherwise: the first
 * access then takes no hidden fault. Like bt_shadow_prefetch(), this is a
 * translation cached early, which a CPU may do for entries whose A is
 * set (Intel SDM Vol. 3A 4.10.2.3); guest memory does not change.
 * Best effort: returns -1 only when a host mmap failed.
 */
static int write_prefetch(struct bt_shadow *sh, uint64_t table, unsigned i,
			  uint64_t pte)
{
	uint64_t va = sh->pt_va[table >> 12], gva, leaf;
	enum bt_space space = pte & 0x4 ? BT_SPACE_USER : BT_SPACE_KERNEL;
	struct bt_shadow_fill out;
	enum bt_shadow_result r;
	unsigned streak;
	uint32_t off;
	bool serves_pf;

	if (!sh->pt_prefetch || (va & BT_PTVA_MULTI) ||
	    (va & BT_PTVA_LEVEL) != 1 || (pte & 0x21) != 0x21)
		return 0;
	gva = va_canonical((va & ~0xfffull) + ((uint64_t)i << 12));
	off = bt_window_off(gva);
	/* the user window maps nothing at or above 2^31 (bt_exec_fault.c
	 * hands those accesses to the monitor; bt_loop.h relies on it) */
	if (space == BT_SPACE_USER && off >= 0x80000000u)
		return 0;
	if (!bt_window_gva_ok(gva) ||
	    (bt_window_state(&sh->win[space], off) & BT_PAGE_MAPPED) ||
	    !walk_accessed(sh, gva, &leaf) || leaf != table + 8ull * i)
		return 0;
	/* The fill walks the table, which ends a run of stores to it (see
	 * flood_count). That is right when the page is the one a reflected
	 * user #PF is waiting for (its retried access would have walked the
	 * table); any other prefetch is no use by the guest, and a burst of
	 * stores must still count as a rebuild. */
	serves_pf = sh->pf_pending && space == BT_SPACE_USER &&
		    ((sh->pf_gva ^ gva) & PAGE_MASK) == 0;
	streak = sh->ptw_streak;
	r = fill(sh, space, off, false, &sh->cnt.pt_prefetches, &out);
	if (!serves_pf)
		sh->ptw_streak = streak;
	return r == BT_SHADOW_ERROR ? -1 : 0;
}

int bt_shadow_cr3_write(struct bt_shadow *sh, uint64_t cr3)
{
	struct bt_shadow_as *pick = NULL;

	sh->ctx.cr3 = cr3;
	sh->gen++;
	sh->pf_pending = false;	/* another process may run next */
	if (sh->policy == BT_SHADOW_VTLB) {
		sh->cnt.cr3_flushes++;
		sh->cur->cr3 = cr3 & CR3_ADDR;
		return as_drop(sh, sh->cur, (sh->ctx.cr4 & X86_CR4_PGE) != 0);
	}
	for (unsigned a = 0; a < sh->nas; a++) {
		struct bt_shadow_as *as = &sh->as[a];

		if (as->used && as->cr3 == (cr3 & CR3_ADDR)) {
			sh->cnt.as_switches++;
			as_use(sh, as, cr3);
			return 0;
		}
		if (!pick || (!as->used && pick->used) ||
		    (as->used == pick->used && as->stamp < pick->stamp))
			pick = as;
	}
	if (pick->used) {
		sh->cnt.as_recycled++;
		if (as_drop(sh, pick, false))
			return -1;
	}
	as_use(sh, pick, cr3);
	return 0;
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
	return changed ? drop_all(sh) : 0;
}

int bt_shadow_invlpg(struct bt_shadow *sh, uint64_t gva)
{
	uint32_t off = bt_window_off(gva) & (uint32_t)PAGE_MASK;

	sh->cnt.invlpg++;
	sh->gen++;
	if (!bt_window_gva_ok(gva))
		return 0; /* never filled: nothing to drop */
	for (int s = 0; s < BT_SPACE_NR; s++) {
		struct bt_window *w = &sh->win[s];
		uint8_t st = bt_window_state(w, off);

		if (!(st & BT_PAGE_MAPPED) || (st & BT_PAGE_DROP))
			continue;
		bt_window_mark_drop(w, off);
		sh->drop_pending[s] = true;
		sh->cnt.invalidations++;
	}
	return 0;
}

int bt_shadow_sync(struct bt_shadow *sh, enum bt_space space)
{
	if (!sh->drop_pending[space])
		return 0;
	for (unsigned a = 0; a < sh->nas; a++)
		if (bt_window_unmap_marked(&sh->as[a].win[space]) < 0)
			return -1;
	sh->drop_pending[space] = false;
	return 0;
}

int bt_shadow_flush(struct bt_shadow *sh)
{
	return drop_all(sh);
}

int bt_shadow_pt_write(struct bt_shadow *sh, uint64_t gpa)
{
	uint8_t *use = &sh->pt_use[(gpa & PAGE_MASK) >> 12];
	uint64_t va = sh->pt_va[(gpa & PAGE_MASK) >> 12];
	/* a leaf table walked at one place: its pages lie in one 2 MiB */
	bool one = (va & (BT_PTVA_MULTI | BT_PTVA_LEVEL)) == 1 &&
		   bt_window_gva_ok(va_canonical(va & ~0xfffull));

	if (bt_shadow_pt_write_end(sh))
		return -1;
	sh->gen++;
	sh->cnt.pt_writes++;
	if (*use & BT_PT_UPPER) {
		sh->cnt.pt_drop_alls++;
		return drop_all(sh);
	}
	for_each_window(sh, w) {
		long n = one ? bt_window_mark_table_at(
				       w, gpa,
				       bt_window_off(va_canonical(va & ~0xfffull)))
			     : bt_window_mark_table(w, gpa);

		if (n)
			sh->drop_pending[w_s] = true;
		sh->cnt.invalidations += (uint64_t)n;
	}
	*use = 0;
	sh->pt_va[(gpa & PAGE_MASK) >> 12] = 0;
	return 0;
}

/* Count a trap to (page): true when it ends a flood (untrace it). */
static bool flood_count(struct bt_shadow *sh, uint64_t page)
{
	if (page == sh->ptw_last) {
		sh->ptw_streak++;
	} else {
		sh->ptw_last = page;
		sh->ptw_streak = 1;
	}
	if (sh->ptw_streak < BT_SHADOW_PT_FLOOD)
		return false;
	sh->ptw_streak = 0;
	sh->cnt.pt_floods++;
	return true;
}

int bt_shadow_pt_write_begin(struct bt_shadow *sh, uint64_t gpa)
{
	uint64_t page = gpa & PAGE_MASK;
	const uint64_t *cur = guest_mem_ptr(sh->mem, page, 4096);

	if (bt_shadow_pt_write_end(sh))
		return -1;
	if (flood_count(sh, page) || !cur || !sh->pt_use[page >> 12])
		return bt_shadow_pt_write(sh, page); /* a rebuild: untrace */
	sh->cnt.pt_writes++;
	memcpy(sh->ptw_old, cur, 4096);
	sh->ptw_gpa = page;
	sh->ptw_win = NULL;
	sh->ptw_open = true;
	return 0;
}

/* Rights an entry may gain without invalidating a shadow: the shadows
 * were made with fewer. Bits the walk ignores (9-11, 52-58), G and the
 * memory type (PWT, PCD) never matter to a shadow. */
#define PTE_P 0x1ull
#define PTE_GRANT 0x66ull		/* W, U, A, D */
#define PTE_NX (1ull << 63)
#define PTE_IGNORED 0x07f0000000000f18ull

/* Does (old) -> (new) take rights away from a shadow made from (old)? */
static bool entry_restricts(uint64_t old, uint64_t new)
{
	uint64_t d = (old ^ new) & ~PTE_IGNORED;

	if (!(old & PTE_P))
		return false;	/* nothing was derived from it */
	if (!(new & PTE_P))
		return true;
	if (d & PTE_GRANT & old)
		return true;	/* W, U, A or D cleared */
	if (d & PTE_NX & new)
		return true;
	return (d & ~(PTE_GRANT | PTE_NX)) != 0; /* frame, PS, PAT, keys */
}

/* Mark for dropping (bt_shadow_sync), in every window, the pages of
 * canonical guest VA range [lo, lo + len) the windows hold (user and
 * kernel halves); returns how many. */
static long range_mark(struct bt_shadow *sh, uint64_t lo, uint64_t len)
{
	uint64_t last = lo + len - 1, kstart = 0xffffffff80000000ull;
	long n = 0;

	for_each_window(sh, w) {
		long k = 0;

		if (lo < (1ull << 31))
			k = bt_window_mark_range(
				w, (uint32_t)lo,
				(last < (1ull << 31) ? last + 1 : 1ull << 31) - lo);
		if (last >= kstart) {
			uint64_t a = lo > kstart ? lo : kstart;

			k += bt_window_mark_range(w, (uint32_t)a, last - a + 1);
		}
		if (k)
			sh->drop_pending[w_s] = true;
		n += k;
	}
	return n;
}

/*
 * Drop the shadows derived from entry (i) of the traced table (table):
 * marked, unmapped by bt_shadow_sync() before guest code next runs in a
 * window of that privilege (a burst of PTE writes, e.g. a guest
 * mprotect(), then costs one mmap() per stretch, as INVLPGs do). Until
 * then translated code that is already running may still use the old
 * translation, as a CPU may use a cached one until INVLPG or a CR3 write
 * (both leave translated code, so the drop is done by then). Returns 1
 * when everything was dropped (the table's place is unknown and it is an
 * upper-level one), 0, or -1.
 */
static int entry_invalidate(struct bt_shadow *sh, uint64_t table, unsigned i)
{
	uint64_t va = sh->pt_va[table >> 12], entry = table + 8ull * i;
	unsigned level = (unsigned)(va & BT_PTVA_LEVEL);
	long n = 0;

	if (!va || (va & BT_PTVA_MULTI) || level < 1) {
		if (sh->pt_use[table >> 12] & BT_PT_UPPER) {
			sh->cnt.pt_drop_alls++;
			return drop_all(sh) ? -1 : 1;
		}
		for_each_window(sh, w) {
			long k = bt_window_mark_pte(w, entry);

			if (k)
				sh->drop_pending[w_s] = true;
			n += k;
		}
	} else if (level == 1) {
		uint64_t gva = va_canonical((va & ~0xfffull) +
					    ((uint64_t)i << 12));
		uint32_t off = bt_window_off(gva);

		if (!bt_window_gva_ok(gva))
			return 0;
		for_each_window(sh, w) {
			uint8_t st = bt_window_state(w, off);

			if (!(st & BT_PAGE_MAPPED) || (st & BT_PAGE_DROP) ||
			    w->page_pte[off / BT_WINDOW_PAGE] !=
				    (uint32_t)(entry >> 3))
				continue;
			bt_window_mark_drop(w, off);
			sh->drop_pending[w_s] = true;
			n++;
		}
	} else {
		unsigned shift = 12 + 9 * (level - 1);

		n = range_mark(sh, va_canonical((va & ~0xfffull) +
						((uint64_t)i << shift)),
			       1ull << shift);
	}
	sh->cnt.invalidations += (uint64_t)n;
	sh->cnt.pt_deferred += (uint64_t)n;
	return 0;
}

/* Entries of (table) from (first) on (n of them) changed from (old) to
 * what memory holds now: drop what the restricting ones derived. */
static int entries_compare(struct bt_shadow *sh, uint64_t table,
			   unsigned first, unsigned n, const uint64_t *old)
{
	const uint64_t *cur = guest_mem_ptr(sh->mem, table, 4096);
	bool changed = false;

	if (!cur || !sh->pt_use[table >> 12])
		return 0;
	for (unsigned i = first; i < first + n; i++) {
		int r;

		if (cur[i] == old[i - first])
			continue;
		sh->cnt.pt_entries++;
		if (!(old[i - first] & PTE_P) &&
		    (sh->pt_use[table >> 12] & BT_PT_LEAF) &&
		    write_prefetch(sh, table, i, cur[i]))
			return -1;
		if (!entry_restricts(old[i - first], cur[i]))
			continue;
		sh->cnt.pt_restricts++;
		changed = true;
		r = entry_invalidate(sh, table, i);
		if (r < 0)
			return -1;
		if (r > 0)
			break;	/* everything is gone */
	}
	if (changed)
		sh->gen++;
	return 0;
}

int bt_shadow_pt_store(struct bt_shadow *sh, uint64_t gpa, uint64_t value,
		       unsigned size)
{
	uint64_t page = gpa & PAGE_MASK, old[2];
	unsigned first = (unsigned)(gpa & 4095) / 8;
	unsigned n = (unsigned)(((gpa & 4095) + size - 1) / 8) - first + 1;
	uint8_t *host = guest_mem_ptr(sh->mem, gpa, size);

	if (!host || (gpa & 4095) + size > 4096 || bt_shadow_pt_write_end(sh))
		return -1;
	if (flood_count(sh, page)) {
		if (bt_shadow_pt_write(sh, page))
			return -1;
		memcpy(host, &value, size);
		return 0;
	}
	sh->cnt.pt_writes++;
	memcpy(old, (const uint8_t *)guest_mem_ptr(sh->mem, page, 4096) +
			    first * 8, n * 8);
	memcpy(host, &value, size);
	return entries_compare(sh, page, first, n, old);
}

int bt_shadow_pt_write_end(struct bt_shadow *sh)
{
	if (!sh->ptw_open)
		return 0;
	sh->ptw_open = false;
	if (sh->ptw_win) {
		struct bt_window *w = sh->ptw_win;
		uint32_t page = sh->ptw_off / BT_WINDOW_PAGE;

		sh->ptw_win = NULL;
		if ((w->page_state[page] & BT_PAGE_WRITE) &&
		    w->page_frame[page] == (uint32_t)(sh->ptw_gpa >> 12) &&
		    bt_window_protect(w, sh->ptw_off, false))
			return -1;
	}
	return entries_compare(sh, sh->ptw_gpa, 0, 512, sh->ptw_old);
}

int bt_shadow_code_protect(struct bt_shadow *sh, uint64_t gpa)
{
	uint8_t *c = &sh->code[gpa >> 12];

	if (*c)
		return 0;
	*c = 1;
	sh->cnt.code_protects++;
	return frame_protect(sh, gpa);
}

void bt_shadow_code_release(struct bt_shadow *sh, uint64_t gpa)
{
	sh->code[gpa >> 12] = 0;
}
