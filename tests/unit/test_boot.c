/*
 * Unit tests for engines/machine/boot.c: the boot page tables are walked
 * here by hand (independently of page_walk.c), and every field of the
 * initial state and boot_info is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "machine/boot.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "vmb_abi.h"

#define RAM (32ull << 20)
#define ENTRY (VMB_KERNEL_VBASE + 0x100000)
#define NOT_MAPPED UINT64_MAX

struct fixture {
	struct guest_mem mem;
	struct x86_state st;
};

static const struct boot_params params = {
	.entry = ENTRY,
	.kernel_phys_hi = 0x203001,
	.cmdline = "bench=null_syscall iters=1000",
	.tsc_khz = 2500000,
	.flags = VMB_BOOT_F_PVM_ASSIST,
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f || guest_mem_create(&f->mem, RAM, false, err, sizeof(err)))
		return -1;
	memset(f->mem.host, 0x5a, 0x30000); /* boot must clear what it uses */
	if (boot_build(&f->mem, &params, &f->st, err, sizeof(err)))
		return -1;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	guest_mem_destroy(&f->mem);
	free(f);
	return 0;
}

static uint64_t entry_read(struct guest_mem *mem, uint64_t table, unsigned i)
{
	uint64_t e;

	assert_int_equal(guest_mem_read(mem, table + 8ull * i, &e, 8), 0);
	return e;
}

/* Supervisor-writable 4-level walk of (va); checks each entry's flags. */
static uint64_t translate(struct guest_mem *mem, uint64_t cr3, uint64_t va)
{
	const uint64_t addr_mask = 0x000ffffffffff000ull;
	uint64_t table = cr3 & addr_mask;

	for (int level = 4; level >= 1; level--) {
		unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
		uint64_t e = entry_read(mem, table, idx);

		if (!(e & 1))
			return NOT_MAPPED;
		assert_true(e & 2);		/* writable */
		assert_false(e & 4);		/* supervisor */
		assert_true(e & 0x20);		/* accessed preset */
		assert_false(e >> 63);		/* executable */
		if (level == 2) {
			assert_true(e & 0x80); /* 2 MiB leaf */
			assert_true(e & 0x40); /* dirty preset */
			return (e & 0x000fffffffe00000ull) | (va & 0x1fffff);
		}
		assert_false(e & 0x80);
		table = e & addr_mask;
	}
	return NOT_MAPPED;
}

static void pageTables_identity_first4GiB(void **state)
{
	struct fixture *f = *state;
	const uint64_t vas[] = { 0, 0x1000, 0x1fffff, 0x200000, 0x1234567,
				 RAM - 1, 0x7fffffff, 0x80000000,
				 VMB_MMIO_NULL_BASE + 0x10, 0xfee00000,
				 0xffffffff };

	for (unsigned i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
		assert_int_equal(translate(&f->mem, f->st.cr3, vas[i]), vas[i]);
	assert_int_equal(translate(&f->mem, f->st.cr3, 0x100000000ull),
			 NOT_MAPPED);
	assert_int_equal(translate(&f->mem, f->st.cr3, 0x7fffffffffffull),
			 NOT_MAPPED);
}

static void pageTables_higherHalf_top2GiB(void **state)
{
	struct fixture *f = *state;
	const uint64_t pas[] = { 0, 0x100000, 0x123456, RAM - 8, 0x3fffffff,
				 0x40000000, 0x7fffffff };

	for (unsigned i = 0; i < sizeof(pas) / sizeof(pas[0]); i++)
		assert_int_equal(translate(&f->mem, f->st.cr3,
					   VMB_KERNEL_VBASE + pas[i]),
				 pas[i]);
	assert_int_equal(translate(&f->mem, f->st.cr3, VMB_KERNEL_VBASE - 1),
			 NOT_MAPPED);
	assert_int_equal(translate(&f->mem, f->st.cr3, 0xffff800000000000ull),
			 NOT_MAPPED);
	/* the entry and the stack are reachable */
	assert_int_equal(translate(&f->mem, f->st.cr3, f->st.rip), 0x100000);
	assert_int_equal(translate(&f->mem, f->st.cr3,
				   f->st.gpr[X86_RSP] - 8),
			 VMB_PHYS_BOOT_STACK - 8);
}

static void pageTables_fitInSevenPagesBelowStack(void **state)
{
	struct fixture *f = *state;
	uint64_t lo = VMB_PHYS_BOOT_PT, hi = VMB_PHYS_BOOT_PT + 7 * 4096;

	/* every table the walk visits lies in [lo, hi) */
	assert_int_equal(f->st.cr3, lo);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = entry_read(&f->mem, lo, i);

		if (e & 1)
			assert_true((e & ~0xfffull) >= lo &&
				    (e & ~0xfffull) < hi);
	}
	assert_true(hi <= VMB_PHYS_BOOT_STACK - 0x4000);
}

