/*
 * Unit tests for engines/machine/page_walk.c. Each test builds its page
 * tables in guest RAM with the tiny builder below, walks, and checks the
 * translation, the #PF error code and the A/D bits left in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "machine/cpuid.h"
#include "machine/guest_mem.h"
#include "machine/page_walk.h"
#include "machine/x86_state.h"

#define RAM (32ull << 20)
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A 0x20ull
#define D 0x40ull
#define PS 0x80ull
#define G 0x100ull
#define XD (1ull << 63)
#define KiB4 0x1000ull
#define MiB2 0x200000ull
#define GiB1 0x40000000ull

struct fx {
	struct guest_mem mem;
	uint64_t next;		/* next free page-table page */
	uint64_t cr3;
	struct walk_ctx ctx;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f || guest_mem_create(&f->mem, RAM, false, err, sizeof(err)))
		return -1;
	f->next = 0x10000;
	f->cr3 = f->next;
	f->next += KiB4;
	f->ctx = (struct walk_ctx){
		.cr3 = f->cr3,
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr4 = X86_CR4_PAE,
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
		.cpl = 0,
	};
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	guest_mem_destroy(&f->mem);
	free(f);
	return 0;
}

static uint64_t *pte_at(struct fx *f, uint64_t gpa)
{
	uint64_t *p = guest_mem_ptr(&f->mem, gpa, 8);

	assert_non_null(p);
	return p;
}

/*
 * Map (va) -> (pa) with a page of (size) (4K, 2M or 1G). Non-leaf entries
 * get (dir_flags), the leaf gets (leaf_flags) (PS added for big pages).
 * Returns the guest-physical address of the leaf entry.
 */
static uint64_t map(struct fx *f, uint64_t va, uint64_t pa, uint64_t size,
		    uint64_t dir_flags, uint64_t leaf_flags)
{
	int leaf_level = size == GiB1 ? 3 : size == MiB2 ? 2 : 1;
	uint64_t table = f->cr3;

	for (int level = 4; level > leaf_level; level--) {
		uint64_t egpa = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
		uint64_t *e = pte_at(f, egpa);

		if (!(*e & P)) {
			*e = f->next | dir_flags;
			f->next += KiB4;
		} else {
			*e |= dir_flags;
		}
		table = *e & 0x000ffffffffff000ull;
	}
	uint64_t egpa = table + ((va >> (12 + 9 * (leaf_level - 1))) & 511) * 8;

	*pte_at(f, egpa) = pa | leaf_flags | (leaf_level > 1 ? PS : 0);
	return egpa;
}

/* The entry gpa at (level) for (va), following the tables. */
static uint64_t entry_gpa(struct fx *f, uint64_t va, int level)
{
	uint64_t table = f->cr3;

	for (int l = 4;; l--) {
		uint64_t egpa = table + ((va >> (12 + 9 * (l - 1))) & 511) * 8;

		if (l == level)
			return egpa;
		table = *pte_at(f, egpa) & 0x000ffffffffff000ull;
	}
}

static int walk(struct fx *f, uint64_t va, enum walk_access acc,
		struct walk_result *r, uint32_t *pfec)
{
	*pfec = 0xdead;
	return page_walk(&f->mem, &f->ctx, va, acc, r, pfec);
}

static void walk_4k_translatesAndSetsAccessed(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0xffffffff80123456ull;
	uint64_t leaf = map(f, va, 0x456000, KiB4, P | RW, P | RW | G);

	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
	assert_int_equal(r.gpa, 0x456456);
	assert_int_equal(r.page_size, KiB4);
	assert_int_equal(r.mem_refs, 4);
	assert_int_equal(r.pte_gpa, leaf);
	assert_true(r.writable);
	assert_false(r.user);
	assert_true(r.executable);
	assert_true(r.global);
	assert_false(r.dirty);
	for (int l = 4; l >= 1; l--) {
		uint64_t e = *pte_at(f, entry_gpa(f, va, l));

		assert_true(e & A);
		assert_false(e & D);
	}
}

static void walk_write_setsDirtyOnLeafOnly(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x400000;

	map(f, va, 0x800000, KiB4, P | RW | US, P | RW | US);
	assert_int_equal(walk(f, va + 8, WALK_WRITE, &r, &pfec), 0);
	assert_true(r.dirty);
	assert_true(*pte_at(f, entry_gpa(f, va, 1)) & D);
	for (int l = 4; l >= 2; l--)
		assert_false(*pte_at(f, entry_gpa(f, va, l)) & D);
}

