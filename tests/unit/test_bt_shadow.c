/*
 * Unit tests for engines/bt/bt_shadow.c (vtlb policy): guest page tables
 * are built by hand in guest RAM, then accessed through the windows with
 * %gs and a 32-bit address, as translated code would. The fault callback
 * here is what the engine's will be: a fill resumes, anything else skips
 * the instruction and records the outcome. Checked: hidden fills, A/D
 * bits, read-only until dirty, guest #PF error codes and CR2, user vs
 * kernel windows, CR0.WP, MMIO pages, INVLPG, CR3 writes with and without
 * global pages, the counters; for trace: spaces kept across CR3 switches
 * and guest PTE writes trapped, with the shadow following them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>

#include "bt/bt_fault.h"
#include "bt/bt_gs.h"
#include "bt/bt_shadow.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "support/guest_pt.h"

#define RAM (16ull << 20)
#define SKIPPED 0x5eed5eed5eed5eedull

#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A 0x20ull
#define D 0x40ull
#define G 0x100ull

#define CR3_A 0x100000ull	/* address space A: tables from here */
#define CR3_B 0x180000ull	/* address space B */
#define KVA 0xffffffff80300000ull

struct fixture {
	struct guest_mem mem;
	struct bt_shadow sh;
	uint64_t next_table;	/* bump allocator for page tables */
	uint64_t old_gs;
	unsigned fills, others;
	enum bt_shadow_result last;
	struct bt_shadow_fill fill;
	struct bt_shadow sh2;	/* a second shadow (trace tests) */
	bool use2;		/* the callback and accessors use sh2 */
	bool precise;		/* PT writes: carried out and skipped, as the
				 * engine's fault handler does */
	bool open_step;		/* PT writes: opened and run again, as the
				 * engine does for other stores */
	char err[256];
};

static struct bt_shadow *cur_sh(struct fixture *f)
{
	return f->use2 ? &f->sh2 : &f->sh;
}

static uint64_t *pte_slot(struct fixture *f, uint64_t cr3, uint64_t va)
{
	uint64_t *e = guest_pt_slot(&f->mem, &f->next_table, cr3, va);

	assert_non_null(e);
	return e;
}

static void map4k(struct fixture *f, uint64_t cr3, uint64_t va, uint64_t gpa,
		  uint64_t flags)
{
	*pte_slot(f, cr3, va) = gpa | flags;
}

static void context_skip(ucontext_t *uc)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction insn;
	greg_t *g = uc->uc_mcontext.gregs;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(
		    &dec, NULL, (void *)g[REG_RIP], 15, &insn)))
		abort();
	g[REG_RIP] += insn.length;
	g[REG_RAX] = (greg_t)SKIPPED;
}

static enum bt_fault_action shadow_cb(void *opaque, struct bt_fault *fa)
{
	struct fixture *f = opaque;
	struct bt_shadow *sh = cur_sh(f);
	enum bt_space space;
	unsigned as;

	if (!bt_shadow_window_find(sh, fa->w, &as, &space) ||
	    &sh->as[as] != sh->cur)
		return BT_FAULT_UNHANDLED;
	f->last = bt_shadow_fault(sh, space, fa->off, fa->write, &f->fill);
	if (f->last == BT_SHADOW_FILLED) {
		f->fills++;
		return BT_FAULT_RESUME;
	}
	if (f->last == BT_SHADOW_PT_WRITE && f->precise) {
		/* what the engine's handler does with a plain store */
		struct bt_fault_store st;

		if (!bt_fault_store_decode(fa, &st) || st.off != fa->off ||
		    bt_shadow_pt_store(sh, f->fill.gpa, st.value, st.size))
			return BT_FAULT_UNHANDLED;
		fa->uc->uc_mcontext.gregs[REG_RIP] += st.len;
		return BT_FAULT_RESUME;
	}
	if (f->last == BT_SHADOW_PT_WRITE && f->open_step)
		return bt_shadow_pt_write_begin(sh, f->fill.gpa)
			       ? BT_FAULT_UNHANDLED : BT_FAULT_RESUME;
	if (f->last == BT_SHADOW_PT_WRITE) {
		/* the monitor's way: drop, untrace, run the store again */
		return bt_shadow_pt_write(sh, f->fill.gpa) ? BT_FAULT_UNHANDLED
							   : BT_FAULT_RESUME;
	}
	if (f->last == BT_SHADOW_ERROR)
		return BT_FAULT_UNHANDLED;
	f->others++;
	context_skip(fa->uc);
	return BT_FAULT_REDIRECTED;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct walk_ctx ctx = {
		.cr3 = CR3_A,
		.cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr4 = X86_CR4_PAE | X86_CR4_PGE,
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
	};
	char err[256];

