/*
 * Unit tests for engines/bt/bt_shadow.c (vtlb policy): guest page tables
 * are built by hand in guest RAM, then accessed through the windows with
 * %gs and a 32-bit address, as translated code would. The fault callback
 * here is what the engine's will be: a fill resumes, anything else skips
 * the instruction and records the outcome. Checked: hidden fills, A/D
 * bits, read-only until dirty, guest #PF error codes and CR2, user vs
 * kernel windows, CR0.WP, MMIO pages, INVLPG, CR3 writes with and without
 * global pages, the counters.
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
};

static uint64_t *pte_slot(struct fixture *f, uint64_t cr3, uint64_t va)
{
	uint64_t table = cr3;

	for (int level = 4; level > 1; level--) {
		uint64_t *e = (uint64_t *)(f->mem.host + table) +
			      ((va >> (12 + 9 * (level - 1))) & 511);

		if (!(*e & P)) {
			*e = f->next_table | P | RW | US;
			f->next_table += 0x1000;
		}
		table = *e & 0x000ffffffffff000ull;
	}
	return (uint64_t *)(f->mem.host + table) + ((va >> 12) & 511);
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
	enum bt_space space = fa->w == &f->sh.win[BT_SPACE_USER]
				      ? BT_SPACE_USER : BT_SPACE_KERNEL;

	f->last = bt_shadow_fault(&f->sh, space, fa->off, fa->write, &f->fill);
	if (f->last == BT_SHADOW_FILLED) {
		f->fills++;
		return BT_FAULT_RESUME;
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

static void disarm(struct fixture *f)
{
	bt_gs_set(f->old_gs);
	for (int s = 0; s < BT_SPACE_NR; s++)
		bt_fault_window_remove(&f->sh.win[s]);
	bt_fault_uninstall();
}

static uint64_t load(struct fixture *f, enum bt_space s, uint64_t gva)
{
	uint64_t v;

	bt_gs_set(bt_shadow_gs_base(&f->sh, s));
	__asm__ volatile("movq %%gs:(%k1), %0" : "=a"(v) : "r"(gva) : "memory");
	return v;
}

static uint64_t store(struct fixture *f, enum bt_space s, uint64_t gva,
		      uint64_t v)
{
	bt_gs_set(bt_shadow_gs_base(&f->sh, s));
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

static void test_trace_refused(void **state)
{
	struct fixture *f = *state;
	struct bt_shadow sh;
	char err[256] = "";

	assert_int_equal(bt_shadow_create(&sh, &f->mem, BT_SHADOW_TRACE,
					  &f->sh.ctx, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "trace"));
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
		cmocka_unit_test_setup_teardown(test_trace_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
