/*
 * bt_exec.c - the vCPU: dispatcher, chaining, indirect-branch tables, SMC
 * and PT-write handling, state in and out (bt_exec.h). The fault side is
 * in bt_exec_fault.c.
 */
#include "bt/bt_exec.h"
#include "bt/bt_exec_fault.h"
#include "bt/bt_fast.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bt/bt_classify.h"
#include "bt/bt_fault.h"
#include "bt/bt_gs.h"
#include "bt/bt_translate.h"
#include "bt/bt_window.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"


/* Miss records of the lookup routines (bt_entry.S reserves 128 bytes). */
extern struct bt_exit_rec bt_ibl_miss0, bt_ibl_miss3;
_Static_assert(sizeof(struct bt_exit_rec) <= 128, "bt_ibl_miss size");

#define IBL_USED_MAX (BT_IBL_ENTRIES / 8)

/* Empty the lookup table of (lvl): the entries filled since the last
 * reset when there are few (resets follow every INVLPG and CR3 write),
 * else all of them. */
static void ibl_reset(struct bt_vcpu *v, int lvl)
{
	const char *empty = lvl ? bt_ibl_empty3 : bt_ibl_empty0;
	struct bt_ibl_entry *t = v->ibl[lvl];

	if (v->nibl_used[lvl] <= IBL_USED_MAX) {
		for (uint32_t k = 0; k < v->nibl_used[lvl]; k++) {
			t[v->ibl_used[lvl][k]].rip = ~0ull;
			t[v->ibl_used[lvl][k]].code = (uint64_t)(uintptr_t)empty;
		}
	} else {
		for (unsigned i = 0; i < BT_IBL_ENTRIES; i++) {
			t[i].rip = ~0ull;
			t[i].code = (uint64_t)(uintptr_t)empty;
		}
	}
	v->nibl_used[lvl] = 0;
	v->ibl_dirty[lvl] = false;
}

#define XCHAIN_MAX 16384u

/* Point the RET-site cache (site) at guest (rip) / host (code), misses to
 * (miss). rip 0 with code = site->hitmiss is the empty cache. */
static void ret_site_set(struct bt_ret_site *site, uint64_t rip,
			 const uint8_t *code, uint64_t miss)
{
	int32_t d2 = (int32_t)rip, d1 = (int32_t)(0u - (uint32_t)rip);
	int32_t rel = (int32_t)(code - (site->host + 4));

	memcpy(site->d1, &d1, 4);
	memcpy(site->d2, &d2, 4);
	memcpy(site->host, &rel, 4);
	site->miss = miss;
}

/* Undo every cross-page chain (their stubs exit to the dispatcher
 * again). */
static void xchain_drop(struct bt_vcpu *v)
{
	for (uint32_t i = 0; i < v->nxchain; i++) {
		memcpy(v->xchain[i]->stub, v->xchain[i]->orig, 5);
		v->xchain[i]->chained = false;
	}
	v->cnt.unchained += v->nxchain;
	v->nxchain = 0;
	for (uint32_t i = 0; i < v->nrsite; i++)
		ret_site_set(v->rsite[i], 0, v->rsite[i]->hitmiss,
			     v->rsite[i]->fill);
	v->nrsite = 0;
}

/* The RET site (site) returned to (b) for the first time: cache it. */
static void ret_site_fill(struct bt_vcpu *v, struct bt_ret_site *site,
			  const struct bt_block *b)
{
	uint64_t ibl = (uint64_t)(uintptr_t)(b->cpl == 3 ? bt_ibl_lookup3
							 : bt_ibl_lookup0);

	if (v->nrsite == XCHAIN_MAX || v->exact)
		return;	/* stays with its fill stub: correct, slower */
	v->rsite[v->nrsite++] = site;
	/* -rip must fit the disp32: every layout address but 2^64 - 2^31 */
	if (b->step || b->monitor_only || b->rip == 0xffffffff80000000ull ||
	    b->rip == 0) {
		site->miss = ibl;
		return;
	}
	ret_site_set(site, b->rip, b->code, ibl);
	v->cnt.ret_fills++;
}