	if (!f || guest_mem_create(&f->mem, RAM, false, err, sizeof(err)))
		return -1;
	f->next_table = 0x110000;
	/* space A: user RW (clean), user RO, kernel global RW, MMIO */
	map4k(f, CR3_A, 0x400000, 0x200000, P | RW | US);
	map4k(f, CR3_A, 0x401000, 0x201000, P | US);
	map4k(f, CR3_A, KVA, 0x300000, P | RW | G);
	map4k(f, CR3_A, 0x403000, 0xc0000000ull, P | RW | US);
	/* space B: the same user VA on another page, same kernel page */
	f->next_table = 0x190000;
	map4k(f, CR3_B, 0x400000, 0x202000, P | RW | US | A | D);
	map4k(f, CR3_B, KVA, 0x300000, P | RW | G);
	memset(f->mem.host + 0x200000, 0x11, 0x1000);
	memset(f->mem.host + 0x201000, 0x22, 0x1000);
	memset(f->mem.host + 0x202000, 0x33, 0x1000);
	memset(f->mem.host + 0x300000, 0x44, 0x1000);
	if (bt_shadow_create(&f->sh, &f->mem, BT_SHADOW_VTLB, &ctx, err,
			     sizeof(err)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bt_shadow_destroy(&f->sh);
	if (f->use2)
		bt_shadow_destroy(&f->sh2);
	guest_mem_destroy(&f->mem);
	free(f);
	return 0;
}

/* Install the handler in the test body (cmocka replaces it around bodies). */
static void arm(struct fixture *f)
{
	char err[256];

	assert_int_equal(bt_fault_install(err, sizeof(err)), 0);
	for (int s = 0; s < BT_SPACE_NR; s++)
		assert_int_equal(bt_fault_window_add(&f->sh.win[s], shadow_cb, f),
				 0);
	f->old_gs = bt_gs_get();
}

static void windows_remove(struct bt_shadow *sh)
{
	for (unsigned a = 0; a < sh->nas; a++)
		for (int s = 0; s < BT_SPACE_NR; s++)
			bt_fault_window_remove(&sh->as[a].win[s]);
}

/* Route the faults of sh2's windows instead of sh's. */
static void rearm(struct fixture *f)
{
	windows_remove(&f->sh);
	for (unsigned a = 0; a < f->sh2.nas; a++)
		for (int s = 0; s < BT_SPACE_NR; s++)
			assert_int_equal(bt_fault_window_add(&f->sh2.as[a].win[s],
							     shadow_cb, f), 0);
}

static void disarm(struct fixture *f)
{
	bt_gs_set(f->old_gs);
	windows_remove(&f->sh);
	if (f->use2)
		windows_remove(&f->sh2);
	bt_fault_uninstall();
}

static uint64_t load(struct fixture *f, enum bt_space s, uint64_t gva)
{
	uint64_t v;

	assert_int_equal(bt_shadow_sync(cur_sh(f), s), 0); /* a vCPU entry */
	bt_gs_set(bt_shadow_gs_base(cur_sh(f), s));
	__asm__ volatile("movq %%gs:(%k1), %0" : "=a"(v) : "r"(gva) : "memory");
	return v;
}

static uint64_t store(struct fixture *f, enum bt_space s, uint64_t gva,
		      uint64_t v)
{
	assert_int_equal(bt_shadow_sync(cur_sh(f), s), 0); /* a vCPU entry */
	bt_gs_set(bt_shadow_gs_base(cur_sh(f), s));
	__asm__ volatile("movq %%rax, %%gs:(%k1)" : "+a"(v) : "r"(gva) : "memory");
	return v;
}

static void test_hidden_fill_and_dirty(void **state)
{
	struct fixture *f = *state;
	uint64_t *pte = pte_slot(f, CR3_A, 0x400000);

	arm(f);
	assert_true(load(f, BT_SPACE_USER, 0x400008) == 0x1111111111111111ull);
	assert_int_equal(f->fills, 1);
	assert_true(*pte & A);
	assert_false(*pte & D);
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER], 0x400000),
			 BT_PAGE_MAPPED | BT_PAGE_USER);
	/* first write to the clean page: faults again, sets D, maps RW */
	assert_true(store(f, BT_SPACE_USER, 0x400010, 5) == 5);
	assert_int_equal(f->fills, 2);
	assert_true(*pte & D);
	assert_true(*(uint64_t *)(f->mem.host + 0x200010) == 5);
	assert_true(store(f, BT_SPACE_USER, 0x400018, 6) == 6);
	assert_int_equal(f->fills, 2);
	assert_true(f->sh.cnt.hidden_faults == 2 && f->sh.cnt.hidden_dirty == 1);
	assert_true(f->sh.cnt.reflected_pf == 0);
	disarm(f);
}

static void expect_pf(struct fixture *f, uint64_t gva, uint32_t err)
{
	assert_int_equal(f->last, BT_SHADOW_GUEST_PF);
	assert_true(f->fill.gva == gva);
	assert_int_equal(f->fill.pf_error, err);
}