static void state_longModeFlatKernel(void **state)
{
	struct fixture *f = *state;
	const struct x86_state *s = &f->st;

	assert_int_equal(s->rip, ENTRY);
	assert_int_equal(s->rflags, 0x2);
	assert_int_equal(s->gpr[X86_RDI], VMB_PHYS_BOOT_INFO);
	assert_int_equal(s->gpr[X86_RSP], VMB_KERNEL_VBASE + VMB_PHYS_BOOT_STACK);
	for (int r = 0; r < X86_NGPR; r++)
		if (r != X86_RDI && r != X86_RSP)
			assert_int_equal(s->gpr[r], 0);
	assert_int_equal(s->cr0, 0x80010033);
	assert_int_equal(s->cr4, X86_CR4_PAE);
	assert_int_equal(s->efer, 0xd00);
	assert_int_equal(s->cr2 | s->cr8, 0);
	assert_int_equal(x86_cpl(s), 0);
	assert_int_equal(s->seg[X86_CS].selector, VMB_SEL_KCODE);
	assert_int_equal(s->seg[X86_CS].l, 1);
	assert_int_equal(s->seg[X86_CS].db, 0);
	assert_int_equal(s->seg[X86_CS].type, 0xb);
	for (int r = 0; r < X86_NSREG; r++) {
		assert_int_equal(s->seg[r].base, 0);
		assert_int_equal(s->seg[r].present, 1);
		assert_int_equal(s->seg[r].s, 1);
		if (r != X86_CS) {
			assert_int_equal(s->seg[r].selector, VMB_SEL_KDATA);
			assert_int_equal(s->seg[r].type, 0x3);
			assert_int_equal(s->seg[r].limit, 0xffffffff);
		}
	}
	assert_int_equal(s->tr.type, 0xb);
	assert_int_equal(s->tr.present, 1);
	assert_int_equal(s->ldtr.unusable, 1);
	assert_int_equal(s->idtr.limit, 0);
	assert_int_equal(s->apic_base, 0xfee00d00);
	assert_int_equal(s->pat, 0x0007040600070406ull);
	assert_int_equal(s->star | s->lstar | s->tsc_offset, 0);
}

/* The GDT in memory holds exactly the descriptors the state caches. */
static void gdt_matchesSegmentCaches(void **state)
{
	struct fixture *f = *state;
	const struct x86_state *s = &f->st;
	uint64_t d[3];
	struct x86_segment seg;

	assert_int_equal(s->gdtr.limit, 23);
	assert_int_equal(s->gdtr.base, VMB_KERNEL_VBASE + VMB_PHYS_GDT);
	assert_int_equal(guest_mem_read(&f->mem, VMB_PHYS_GDT, d, sizeof(d)),
			 0);
	assert_int_equal(d[0], 0);
	x86_segment_from_desc(&seg, VMB_SEL_KCODE, d[VMB_SEL_KCODE / 8]);
	assert_memory_equal(&seg, &s->seg[X86_CS], sizeof(seg));
	x86_segment_from_desc(&seg, VMB_SEL_KDATA, d[VMB_SEL_KDATA / 8]);
	assert_memory_equal(&seg, &s->seg[X86_SS], sizeof(seg));
}

static void bootInfo_fields(void **state)
{
	struct fixture *f = *state;
	struct vmb_boot_info bi;

	assert_int_equal(guest_mem_read(&f->mem, VMB_PHYS_BOOT_INFO, &bi,
					sizeof(bi)), 0);
	assert_int_equal(bi.magic, VMB_BOOT_MAGIC);
	assert_memory_equal(&bi.magic, "VMBBOOT1", 8);
	assert_int_equal(bi.version, VMB_BOOT_VERSION);
	assert_int_equal(bi.flags, VMB_BOOT_F_PVM_ASSIST);
	assert_int_equal(bi.ram_bytes, RAM);
	assert_int_equal(bi.tsc_khz, 2500000);
	assert_int_equal(bi.free_phys, 0x204000);
	assert_string_equal(bi.cmdline, params.cmdline);
	for (size_t i = strlen(params.cmdline); i < VMB_CMDLINE_MAX; i++)
		assert_int_equal(bi.cmdline[i], 0);
}

static void build_twice_identical(void **state)
{
	struct fixture *f = *state;
	struct x86_state again;
	uint8_t *copy = malloc(VMB_PHYS_KERNEL);
	char err[256];

	assert_non_null(copy);
	memcpy(copy, f->mem.host, VMB_PHYS_KERNEL);
	assert_int_equal(boot_build(&f->mem, &params, &again, err, sizeof(err)),
			 0);
	assert_memory_equal(&again, &f->st, sizeof(again));
	assert_memory_equal(copy, f->mem.host, VMB_PHYS_KERNEL);
	free(copy);
}

static void build_badParams_fail(void **state)
{
	struct fixture *f = *state;
	struct boot_params p = params;
	struct x86_state st;
	char err[256] = "", longline[VMB_CMDLINE_MAX + 1];

	memset(longline, 'a', VMB_CMDLINE_MAX);
	longline[VMB_CMDLINE_MAX] = 0;
	p.cmdline = longline;
	assert_int_equal(boot_build(&f->mem, &p, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "command line is 512 bytes"));
	longline[VMB_CMDLINE_MAX - 1] = 0; /* 511 bytes fit */
	assert_int_equal(boot_build(&f->mem, &p, &st, err, sizeof(err)), 0);
	p = params;
	p.kernel_phys_hi = RAM + 1;
	assert_int_equal(boot_build(&f->mem, &p, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "past the end of RAM"));
	p = params;
	p.cmdline = NULL;
	assert_int_equal(boot_build(&f->mem, &p, &st, err, sizeof(err)), 0);
	assert_int_equal(f->mem.host[VMB_PHYS_BOOT_INFO +
				     offsetof(struct vmb_boot_info, cmdline)],
			 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(pageTables_identity_first4GiB),
		T(pageTables_higherHalf_top2GiB),
		T(pageTables_fitInSevenPagesBelowStack),
		T(state_longModeFlatKernel),
		T(gdt_matchesSegmentCaches),
		T(bootInfo_fields),
		T(build_twice_identical),
		T(build_badParams_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