/* Empty the lookup tables and undo cross-page chains if blocks or
 * translations changed since they were made. */
static void ibl_check(struct bt_vcpu *v, bool blocks_changed)
{
	if (!blocks_changed && v->ibl_gen == v->sh->gen)
		return;
	v->ibl_gen = v->sh->gen;
	xchain_drop(v);
	for (int lvl = 0; lvl < 2; lvl++) {
		if (v->ibl_dirty[lvl]) {
			ibl_reset(v, lvl);
			v->cnt.ibl_resets++;
		}
	}
}

static void ibl_fill(struct bt_vcpu *v, const struct bt_block *b)
{
	int lvl = b->cpl == 3;
	struct bt_ibl_entry *e;

	if (b->step || b->monitor_only || v->exact || b->cpl == 1 ||
	    b->cpl == 2)
		return;
	e = &v->ibl[lvl][b->rip & (BT_IBL_ENTRIES - 1)];
	if (v->nibl_used[lvl] < IBL_USED_MAX)
		v->ibl_used[lvl][v->nibl_used[lvl]] =
			(uint16_t)(b->rip & (BT_IBL_ENTRIES - 1));
	if (v->nibl_used[lvl] <= IBL_USED_MAX)
		v->nibl_used[lvl]++;	/* past the max: reset them all */
	e->rip = b->rip;
	e->code = (uint64_t)(uintptr_t)b->code;
	v->ibl_dirty[lvl] = true;
	v->cnt.ibl_fills++;
}

int bt_vcpu_create(struct bt_vcpu *v, struct bt_shadow *sh,
		   size_t code_bytes, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	for (unsigned i = 0; i < BT_FETCH_TLB; i++)
		v->fetch[i].key = ~0ull;	/* no page | CPL looks like it */
	v->sh = sh;
	v->mem = sh->mem;
	v->ctx.rflags = X86_RFLAGS_FIXED;
	if (bt_cache_create(&v->cache, code_bytes, v->mem->size, err, errlen))
		return -1;
	if (bt_cache_create(&v->step, 64 << 10, 0, err, errlen)) {
		bt_cache_destroy(&v->cache);
		return -1;
	}
	for (int lvl = 0; lvl < 2; lvl++) {
		v->ibl[lvl] = calloc(BT_IBL_ENTRIES, sizeof(*v->ibl[lvl]));
		v->ibl_used[lvl] = calloc(IBL_USED_MAX, sizeof(uint16_t));
		v->nibl_used[lvl] = IBL_USED_MAX + 1;	/* all, once */
		if (!v->ibl[lvl] || !v->ibl_used[lvl]) {
			snprintf(err, errlen, "bt: lookup table: out of memory");
			free(v->ibl[0]);
			free(v->ibl[1]);
			free(v->ibl_used[0]);
			free(v->ibl_used[1]);
			bt_cache_destroy(&v->cache);
			bt_cache_destroy(&v->step);
			return -1;
		}
		ibl_reset(v, lvl);
	}
	v->ibl_gen = sh->gen;
	v->xchain = calloc(XCHAIN_MAX, sizeof(*v->xchain));
	v->rsite = calloc(XCHAIN_MAX, sizeof(*v->rsite));
	if (!v->xchain || !v->rsite) {
		free(v->xchain);
		free(v->rsite);
		snprintf(err, errlen, "bt: chain list: out of memory");
		free(v->ibl[0]);
		free(v->ibl[1]);
		bt_cache_destroy(&v->cache);
		bt_cache_destroy(&v->step);
		return -1;
	}
	if (bt_fault_install(err, errlen)) {
		free(v->xchain);
		free(v->rsite);
		free(v->ibl[0]);
		free(v->ibl[1]);
		bt_cache_destroy(&v->cache);
		bt_cache_destroy(&v->step);
		return -1;
	}
	for (unsigned a = 0; a < sh->nas; a++) {
		for (int s = 0; s < BT_SPACE_NR; s++) {
			if (bt_fault_window_add(&sh->as[a].win[s],
						bt_exec_window_fault,
						v)) {
				snprintf(err, errlen, "bt: fault registry full");
				bt_vcpu_destroy(v);
				return -1;
			}
		}
	}
	return 0;
}