static void test_guest_pf(void **state)
{
	struct fixture *f = *state;

	arm(f);
	/* user write to a read-only user page */
	assert_true(store(f, BT_SPACE_USER, 0x401000, 1) == SKIPPED);
	expect_pf(f, 0x401000, X86_PF_P | X86_PF_W | X86_PF_U);
	assert_true(f->mem.host[0x201000] == 0x22);
	/* user read of a supervisor page: CR2 is the full kernel address */
	assert_true(load(f, BT_SPACE_USER, KVA + 8) == SKIPPED);
	expect_pf(f, KVA + 8, X86_PF_P | X86_PF_U);
	/* not present */
	assert_true(load(f, BT_SPACE_USER, 0x402000) == SKIPPED);
	expect_pf(f, 0x402000, X86_PF_U);
	assert_true(store(f, BT_SPACE_KERNEL, 0x7ff000, 1) == SKIPPED);
	expect_pf(f, 0x7ff000, X86_PF_W);
	/* kernel write to the read-only user page with CR0.WP=1 */
	assert_true(store(f, BT_SPACE_KERNEL, 0x401000, 1) == SKIPPED);
	expect_pf(f, 0x401000, X86_PF_P | X86_PF_W);
	assert_true(f->sh.cnt.reflected_pf == 5 && f->sh.cnt.hidden_faults == 0);
	/* a faulting walk leaves the guest's A bits alone */
	assert_false(*pte_slot(f, CR3_A, 0x401000) & A);
	disarm(f);
}

static void test_kernel_window(void **state)
{
	struct fixture *f = *state;

	arm(f);
	assert_true(load(f, BT_SPACE_KERNEL, KVA) == 0x4444444444444444ull);
	assert_true(load(f, BT_SPACE_KERNEL, 0x400000) == 0x1111111111111111ull);
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_KERNEL],
					 (uint32_t)KVA),
			 BT_PAGE_MAPPED | BT_PAGE_GLOBAL);
	/* the user window stays empty: windows are per privilege */
	assert_int_equal(f->sh.win[BT_SPACE_USER].nmapped, 0);
	/* CR0.WP=0: the kernel may write the read-only user page */
	assert_int_equal(bt_shadow_control_write(&f->sh, X86_CR0_PG | X86_CR0_PE,
						 f->sh.ctx.cr4, f->sh.ctx.efer),
			 0);
	assert_int_equal(f->sh.win[BT_SPACE_KERNEL].nmapped, 0); /* dropped */
	assert_true(store(f, BT_SPACE_KERNEL, 0x401000, 9) == 9);
	assert_int_equal(f->mem.host[0x201000], 9);
	disarm(f);
}

static void test_mmio(void **state)
{
	struct fixture *f = *state;

	arm(f);
	assert_true(store(f, BT_SPACE_USER, 0x403010, 1) == SKIPPED);
	assert_int_equal(f->last, BT_SHADOW_MMIO);
	assert_true(f->fill.gpa == 0xc0000010ull && f->fill.gva == 0x403010);
	assert_true(f->sh.cnt.mmio_faults == 1);
	disarm(f);
}

static void test_invlpg(void **state)
{
	struct fixture *f = *state;
	uint64_t *pte = pte_slot(f, CR3_A, 0x400000);

	arm(f);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x1111111111111111ull);
	assert_true(load(f, BT_SPACE_KERNEL, 0x400000) == 0x1111111111111111ull);
	/* the guest remaps the page: stale until INVLPG, like a TLB */
	*pte = 0x201000 | P | US;
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x1111111111111111ull);
	assert_int_equal(bt_shadow_invlpg(&f->sh, 0x400123), 0);
	assert_true(f->sh.cnt.invalidations == 2);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x2222222222222222ull);
	assert_true(load(f, BT_SPACE_KERNEL, 0x400000) == 0x2222222222222222ull);
	/* out-of-layout addresses were never filled: nothing to drop */
	assert_int_equal(bt_shadow_invlpg(&f->sh, 0x100400000ull), 0);
	assert_true(f->sh.cnt.invalidations == 2);
	disarm(f);
}

static void test_cr3_switch(void **state)
{
	struct fixture *f = *state;

	arm(f);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x1111111111111111ull);
	assert_true(load(f, BT_SPACE_KERNEL, KVA) == 0x4444444444444444ull);
	assert_int_equal(bt_shadow_cr3_write(&f->sh, CR3_B), 0);
	/* the global kernel page survives (CR4.PGE), the user page does not */
	assert_int_equal(f->sh.win[BT_SPACE_KERNEL].nmapped, 1);
	assert_int_equal(f->sh.win[BT_SPACE_USER].nmapped, 0);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x3333333333333333ull);
	/* B's PTE was already dirty: the first fill maps it writable */
	assert_true(store(f, BT_SPACE_USER, 0x400000, 3) == 3);
	assert_int_equal(f->fills, 3);
	/* without PGE a CR3 write drops everything */
	assert_int_equal(bt_shadow_control_write(&f->sh, f->sh.ctx.cr0,
						 X86_CR4_PAE, f->sh.ctx.efer),
			 0);
	assert_true(load(f, BT_SPACE_KERNEL, KVA) == 0x4444444444444444ull);
	assert_int_equal(bt_shadow_cr3_write(&f->sh, CR3_A), 0);
	assert_int_equal(f->sh.win[BT_SPACE_KERNEL].nmapped, 0);
	assert_true(f->sh.cnt.cr3_flushes == 2);
	disarm(f);
}

/* Fault-around maps the neighbours whose A (and D, for writing) the
 * guest has already set, and nothing else. */