static void walk_adAlreadySet_entriesUnchanged(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x600000;
	uint64_t leaf = map(f, va, 0x900000, KiB4, P | RW | A, P | RW | A | D);
	uint64_t before = *pte_at(f, leaf);

	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), 0);
	assert_int_equal(*pte_at(f, leaf), before);
	assert_true(r.dirty);
}

static void walk_2m_and_1g_pages(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;

	map(f, 0x40000000, 0x1600000, MiB2, P | RW, P | RW);
	assert_int_equal(walk(f, 0x4012345a, WALK_READ, &r, &pfec), 0);
	assert_int_equal(r.gpa, 0x1600000 + 0x12345a);
	assert_int_equal(r.page_size, MiB2);
	assert_int_equal(r.mem_refs, 3);
	map(f, 0x7f8000000000ull, 0x40000000, GiB1, P | RW, P | RW);
	assert_int_equal(walk(f, 0x7f8012345678ull, WALK_READ, &r, &pfec), 0);
	assert_int_equal(r.gpa, 0x52345678);
	assert_int_equal(r.page_size, GiB1);
	assert_int_equal(r.mem_refs, 2);
}

static void walk_notPresent_eachLevel_noP_noAccessed(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x12345000;

	map(f, va, 0x700000, KiB4, P | RW | US, P | RW | US);
	for (int level = 1; level <= 4; level++) {
		uint64_t *e = pte_at(f, entry_gpa(f, va, level));

		*e &= ~P;
		f->ctx.cpl = 3;
		assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), -1);
		assert_int_equal(pfec, X86_PF_W | X86_PF_U);
		f->ctx.cpl = 0;
		assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
		assert_int_equal(pfec, 0);
		assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), -1);
		assert_int_equal(pfec, X86_PF_I);
		*e |= P;
	}
	for (int level = 1; level <= 4; level++)
		assert_false(*pte_at(f, entry_gpa(f, va, level)) & A);
	/* an empty PML4 slot */
	assert_int_equal(walk(f, 0x500000000000ull, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, 0);
}

static void walk_userSupervisor_combinedOverLevels(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x200000;

	map(f, va, 0xa00000, KiB4, P | RW | US, P | RW | US);
	f->ctx.cpl = 3;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
	assert_true(r.user);
	*pte_at(f, entry_gpa(f, va, 4)) &= ~US; /* supervisor at the top only */
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_U);
	f->ctx.cpl = 0;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
	assert_false(r.user);
	/* implicit supervisor access from CPL3 (e.g. a GDT read) */
	f->ctx.cpl = 3;
	f->ctx.implicit_supervisor = true;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
}

static void walk_readOnly_userAndWp(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x300000;

	map(f, va, 0xb00000, KiB4, P | RW | US, P | US);
	f->ctx.cpl = 3;
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_W | X86_PF_U);
	assert_false(*pte_at(f, entry_gpa(f, va, 1)) & D);
	f->ctx.cpl = 0;
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_W);
	f->ctx.cr0 &= ~X86_CR0_WP; /* supervisor may write read-only pages */
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), 0);
	assert_false(r.writable);
	assert_true(r.dirty);
	/* ...but WP=0 does not help user mode */
	f->ctx.cpl = 3;
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), -1);
	/* R/W clear at a middle level is just as read-only */
	f->ctx.cr0 |= X86_CR0_WP;
	*pte_at(f, entry_gpa(f, va, 1)) |= RW;
	*pte_at(f, entry_gpa(f, va, 3)) &= ~RW;
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_W | X86_PF_U);
}

static void walk_noExecute_withAndWithoutNxe(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x1000000;

	map(f, va, 0xc00000, KiB4, P | RW, P | RW | XD);
	assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_I);
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
	assert_false(r.executable);
	/* XD at a non-leaf level */
	*pte_at(f, entry_gpa(f, va, 1)) &= ~XD;
	*pte_at(f, entry_gpa(f, va, 2)) |= XD;
	assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), -1);
	/* without NXE the XD bit is reserved, and fetches get no I bit */
	f->ctx.efer &= ~X86_EFER_NXE;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_RSVD);
	*pte_at(f, entry_gpa(f, va, 2)) &= ~XD;
	assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), 0);
	assert_true(r.executable);
	*pte_at(f, entry_gpa(f, va, 1)) &= ~P;
	assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), -1);
	assert_int_equal(pfec, 0);
}