void bt_vcpu_destroy(struct bt_vcpu *v)
{
	if (!v->cache.code)
		return;
	for (unsigned a = 0; a < v->sh->nas; a++)
		for (int s = 0; s < BT_SPACE_NR; s++)
			bt_fault_window_remove(&v->sh->as[a].win[s]);
	bt_fault_uninstall();
	bt_cache_destroy(&v->cache);
	bt_cache_destroy(&v->step);
	free(v->ibl[0]);
	free(v->ibl[1]);
	free(v->ibl_used[0]);
	free(v->ibl_used[1]);
	free(v->xchain);
	free(v->rsite);
	v->rsite = NULL;
	v->xchain = NULL;
	v->ibl[0] = v->ibl[1] = NULL;
}

void bt_vcpu_kick(struct bt_vcpu *v)
{
	v->kicked = 1;
	mprotect(v->cache.data + BT_CACHE_KICK, 4096, PROT_NONE);
	mprotect(v->step.data + BT_CACHE_KICK, 4096, PROT_NONE);
}

/* Patch the stub of (rec) into a jump to (to) when both blocks are on the
 * same guest page and privilege level (see bt_exec.h). */
static void chain_try(struct bt_vcpu *v, struct bt_exit_rec *rec,
		      struct bt_block *to)
{
	struct bt_block *from = rec->block;
	bool cross = ((from->rip ^ to->rip) & ~0xfffull) ||
		     ((from->gpa ^ to->gpa) & ~0xfffull);
	int32_t rel;

	if (v->exact || rec->chained || to->monitor_only || from->step ||
	    to->step ||
	    to->gpa2 != BT_NO_PAGE || from->cpl != to->cpl)
		return;
	if (cross) {
		if (v->nxchain == XCHAIN_MAX)
			return;
		memcpy(rec->orig, rec->stub, 5);
		v->xchain[v->nxchain++] = rec;
		v->cnt.chained_cross++;
	}
	rel = (int32_t)(to->code - (rec->stub + 5));
	rec->stub[0] = 0xe9;
	memcpy(rec->stub + 1, &rel, 4);
	rec->chained = true;
	v->cnt.chained++;
}

/* Find or make the block at v->rip; false with (stop) set when the guest
 * takes a fetch fault or the RIP is outside the layout. */
static bool block_get(struct bt_vcpu *v, struct bt_block **out,
		      struct bt_stop *stop)
{
	struct bt_xlate_env env = { .mem = v->mem, .wctx = v->sh->ctx,
				    .ctx = &v->ctx };
	struct walk_result res;
	uint32_t pf_error;
	uint64_t cr2, key;
	struct bt_fetch_tlb *ft;