static void test_fault_around(void **state)
{
	struct fixture *f = *state;
	const uint64_t va = 0x800000, gpa = 0x400000;

	for (unsigned i = 0; i < 16; i++)
		map4k(f, CR3_A, va + i * 0x1000ull, gpa + i * 0x1000ull,
		      P | RW | US | A | (i < 8 ? D : 0));
	*pte_slot(f, CR3_A, va + 0x5000) &= ~A;	/* never accessed */
	arm(f);
	assert_true(load(f, BT_SPACE_USER, va) == 0);
	assert_int_equal(f->fills, 1);
	assert_true(f->sh.cnt.around_pages == 14);
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER], 0x801000),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE | BT_PAGE_USER);
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER], 0x809000),
			 BT_PAGE_MAPPED | BT_PAGE_USER);	/* clean: read-only */
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER], 0x805000), 0);
	/* the guest-visible bits are untouched by the neighbours' mapping */
	assert_false(*pte_slot(f, CR3_A, va + 0x5000) & A);
	assert_false(*pte_slot(f, CR3_A, va + 0x9000) & D);
	/* a neighbour is really there: no further fault */
	*(uint64_t *)(f->mem.host + gpa + 0x3008) = 99;
	assert_true(load(f, BT_SPACE_USER, va + 0x3008) == 99);
	assert_int_equal(f->fills, 1);
	disarm(f);
}

/*
 * A trapped PTE write that restricted the entry of (off) marked its
 * shadow in (w) for dropping (translated code that is already running
 * may still use it, like a cached translation) and the next vCPU entry
 * (sync) of that privilege unmaps it.
 */
static void assert_dropped(struct fixture *f, struct bt_window *w,
			   enum bt_space s, uint32_t off)
{
	assert_int_equal(bt_window_state(w, off) & (BT_PAGE_MAPPED | BT_PAGE_DROP),
			 BT_PAGE_MAPPED | BT_PAGE_DROP);
	assert_true(cur_sh(f)->drop_pending[s]);
	assert_int_equal(bt_shadow_sync(cur_sh(f), s), 0);
	assert_false(bt_window_state(w, off) & BT_PAGE_MAPPED);
}

/* INVLPG only marks; the unmap happens at the next entry (sync) of the
 * privilege whose window holds the page, for a whole stretch at once. */
static void test_invlpg_deferred(void **state)
{
	struct fixture *f = *state;
	const uint64_t va = 0xe00000, gpa = 0x700000;
	struct bt_window *uw = &f->sh.win[BT_SPACE_USER];

	for (unsigned i = 0; i < 8; i++)
		map4k(f, CR3_A, va + i * 0x1000ull, gpa + i * 0x1000ull,
		      P | RW | US | A | D);
	arm(f);
	assert_true(load(f, BT_SPACE_USER, va) == 0);
	assert_true(load(f, BT_SPACE_KERNEL, va) == 0);
	assert_int_equal(f->fills, 2);
	uint32_t runs = uw->runs;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(bt_shadow_invlpg(&f->sh, va + i * 0x1000ull), 0);
	assert_true(f->sh.cnt.invalidations == 16);
	assert_true(bt_window_state(uw, va + 0x3000) & BT_PAGE_DROP);
	assert_true(f->sh.drop_pending[BT_SPACE_USER] &&
		    f->sh.drop_pending[BT_SPACE_KERNEL]);
	assert_int_equal(bt_shadow_sync(&f->sh, BT_SPACE_USER), 0);
	assert_false(f->sh.drop_pending[BT_SPACE_USER]);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(bt_window_state(uw, va + i * 0x1000u), 0);
	assert_int_equal(uw->runs, runs - 1);
	assert_true(bt_window_state(&f->sh.win[BT_SPACE_KERNEL], va) &
		    BT_PAGE_DROP);
	/* the guest remapped the pages: both windows see the new frame */
	*pte_slot(f, CR3_A, va) = 0x200000 | P | RW | US | A | D;
	assert_true(load(f, BT_SPACE_USER, va) == 0x1111111111111111ull);
	assert_true(load(f, BT_SPACE_KERNEL, va) == 0x1111111111111111ull);
	assert_false(f->sh.drop_pending[BT_SPACE_KERNEL]);
	disarm(f);
}

/* With the group at a whole leaf table, one fault maps every page of the
 * table the guest has used (A set), in one run when RAM is contiguous. */
static void test_fault_around_table(void **state)
{
	struct fixture *f = *state;
	const uint64_t va = 0xa00000, gpa = 0x500000;

	for (unsigned i = 0; i < 512; i++)
		map4k(f, CR3_A, va + i * 0x1000ull, gpa + i * 0x1000ull,
		      P | RW | US | (i % 100 == 7 ? 0 : A | D));
	f->sh.around_n = 512;
	arm(f);
	assert_true(load(f, BT_SPACE_USER, va + 0x100000) == 0);
	assert_int_equal(f->fills, 1);
	assert_true(f->sh.cnt.around_pages == 511 - 6);
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER],
					 va + 0x1ff000),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE | BT_PAGE_USER);
	for (unsigned i = 7; i < 512; i += 100) {
		assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER],
						 va + i * 0x1000u), 0);
		assert_false(*pte_slot(f, CR3_A, va + i * 0x1000ull) & A);
	}
	/* populated and writable: stores go through with no fault */
	for (unsigned i = 0; i < 512; i += 33)
		if (i % 100 != 7)
			store(f, BT_SPACE_USER, va + i * 0x1000ull, i);
	assert_int_equal(f->fills, 1);
	assert_true(*(uint64_t *)(f->mem.host + gpa + 33 * 0x1000) == 33);
	disarm(f);
}