static void walk_smep_supervisorFetchFromUserPage(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x1400000;

	map(f, va, 0xd00000, KiB4, P | RW | US, P | RW | US);
	assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), 0);
	f->ctx.cr4 |= X86_CR4_SMEP;
	assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_I);
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
	/* SMEP alone sets I on fetch faults even without NXE */
	f->ctx.efer &= ~X86_EFER_NXE;
	assert_int_equal(walk(f, va, WALK_EXEC, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_I);
}

static void walk_smap_acAndImplicit(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x1800000;

	map(f, va, 0xe00000, KiB4, P | RW | US, P | RW | US);
	f->ctx.cr4 |= X86_CR4_SMAP;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P);
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_W);
	f->ctx.ac = true; /* stac */
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), 0);
	f->ctx.implicit_supervisor = true; /* implicit: AC does not help */
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	f->ctx.cpl = 3;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P); /* supervisor access: no U bit */
	/* plain user access is not affected by SMAP */
	f->ctx.implicit_supervisor = false;
	f->ctx.ac = false;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
	/* supervisor pages are not affected by SMAP */
	f->ctx.cpl = 0;
	*pte_at(f, entry_gpa(f, va, 1)) &= ~US;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
}

static void walk_reservedBits_eachKind(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x2000000, big = 0x80000000, huge = 0x8000000000ull;
	uint64_t *pte, *pde, *pdpte, *pml4e;

	map(f, va, 0xf00000, KiB4, P | RW | US, P | RW | US);
	pte = pte_at(f, entry_gpa(f, va, 1));
	pml4e = pte_at(f, entry_gpa(f, va, 4));
	/* physical address bit above MAXPHYADDR */
	*pte |= 1ull << CPUID_PHYS_ADDR_BITS;
	f->ctx.cpl = 3;
	assert_int_equal(walk(f, va, WALK_WRITE, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_RSVD | X86_PF_W | X86_PF_U);
	*pte &= ~(1ull << CPUID_PHYS_ADDR_BITS);
	*pte |= 1ull << (CPUID_PHYS_ADDR_BITS - 1); /* legal, above RAM */
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), 0);
	assert_int_equal(r.gpa, 0xf00000 | (1ull << (CPUID_PHYS_ADDR_BITS - 1)));
	/* PS in a PML4E */
	*pml4e |= PS;
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_RSVD | X86_PF_U);
	*pml4e &= ~PS;
	/* 2 MiB page with a low address bit set */
	map(f, big, 0x1000000, MiB2, P | RW, P | RW);
	pde = pte_at(f, entry_gpa(f, big, 2));
	f->ctx.cpl = 0;
	*pde |= 1ull << 13;
	assert_int_equal(walk(f, big, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_RSVD);
	/* 1 GiB page with bit 29 set */
	map(f, huge, 0x40000000, GiB1, P | RW, P | RW);
	pdpte = pte_at(f, entry_gpa(f, huge, 3));
	*pdpte |= 1ull << 29;
	assert_int_equal(walk(f, huge, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_RSVD);
	/* reserved bits beat permissions, and nothing was marked accessed */
	assert_false(*pdpte & A);
	/* a not-present entry's other bits are ignored */
	*pdpte = (1ull << 45) | (1ull << 29);
	assert_int_equal(walk(f, huge, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, 0);
}

static void walk_tableOutsideRam_reserved(void **state)
{
	struct fx *f = *state;
	struct walk_result r;
	uint32_t pfec;
	uint64_t va = 0x3000000;

	map(f, va, 0x100000, KiB4, P | RW, P | RW);
	*pte_at(f, entry_gpa(f, va, 2)) =
		0xc0000000 | P | RW; /* PD entry -> table in the MMIO hole */
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_RSVD);
	f->ctx.cr3 = RAM; /* CR3 itself outside RAM */
	assert_int_equal(walk(f, va, WALK_READ, &r, &pfec), -1);
	assert_int_equal(pfec, X86_PF_P | X86_PF_RSVD);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(walk_4k_translatesAndSetsAccessed),
		T(walk_write_setsDirtyOnLeafOnly),
		T(walk_adAlreadySet_entriesUnchanged),
		T(walk_2m_and_1g_pages),
		T(walk_notPresent_eachLevel_noP_noAccessed),
		T(walk_userSupervisor_combinedOverLevels),
		T(walk_readOnly_userAndWp),
		T(walk_noExecute_withAndWithoutNxe),
		T(walk_smep_supervisorFetchFromUserPage),
		T(walk_smap_acAndImplicit),
		T(walk_reservedBits_eachKind),
		T(walk_tableOutsideRam_reserved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