	env.wctx.cpl = v->cpl;
	env.no_loops = v->exact;
	env.native_rdtsc = v->st.tsc_offset == 0 &&
			   !(v->sh->ctx.cr4 & X86_CR4_TSD);
	/* CPL 1 and 2 (unused by the guest) share no lookup table with CPL0:
	 * their blocks differ (no privileged reads translated) */
	env.ibl = v->cpl == 3 ? (const void *)bt_ibl_lookup3
	        : v->cpl == 0 ? (const void *)bt_ibl_lookup0 : NULL;
	env.layout_trust = v->layout_trust;
	env.mmio = &v->mmio;
	if (!bt_window_gva_ok(v->rip)) {
		/* no window offset for it: the monitor runs it (a
		 * non-canonical RIP faults there as in interp) */
		stop->kind = BT_STOP_MONITOR;
		stop->cause = BT_MON_LAYOUT;
		v->cnt.monitor_exits++;
		return false;
	}
	key = (v->rip & ~0xfffull) | v->cpl;
	ft = &v->fetch[(v->rip >> 12) & (BT_FETCH_TLB - 1)];
	if (key == ft->key && ft->gen == v->sh->gen) {
		res.gpa = ft->gpa | (v->rip & 0xfff);
	} else {
		if (page_walk(v->mem, &env.wctx, v->rip, WALK_EXEC, &res,
			      &pf_error)) {
			bt_stop_exception(stop, X86_VEC_PF, true, pf_error,
					  v->rip);
			return false;
		}
		ft->key = key;
		ft->gpa = res.gpa & ~0xfffull;
		ft->gen = v->sh->gen;
	}
	if (!guest_mem_contains(v->mem, res.gpa, 1)) {
		stop->kind = BT_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "bt: guest RIP 0x%llx executes device memory at gpa "
			 "0x%llx", (unsigned long long)v->rip,
			 (unsigned long long)res.gpa);
		return false;
	}
	if (v->step_next) {
		/* the store that hit its own code page, alone, unprotected */
		v->step_next = false;
		bt_cache_flush(&v->step);
		env.max_insn = 1;
		switch (bt_translate(&v->step, &env, v->rip, res.gpa, out, &cr2,
				     &pf_error)) {
		case BT_XLATE_OK:
			(*out)->step = true;
			v->cnt.steps++;
			return true;
		case BT_XLATE_FETCH_FAULT:
			bt_stop_exception(stop, X86_VEC_PF, true, pf_error, cr2);
			return false;
		case BT_XLATE_FULL:
			break;
		}
		stop->kind = BT_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "bt: step cache too small for one instruction");
		return false;
	}
	*out = bt_cache_lookup(&v->cache, v->rip, res.gpa, v->cpl);
	if (*out)
		return true;
	for (int tries = 0; tries < 2; tries++) {
		switch (bt_translate(&v->cache, &env, v->rip, res.gpa, out,
				     &cr2, &pf_error)) {
		case BT_XLATE_OK:
			v->cnt.translations++;
			if (bt_shadow_code_protect(v->sh, (*out)->gpa) ||
			    ((*out)->gpa2 != BT_NO_PAGE &&
			     bt_shadow_code_protect(v->sh, (*out)->gpa2))) {
				stop->kind = BT_STOP_ERROR;
				snprintf(stop->message, sizeof(stop->message),
					 "bt: write-protecting code page 0x%llx "
					 "failed", (unsigned long long)res.gpa);
				return false;
			}
			return true;
		case BT_XLATE_FETCH_FAULT:
			bt_stop_exception(stop, X86_VEC_PF, true, pf_error, cr2);
			return false;
		case BT_XLATE_FULL:
			bt_cache_flush(&v->cache);
			bt_mmio_clear(&v->mmio);
			/* their stubs and sites are gone with the code */
			v->nxchain = 0;
			v->nrsite = 0;
			ibl_check(v, true);
			break;
		}
	}
	stop->kind = BT_STOP_ERROR;
	snprintf(stop->message, sizeof(stop->message),
		 "bt: code cache too small for one block");
	return false;
}

/* Drop the translations on the page of (gpa) and let writes through. */
static void code_page_drop(struct bt_vcpu *v, uint64_t gpa)
{
	v->cnt.blocks_invalidated += bt_cache_invalidate_page(&v->cache, gpa);
	bt_mmio_page_drop(&v->mmio, gpa);	/* its code may be new */
	bt_shadow_code_release(v->sh, gpa);
	ibl_check(v, true);
	if (v->code_drop_hook)
		v->code_drop_hook(v->code_drop_opaque, gpa & ~0xfffull);
}

/* The instruction at (stop->rip) in (b) touched MMIO: record it and drop
 * its page's blocks, so it is translated as a monitor exit from now on
 * (bt_mmio.h). The page stays write-protected (it still holds code). */
static void mmio_note(struct bt_vcpu *v, const struct bt_block *b,
		      const struct bt_stop *stop)
{
	uint64_t gpa = (b->gpa & ~0xfffull) | (stop->rip & 0xfff);

	bt_mmio_add(&v->mmio, gpa, b->cpl);
	v->cnt.blocks_invalidated += bt_cache_invalidate_page(&v->cache, gpa);
	ibl_check(v, true);
}