/* After a user #PF, the page the guest kernel installs with A (and D) set
 * is mapped before the retried access; one without A is left alone, and
 * guest memory never changes. */
static void test_prefetch(void **state)
{
	struct fixture *f = *state;
	const uint64_t va = 0xc00000, gpa = 0x600000;
	uint64_t *pte;

	map4k(f, CR3_A, va, 0, 0);		/* table, not-present PTE */
	map4k(f, CR3_A, va + 0x1000, 0, 0);
	pte = pte_slot(f, CR3_A, va);
	/* table entries with A, as the guest kernel makes them */
	for (uint64_t t = CR3_A, level = 4; level > 1; level--) {
		uint64_t *e = (uint64_t *)(f->mem.host + t) +
			      ((va >> (12 + 9 * (level - 1))) & 511);

		*e |= A;
		t = *e & 0x000ffffffffff000ull;
	}
	arm(f);
	store(f, BT_SPACE_USER, va + 8, 1);
	expect_pf(f, va + 8, 0x6);
	assert_true(f->sh.pf_pending && f->sh.pf_gva == va + 8);
	/* the "kernel" installs the page, as ours does: A and D set */
	*pte = gpa | P | RW | US | A | D;
	assert_int_equal(bt_shadow_prefetch(&f->sh), 0);
	assert_false(f->sh.pf_pending);
	assert_true(f->sh.cnt.prefetches == 1);
	assert_true(*pte == (gpa | P | RW | US | A | D));
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER], va),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE | BT_PAGE_USER);
	assert_true(store(f, BT_SPACE_USER, va + 8, 7) == 7);
	assert_int_equal(f->fills, 0);	/* no hidden fault at all */
	assert_true(*(uint64_t *)(f->mem.host + gpa + 8) == 7);
	/* installed without A: the prefetch must not set it */
	pte = pte_slot(f, CR3_A, va + 0x1000);
	load(f, BT_SPACE_USER, va + 0x1000);
	assert_true(f->sh.pf_pending);
	*pte = (gpa + 0x1000) | P | RW | US;
	assert_int_equal(bt_shadow_prefetch(&f->sh), 0);
	assert_true(*pte == ((gpa + 0x1000) | P | RW | US));
	assert_int_equal(bt_window_state(&f->sh.win[BT_SPACE_USER],
					 va + 0x1000), 0);
	assert_true(f->sh.cnt.prefetches == 1);
	/* a CR3 write forgets a pending #PF */
	*pte = 0;
	load(f, BT_SPACE_USER, va + 0x1000);
	assert_true(f->sh.pf_pending);
	assert_int_equal(bt_shadow_cr3_write(&f->sh, CR3_A), 0);
	assert_false(f->sh.pf_pending);
	disarm(f);
}

/* Past max_mapped runs every shadow is dropped and refilled on demand;
 * contiguous guest memory is one run however large. */
static void test_capacity(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < 12; i++) {
		/* scattered RAM: a run per page */
		map4k(f, CR3_A, 0x900000 + i * 0x1000ull, 0x500000 + i * 0x2000ull,
		      P | RW | US);
		/* contiguous RAM: one run for all */
		map4k(f, CR3_A, 0xa00000 + i * 0x1000ull, 0x600000 + i * 0x1000ull,
		      P | RW | US);
	}
	f->sh.max_mapped = 8;
	f->sh.around = false;
	arm(f);
	for (unsigned i = 0; i < 12; i++)
		assert_true(load(f, BT_SPACE_USER, 0x900000 + i * 0x1000ull) == 0);
	assert_true(f->sh.cnt.capacity_flushes == 1);
	assert_true(f->sh.win[BT_SPACE_USER].nmapped == 4);
	assert_int_equal(f->fills, 12);
	bt_shadow_flush(&f->sh);
	for (unsigned i = 0; i < 12; i++)
		assert_true(load(f, BT_SPACE_USER, 0xa00000 + i * 0x1000ull) == 0);
	assert_true(f->sh.cnt.capacity_flushes == 1);
	assert_int_equal(f->sh.win[BT_SPACE_USER].runs, 1);
	disarm(f);
}

/* trace: a seventh CR3 recycles the least recently used space. */
static void test_trace_recycle(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bt_shadow_create(&f->sh2, &f->mem, BT_SHADOW_TRACE,
					  &f->sh.ctx, f->err, sizeof(f->err)), 0);
	f->use2 = true;
	for (unsigned i = 1; i <= BT_SHADOW_MAX_AS; i++)
		assert_int_equal(bt_shadow_cr3_write(&f->sh2,
						     CR3_A + i * 0x1000000ull), 0);
	/* CR3_A (used first) was the oldest: it went; the others are kept */
	assert_true(f->sh2.cnt.as_recycled == 1);
	assert_int_equal(bt_shadow_cr3_write(&f->sh2, CR3_A + 0x2000000ull), 0);
	assert_true(f->sh2.cnt.as_switches == 1);
	assert_int_equal(bt_shadow_cr3_write(&f->sh2, CR3_A), 0);
	assert_true(f->sh2.cnt.as_recycled == 2);
}