/* The control registers translated MOV from CR reads, in both caches. */
static void cr_mirror(struct bt_vcpu *v)
{
	const uint64_t cr[4] = { v->st.cr0, v->st.cr2, v->st.cr3, v->st.cr4 };

	memcpy(v->cache.data + BT_CACHE_CR, cr, sizeof(cr));
	memcpy(v->step.data + BT_CACHE_CR, cr, sizeof(cr));
}

void bt_vcpu_state_get(const struct bt_vcpu *v, struct x86_state *out)
{
	x86_state_copy(out, &v->st);
	memcpy(out->gpr, v->ctx.gpr, sizeof(out->gpr));
	out->rip = v->rip;
	out->rflags = (v->st.rflags & ~BT_HOST_FLAGS) |
		      (v->ctx.rflags & BT_HOST_FLAGS) | X86_RFLAGS_FIXED;
}

int bt_vcpu_state_set(struct bt_vcpu *v, const struct x86_state *in)
{
	const struct walk_ctx *w = &v->sh->ctx;
	int rc = 0;

	if (in->cr0 != w->cr0 || in->cr4 != w->cr4 || in->efer != w->efer)
		rc |= bt_shadow_control_write(v->sh, in->cr0, in->cr4,
					      in->efer);
	if (in->cr3 != w->cr3)
		rc |= bt_shadow_cr3_write(v->sh, in->cr3);
	x86_state_copy(&v->st, in);
	memcpy(v->ctx.gpr, in->gpr, sizeof(v->ctx.gpr));
	v->rip = in->rip;
	v->ctx.rflags = (in->rflags & BT_HOST_FLAGS) | X86_RFLAGS_FIXED;
	/* CPL 1 and 2 access memory as supervisor: the kernel window serves
	 * them (privilege checks use st's CS.DPL) */
	v->cpl = x86_cpl(in);
	cr_mirror(v);
	return rc ? -1 : 0;
}

int bt_vcpu_cr3_write(struct bt_vcpu *v, uint64_t cr3)
{
	v->st.cr3 = cr3;
	cr_mirror(v);
	return bt_shadow_cr3_write(v->sh, cr3);
}

void bt_vcpu_cr2_write(struct bt_vcpu *v, uint64_t cr2)
{
	v->st.cr2 = cr2;
	cr_mirror(v);
}

void bt_vcpu_flush_code(struct bt_vcpu *v)
{
	bt_cache_flush(&v->cache);
	bt_mmio_clear(&v->mmio);
	v->nxchain = 0;
	v->nrsite = 0;
	ibl_check(v, true);
}

void bt_vcpu_note_write(struct bt_vcpu *v, uint64_t gpa, uint64_t len)
{
	for (uint64_t p = gpa & ~0xfffull; len && p < gpa + len; p += 4096)
		if (p < v->mem->size && bt_shadow_is_code(v->sh, p))
			code_page_drop(v, p);
}

/* Consume a kick: the page is writable again before we report it, so a
 * kick racing with this one is either seen next time or lost harmlessly
 * (both mean "stop soon", and we are stopping). */
static void kick_ack(struct bt_vcpu *v, struct bt_stop *stop)
{
	v->kicked = 0;
	mprotect(v->cache.data + BT_CACHE_KICK, 4096, PROT_READ);
	mprotect(v->step.data + BT_CACHE_KICK, 4096, PROT_READ);
	v->cnt.kicks++;
	stop->kind = BT_STOP_KICK;
}

/* A monitor instruction the dispatcher may do itself (bt_fast.h): true
 * when done; an INVLPG or MOV to CR3 whose shadow update failed sets
 * (stop) to BT_STOP_ERROR. */
static bool fast(struct bt_vcpu *v, unsigned kind, unsigned len,
		 const struct bt_fast_mem *mem, struct bt_stop *stop)
{
	if (!bt_fast_run(v, kind, len, mem))
		return false;
	if (v->fast_failed) {
		v->fast_failed = false;
		stop->kind = BT_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "bt: %s: a shadow update failed (host mmap)",
			 kind == BT_FAST_INVLPG ? "INVLPG" : "MOV to CR3");
		return false;
	}
	/* translations may have changed (INVLPG, CR3; a frame written to a
	 * traced page table or to code) */
	if (kind >= BT_FAST_INVLPG)
		ibl_check(v, false);
	return true;
}