/* trace: address spaces keep their shadows across CR3 switches. */
static void test_trace_switch(void **state)
{
	struct fixture *f = *state;
	uint64_t gs_a;

	arm(f);
	assert_int_equal(bt_shadow_create(&f->sh2, &f->mem, BT_SHADOW_TRACE,
					  &f->sh.ctx, f->err, sizeof(f->err)), 0);
	f->use2 = true;
	rearm(f);
	gs_a = bt_shadow_gs_base(&f->sh2, BT_SPACE_USER);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x1111111111111111ull);
	assert_int_equal(bt_shadow_cr3_write(&f->sh2, CR3_B), 0);
	assert_true(bt_shadow_gs_base(&f->sh2, BT_SPACE_USER) != gs_a);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x3333333333333333ull);
	assert_int_equal(f->fills, 2);
	assert_int_equal(bt_shadow_cr3_write(&f->sh2, CR3_A), 0);
	assert_true(bt_shadow_gs_base(&f->sh2, BT_SPACE_USER) == gs_a);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x1111111111111111ull);
	assert_int_equal(f->fills, 2);	/* kept: no refill */
	assert_true(f->sh2.cnt.as_switches == 1);
	/* the walk's four tables are traced */
	assert_true(f->sh2.cnt.pt_protects >= 4);
	disarm(f);
}

/* trace: a kernel store to a traced PTE is caught; the shadow follows
 * the new PTE without INVLPG. */
static void test_trace_pt_write(void **state)
{
	struct fixture *f = *state;
	uint64_t *pte = pte_slot(f, CR3_A, 0x400000);
	uint64_t table = (uint64_t)((uint8_t *)pte - f->mem.host) & ~0xfffull;
	uint64_t kva_table = KVA + 0x1000;

	map4k(f, CR3_A, kva_table, table, P | RW);
	arm(f);
	assert_int_equal(bt_shadow_create(&f->sh2, &f->mem, BT_SHADOW_TRACE,
					  &f->sh.ctx, f->err, sizeof(f->err)), 0);
	f->use2 = true;
	rearm(f);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x1111111111111111ull);
	/* the kernel reads the table (maps it read-only: traced) ... */
	assert_true(load(f, BT_SPACE_KERNEL, kva_table + (((uint64_t)pte) & 0xfff))
		    == *pte);
	/* ... and rewrites the PTE: trapped, shadows from the table dropped */
	assert_true(store(f, BT_SPACE_KERNEL, kva_table + (((uint64_t)pte) & 0xfff),
			  0x201000 | P | US) == (0x201000 | P | US));
	assert_true(f->sh2.cnt.pt_writes == 1);
	assert_true(*pte == (0x201000 | P | US));
	/* untraced now: the next write goes straight through */
	assert_true(store(f, BT_SPACE_KERNEL, kva_table + (((uint64_t)pte) & 0xfff),
			  0x202000 | P | US) == (0x202000 | P | US));
	assert_true(f->sh2.cnt.pt_writes == 1);
	/* the shadow follows the latest PTE, and the refill traces again */
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x3333333333333333ull);
	assert_true(store(f, BT_SPACE_KERNEL, kva_table + (((uint64_t)pte) & 0xfff),
			  0x200000 | P | US) == (0x200000 | P | US));
	assert_true(f->sh2.cnt.pt_writes == 2);
	assert_true(load(f, BT_SPACE_USER, 0x400000) == 0x1111111111111111ull);
	disarm(f);
}

/*
 * trace, precise: a trapped PTE store is carried out and only the page of
 * the entry it restricts is dropped, by the next vCPU entry; a more
 * permissive entry drops nothing; the table stays traced; two stores in a
 * row with no fill between untrace it (a rebuild).
 */