/*
 * Does the guest check alignment (SDM 6.15, #AC: CPL3 with CR0.AM and
 * RFLAGS.AC)? Translated code runs with host AC clear and checks none, so
 * the monitor (exact) runs such a guest. Each of the three changes only
 * in the monitor (POPF, IRET, SYSRET, MOV to CR0, a delivery) or in the
 * dispatcher's fast SYSRET, so a test before every block suffices.
 */
static bool align_checked(const struct bt_vcpu *v)
{
	return v->cpl == 3 && (v->st.rflags & X86_RFLAGS_AC) &&
	       (v->st.cr0 & X86_CR0_AM);
}

void bt_exec_run(struct bt_vcpu *v, uint64_t max_blocks, struct bt_stop *stop)
{
	uint64_t gs_now = bt_gs_get(), gs_want;
	struct bt_exit_rec *from = NULL;
	struct bt_ret_site *site = NULL;
	uint64_t flushes = v->cache.st.flushes;
	bool looked_up = false;

	memset(stop, 0, sizeof(*stop));
	bt_ibl_miss0.kind = bt_ibl_miss3.kind = BT_EXIT_INDIRECT;
	bt_ibl_ctx = &v->ctx;
	bt_ibl_table0 = v->ibl[0];
	bt_ibl_table3 = v->ibl[1];
	/* the hook is process-wide: claim it for this vCPU's run (with no
	 * vCPU running it passes everything on) */
	bt_fault_escape_set(bt_exec_escape_fault, NULL);
	ibl_check(v, false);
	for (uint64_t n = 0;; n++) {
		struct bt_block *b;
		struct bt_exit_rec *rec;

		if (v->kicked) {
			kick_ack(v, stop);
			break;
		}
		if (max_blocks && n == max_blocks) {
			stop->kind = BT_STOP_LIMIT;
			break;
		}
		if (align_checked(v)) {
			stop->kind = BT_STOP_MONITOR;
			stop->cause = BT_MON_ALIGN;
			v->cnt.monitor_exits++;
			break;
		}
		if (!block_get(v, &b, stop))
			break;
		/* a flush during block_get freed (from) */
		if (from && v->cache.st.flushes == flushes)
			chain_try(v, from, b);
		if (looked_up)
			ibl_fill(v, b);
		if (site && v->cache.st.flushes == flushes)
			ret_site_fill(v, site, b);
		flushes = v->cache.st.flushes;
		from = NULL;
		site = NULL;
		looked_up = false;
		if (b->monitor_only) {
			if (b->fast && fast(v, b->fast, b->fast_len, &b->mem,
					    stop))
				continue;
			if (stop->kind == BT_STOP_ERROR)
				break;
			stop->kind = BT_STOP_MONITOR;
			stop->cause = b->monitor_cause;
			v->cnt.monitor_exits++;
			break;
		}
		if (v->icount_stop && v->ctx.icount + b->ninsn > v->icount_stop) {
			stop->kind = BT_STOP_LIMIT;
			break;
		}
		v->ctx.rflags = (v->ctx.rflags & BT_HOST_FLAGS) |
				X86_RFLAGS_FIXED;
		v->ctx.entry = (uint64_t)(uintptr_t)b->code;
		gs_want = bt_shadow_gs_base(v->sh, v->cpl == 3 ? BT_SPACE_USER
							       : BT_SPACE_KERNEL);
		if (gs_want != gs_now) {	/* WRGSBASE, or a syscall */
			bt_gs_set(gs_want);
			gs_now = gs_want;
		}
		if (bt_shadow_sync(v->sh, v->cpl == 3 ? BT_SPACE_USER
						      : BT_SPACE_KERNEL) ||
		    (v->sh->pf_pending && v->cpl == 3 &&
		     bt_shadow_prefetch(v->sh))) {
			stop->kind = BT_STOP_ERROR;
			snprintf(stop->message, sizeof(stop->message),
				 "bt: shadow sync/prefetch: mmap failed");
			break;
		}
		bt_exec_running = v;
		bt_enter(&v->ctx);
		bt_exec_running = NULL;
		if (v->sh->ptw_open && bt_shadow_pt_write_end(v->sh)) {
			stop->kind = BT_STOP_ERROR;
			snprintf(stop->message, sizeof(stop->message),
				 "bt: re-protecting a page table: mmap failed");
			break;
		}
		ibl_check(v, false);	/* a PT write may have dropped some */
		v->cnt.blocks_run++;
		rec = (struct bt_exit_rec *)(uintptr_t)v->ctx.exit_rec;
		if (rec->kind == BT_EXIT_FAULT) {
			v->ctx.icount -= v->fault_uncount;
			*stop = v->fault_stop;
			v->rip = stop->rip;
			if (stop->kind == BT_STOP_CODE_WRITE) {
				v->cnt.code_writes++;
				code_page_drop(v, stop->gpa);
				looked_up = false;
				v->step_next = true;
				from = NULL;
				memset(stop, 0, sizeof(*stop));
				continue;
			}
			if (stop->kind == BT_STOP_PT_WRITE) {
				v->cnt.pt_writes++;
				/* the store runs alone with the table open;
				 * bt_shadow_pt_write_end() after it */
				v->step_next = true;
				if (bt_shadow_pt_write_begin(v->sh, stop->gpa)) {
					stop->kind = BT_STOP_ERROR;
					snprintf(stop->message,
						 sizeof(stop->message),
						 "bt: dropping shadows of page "
						 "table 0x%llx failed",
						 (unsigned long long)stop->gpa);
					break;
				}
				from = NULL;
				looked_up = false;
				ibl_check(v, false);
				memset(stop, 0, sizeof(*stop));
				continue;
			}
			if (stop->kind == BT_STOP_KICK)
				kick_ack(v, stop);
			if (stop->kind == BT_STOP_MMIO)
				mmio_note(v, v->fault_rec.block, stop);
			break;
		}
		if (rec->kind == BT_EXIT_RET_FILL) {
			v->cnt.indirect_exits++;
			v->rip = v->ctx.target;
			site = rec->site;
			continue;
		}
		if (rec->kind == BT_EXIT_INDIRECT) {
			v->cnt.indirect_exits++;
			v->rip = v->ctx.target;
			looked_up = rec == &bt_ibl_miss0 || rec == &bt_ibl_miss3;
			v->cnt.ibl_misses += looked_up;
			continue;
		}
		v->rip = rec->target;
		if (rec->kind == BT_EXIT_MONITOR) {
			/* a layout check's exit inside the block: the
			 * prologue counted the rest too */
			v->ctx.icount -= rec->block->ninsn - rec->ninsn;
			if (rec->fast && fast(v, rec->fast, rec->fast_len,
					      &rec->mem, stop))
				continue;
			if (stop->kind == BT_STOP_ERROR)
				break;
			stop->kind = BT_STOP_MONITOR;
			stop->cause = rec->cause;
			v->cnt.monitor_exits++;
			break;
		}
		v->cnt.branch_exits++;
		from = rec;
	}
	/* a PT-write store abandoned before it ran: close its table */
	if (v->sh->ptw_open && bt_shadow_pt_write_end(v->sh) &&
	    stop->kind != BT_STOP_ERROR) {
		stop->kind = BT_STOP_ERROR;
		snprintf(stop->message, sizeof(stop->message),
			 "bt: re-protecting a page table: mmap failed");
	}
	/* the GS base stays at the window: host code does not use GS, and
	 * the next run most likely wants the same one */
	stop->rip = v->rip;
	if (stop->kind == BT_STOP_EXCEPTION && stop->vector < 32)
		v->cnt.exceptions[stop->vector]++;
	if (stop->kind == BT_STOP_MMIO)
		v->cnt.mmio_stops++;
}