static void test_trace_pt_write_precise(void **state)
{
	struct fixture *f = *state;
	uint64_t *pte = pte_slot(f, CR3_A, 0x400000);
	uint64_t table = (uint64_t)((uint8_t *)pte - f->mem.host) & ~0xfffull;
	uint64_t kva_table = KVA + 0x1000, inv;
	uint64_t k0 = kva_table + (((uint64_t)pte) & 0xfff), k1 = k0 + 8;
	uint32_t u0 = 0x400000, u1 = 0x401000, u2 = 0x402000;
	struct bt_window *uw;

	map4k(f, CR3_A, kva_table, table, P | RW);
	map4k(f, CR3_A, u1, 0x201000, P | US | A);
	map4k(f, CR3_A, u2, 0x204000, P | US);
	memset(f->mem.host + 0x204000, 0x66, 0x1000);
	arm(f);
	assert_int_equal(bt_shadow_create(&f->sh2, &f->mem, BT_SHADOW_TRACE,
					  &f->sh.ctx, f->err, sizeof(f->err)), 0);
	f->use2 = true;
	f->precise = true;
	rearm(f);
	uw = &f->sh2.win[BT_SPACE_USER];
	assert_true(load(f, BT_SPACE_USER, u0) == 0x1111111111111111ull);
	assert_true(load(f, BT_SPACE_USER, u1) == 0x2222222222222222ull);
	assert_true(load(f, BT_SPACE_KERNEL, k0) == *pte);
	assert_true(f->sh2.pt_use[table >> 12] != 0);
	inv = f->sh2.cnt.invalidations;
	/* another frame: that page alone goes, the neighbour stays */
	assert_true(store(f, BT_SPACE_KERNEL, k0, 0x202000 | P | US) ==
		    (0x202000 | P | US));
	assert_true(f->sh2.cnt.pt_writes == 1);
	assert_true(*pte == (0x202000 | P | US));
	assert_true(f->sh2.cnt.invalidations == inv + 1);
	assert_true(f->sh2.cnt.pt_deferred == 1);
	assert_dropped(f, uw, BT_SPACE_USER, u0);
	assert_true(bt_window_state(uw, u1) & BT_PAGE_MAPPED);
	assert_true(f->sh2.pt_use[table >> 12] != 0);	/* still traced */
	/* the next access sees the new frame, without INVLPG */
	assert_true(load(f, BT_SPACE_USER, u0) == 0x3333333333333333ull);
	/* more permissive (RW, A): nothing dropped; the shadow (read-only,
	 * as D was clear) is upgraded lazily by the next write fault */
	assert_true(store(f, BT_SPACE_KERNEL, k0, 0x202000 | P | RW | US | A) ==
		    (0x202000 | P | RW | US | A));
	assert_true(f->sh2.cnt.pt_writes == 2);
	assert_true(f->sh2.cnt.invalidations == inv + 1);
	assert_true(bt_window_state(uw, u0) & BT_PAGE_MAPPED);
	assert_true(store(f, BT_SPACE_USER, u0, 0x5555) == 0x5555);
	assert_true(*pte & D);
	/* not present: dropped before the next access, which sees #PF */
	assert_true(store(f, BT_SPACE_KERNEL, k1, 0) == 0);
	assert_true(f->sh2.cnt.pt_writes == 3);
	assert_true(f->sh2.cnt.pt_floods == 0);
	assert_dropped(f, uw, BT_SPACE_USER, u1);
	assert_true(load(f, BT_SPACE_USER, u1) == SKIPPED);
	assert_int_equal(f->last, BT_SHADOW_GUEST_PF);
	assert_true(f->sh2.pt_use[table >> 12] != 0);
	/* a fill through the table (A clear: no fault-around before) ends
	 * the run of stores */
	assert_true(load(f, BT_SPACE_USER, u2) == 0x6666666666666666ull);
	/* D cleared: the writable shadow must go (the next write sets D) */
	assert_true(store(f, BT_SPACE_KERNEL, k0, 0x202000 | P | RW | US | A) ==
		    (0x202000 | P | RW | US | A));
	assert_dropped(f, uw, BT_SPACE_USER, u0);
	assert_true(f->sh2.cnt.pt_writes == 4);
	assert_true(f->sh2.cnt.pt_floods == 0);
	assert_true(f->sh2.pt_use[table >> 12] != 0);
	/* a second store in a row, no fill between: a rebuild, untraced */
	assert_true(store(f, BT_SPACE_KERNEL, k1, 0) == 0);
	assert_true(f->sh2.cnt.pt_floods == 1);
	assert_true(f->sh2.pt_use[table >> 12] == 0);
	disarm(f);
}

/*
 * trace, prefetch-on-write: a trapped store that makes a PTE present (with
 * A, as the guest kernel installs it) maps the page at once, writable when
 * D is set, so the first access takes no hidden fault; guest memory does
 * not change. Made less permissive later, the page is dropped again (no
 * stale shadow): the next write is the guest's #PF. A PTE installed
 * without A is left to fault (mapping it would have to set A).
 */
static void test_trace_pt_prefetch(void **state)
{
	struct fixture *f = *state;
	uint64_t *pte = pte_slot(f, CR3_A, 0x400000);
	uint64_t table = (uint64_t)((uint8_t *)pte - f->mem.host) & ~0xfffull;
	uint64_t kva_table = KVA + 0x1000;
	uint64_t k0 = kva_table + (((uint64_t)pte) & 0xfff);
	uint32_t u0 = 0x400000, u1 = 0x401000, u2 = 0x402000;
	uint32_t u5 = 0x405000, u6 = 0x406000;
	uint64_t *pte5, *pte6;
	struct bt_window *uw;

	map4k(f, CR3_A, kva_table, table, P | RW);
	map4k(f, CR3_A, u2, 0x204000, P | US);
	map4k(f, CR3_A, u5, 0, 0);
	map4k(f, CR3_A, u6, 0, 0);
	pte5 = pte_slot(f, CR3_A, u5);
	pte6 = pte_slot(f, CR3_A, u6);
	memset(f->mem.host + 0x205000, 0x77, 0x1000);
	arm(f);
	assert_int_equal(bt_shadow_create(&f->sh2, &f->mem, BT_SHADOW_TRACE,
					  &f->sh.ctx, f->err, sizeof(f->err)), 0);
	f->use2 = true;
	f->precise = true;
	rearm(f);
	uw = &f->sh2.win[BT_SPACE_USER];
	/* the walk sets A on the upper entries; the table is traced */
	assert_true(load(f, BT_SPACE_USER, u0) == 0x1111111111111111ull);
	assert_true(load(f, BT_SPACE_KERNEL, k0) == *pte);
	unsigned fills = f->fills;
	/* the kernel installs u5: mapped by the trap, writable (D set) */
	assert_true(store(f, BT_SPACE_KERNEL, k0 + 5 * 8,
			  0x205000 | P | RW | US | A | D) ==
		    (0x205000 | P | RW | US | A | D));
	assert_true(f->sh2.cnt.pt_writes == 1);
	assert_true(f->sh2.cnt.pt_prefetches == 1);
	assert_int_equal(f->fills, fills);
	assert_int_equal(bt_window_state(uw, u5),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE | BT_PAGE_USER);
	assert_true(*pte5 == (0x205000 | P | RW | US | A | D));
	assert_true(load(f, BT_SPACE_USER, u5) == 0x7777777777777777ull);
	assert_true(store(f, BT_SPACE_USER, u5 + 8, 5) == 5);
	assert_int_equal(f->fills, fills);	/* no hidden fault at all */
	assert_true(*(uint64_t *)(f->mem.host + 0x205008) == 5);
	/* a fill through the table between (not a rebuild) */
	assert_true(load(f, BT_SPACE_USER, u1) == 0x2222222222222222ull);
	/* made read-only: the prefetched writable shadow must not survive */
	assert_true(store(f, BT_SPACE_KERNEL, k0 + 5 * 8,
			  0x205000 | P | US | A | D) == (0x205000 | P | US | A | D));
	assert_true(f->sh2.cnt.pt_prefetches == 1);
	assert_dropped(f, uw, BT_SPACE_USER, u5);
	assert_true(store(f, BT_SPACE_USER, u5 + 8, 9) == SKIPPED);
	expect_pf(f, u5 + 8, 0x7);
	assert_true(*(uint64_t *)(f->mem.host + 0x205008) == 5);
	assert_true(load(f, BT_SPACE_USER, u5 + 8) == 5);
	/* installed without A: nothing is mapped, A stays clear */
	assert_true(load(f, BT_SPACE_USER, u2) == 0);
	assert_true(store(f, BT_SPACE_KERNEL, k0 + 6 * 8, 0x204000 | P | US) ==
		    (0x204000 | P | US));
	assert_true(f->sh2.cnt.pt_prefetches == 1);
	assert_int_equal(bt_window_state(uw, u6), 0);
	assert_true(*pte6 == (0x204000 | P | US));
	assert_true(f->sh2.cnt.pt_floods == 0);
	disarm(f);
}

/* trace, open-and-step: the store runs with its table open (writable in
 * that window only); closing it re-protects it and drops the restricted
 * entry's page alone. */
static void test_trace_pt_write_open(void **state)
{
	struct fixture *f = *state;
	uint64_t *pte = pte_slot(f, CR3_A, 0x400000);
	uint64_t table = (uint64_t)((uint8_t *)pte - f->mem.host) & ~0xfffull;
	uint64_t kva_table = KVA + 0x1000, inv;
	uint64_t k0 = kva_table + (((uint64_t)pte) & 0xfff);
	uint32_t u0 = 0x400000, u1 = 0x401000;
	struct bt_window *uw, *kw;

	map4k(f, CR3_A, kva_table, table, P | RW);
	map4k(f, CR3_A, u1, 0x201000, P | US | A);
	arm(f);
	assert_int_equal(bt_shadow_create(&f->sh2, &f->mem, BT_SHADOW_TRACE,
					  &f->sh.ctx, f->err, sizeof(f->err)), 0);
	f->use2 = true;
	f->open_step = true;
	rearm(f);
	uw = &f->sh2.win[BT_SPACE_USER];
	kw = &f->sh2.win[BT_SPACE_KERNEL];
	assert_true(load(f, BT_SPACE_USER, u0) == 0x1111111111111111ull);
	assert_true(load(f, BT_SPACE_USER, u1) == 0x2222222222222222ull);
	assert_true(load(f, BT_SPACE_KERNEL, k0) == *pte);
	inv = f->sh2.cnt.invalidations;
	assert_true(store(f, BT_SPACE_KERNEL, k0, 0x202000 | P | US) ==
		    (0x202000 | P | US));
	assert_true(f->sh2.ptw_open);
	assert_true(bt_window_state(kw, (uint32_t)k0) & BT_PAGE_WRITE);
	assert_int_equal(bt_shadow_pt_write_end(&f->sh2), 0);
	assert_false(f->sh2.ptw_open);
	assert_false(bt_window_state(kw, (uint32_t)k0) & BT_PAGE_WRITE);
	assert_true(*pte == (0x202000 | P | US));
	assert_true(f->sh2.cnt.invalidations == inv + 1);
	assert_dropped(f, uw, BT_SPACE_USER, u0);
	assert_true(bt_window_state(uw, u1) & BT_PAGE_MAPPED);
	assert_true(f->sh2.pt_use[table >> 12] != 0);
	assert_true(load(f, BT_SPACE_USER, u0) == 0x3333333333333333ull);
	disarm(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hidden_fill_and_dirty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_pf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invlpg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr3_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_around, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invlpg_deferred, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fault_around_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prefetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_recycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trace_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_pt_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_pt_write_precise, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trace_pt_write_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trace_pt_prefetch, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
