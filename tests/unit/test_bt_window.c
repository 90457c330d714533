/*
 * Unit tests for engines/bt/bt_window.c and bt_gs.c: reserving windows,
 * mapping guest RAM pages into them (seen through the host view of RAM),
 * unmapping, flushing with and without globals, guard lookup, and GS-based
 * access with both ways of setting the GS base.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bt/bt_gs.h"
#include "bt/bt_window.h"
#include "machine/guest_mem.h"

#define RAM (4ull << 20)

struct fixture {
	struct guest_mem mem;
	struct bt_window w;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f || guest_mem_create(&f->mem, RAM, false, err, sizeof(err)))
		return -1;
	if (bt_window_create(&f->w, f->mem.fd, f->mem.size, "test", err,
			     sizeof(err)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bt_window_destroy(&f->w);
	guest_mem_destroy(&f->mem);
	free(f);
	return 0;
}

static void test_gva_helpers(void **state)
{
	(void)state;
	assert_int_equal(bt_window_off(0xffffffff80001234ull), 0x80001234u);
	assert_true(bt_window_gva(0x80001234u) == 0xffffffff80001234ull);
	assert_true(bt_window_gva(0x7ffff000u) == 0x7ffff000ull);
	assert_true(bt_window_gva_ok(0x400000));
	assert_true(bt_window_gva_ok(0xffffffff80000000ull));
	assert_false(bt_window_gva_ok(0x80000000ull));	/* user, >= 2 GiB */
	assert_false(bt_window_gva_ok(0x100001000ull));	/* aliases 0x1000 */
	assert_false(bt_window_gva_ok(0xffff800000000000ull));
}

static void test_map_aliases_ram(void **state)
{
	struct fixture *f = *state;
	volatile uint64_t *p = (uint64_t *)(f->w.base + 0x80001000u);

	assert_int_equal(bt_window_map(&f->w, 0x80001000u, 0x3000, true, 0), 0);
	assert_int_equal(bt_window_state(&f->w, 0x80001000u),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE);
	assert_int_equal(f->w.nmapped, 1);
	*p = 0x1122334455667788ull;
	assert_true(*(uint64_t *)(f->mem.host + 0x3000) == 0x1122334455667788ull);
	*(uint64_t *)(f->mem.host + 0x3008) = 42;
	assert_true(p[1] == 42);
	/* remapping the same offset does not grow the list */
	assert_int_equal(bt_window_map(&f->w, 0x80001000u, 0x4000, false, 0), 0);
	assert_int_equal(f->w.nmapped, 1);
	assert_int_equal(bt_window_state(&f->w, 0x80001000u), BT_PAGE_MAPPED);
	assert_int_equal(bt_window_protect(&f->w, 0x80001000u, true), 0);
	assert_int_equal(bt_window_state(&f->w, 0x80001000u),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE);
	p[0] = 7;
	assert_true(*(uint64_t *)(f->mem.host + 0x4000) == 7);
}

static void test_map_rejects_bad(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bt_window_map(&f->w, 0x1000, RAM, true, 0), -1);
	assert_int_equal(bt_window_map(&f->w, 0x1000, 0x1001, true, 0), -1);
	assert_int_equal(bt_window_map(&f->w, 0x1004, 0x1000, true, 0), -1);
	assert_int_equal(bt_window_protect(&f->w, 0x5000, true), -1);
	assert_int_equal(f->w.nmapped, 0);
}

static void test_unmap_and_flush(void **state)
{
	struct fixture *f = *state;

	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(bt_window_map(&f->w, 0x10000 + i * 0x1000,
					       i * 0x1000, false,
					       (i & 1) ? BT_PAGE_GLOBAL : 0), 0);
	assert_int_equal(f->w.nmapped, 8);
	assert_int_equal(bt_window_unmap(&f->w, 0x10000), 0);
	assert_int_equal(bt_window_unmap(&f->w, 0x10000), 0); /* no-op */
	assert_int_equal(f->w.nmapped, 7);
	assert_int_equal(bt_window_state(&f->w, 0x10000), 0);
	assert_int_equal(bt_window_flush(&f->w, true), 3); /* 2, 4, 6 */
	assert_int_equal(f->w.nmapped, 4);
	for (uint32_t i = 1; i < 8; i += 2)
		assert_true(bt_window_state(&f->w, 0x10000 + i * 0x1000) &
			    BT_PAGE_GLOBAL);
	assert_int_equal(bt_window_flush(&f->w, false), 4);
	assert_int_equal(f->w.nmapped, 0);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(bt_window_state(&f->w, 0x10000 + i * 0x1000), 0);
	/* the window still works after a whole-window flush */
	assert_int_equal(bt_window_map(&f->w, 0x10000, 0x2000, true, 0), 0);
	*(volatile uint8_t *)(f->w.base + 0x10000) = 9;
	assert_int_equal(f->mem.host[0x2000], 9);
}

/* Runs: consecutive pages over consecutive RAM with equal rights. */
static void test_runs(void **state)
{
	struct fixture *f = *state;
	struct bt_window *w = &f->w;

	assert_int_equal(bt_window_map(w, 0x10000, 0x1000, true, 0), 0);
	assert_int_equal(bt_window_map(w, 0x12000, 0x3000, true, 0), 0);
	assert_int_equal(w->runs, 2);
	assert_int_equal(bt_window_map(w, 0x11000, 0x2000, true, 0), 0);
	assert_int_equal(w->runs, 1);			/* bridged */
	assert_int_equal(bt_window_protect(w, 0x11000, false), 0);
	assert_int_equal(w->runs, 3);			/* rights differ */
	assert_int_equal(bt_window_protect(w, 0x11000, true), 0);
	assert_int_equal(w->runs, 1);
	assert_int_equal(bt_window_map(w, 0x13000, 0x9000, true, 0), 0);
	assert_int_equal(w->runs, 2);			/* RAM not consecutive */
	assert_int_equal(bt_window_unmap(w, 0x11000), 0);
	assert_int_equal(w->runs, 3);			/* split */
	assert_int_equal(bt_window_map_range(w, 0x20000, 0x10000, 8, false, 0), 0);
	assert_int_equal(w->runs, 4);
	assert_true(bt_window_flush(w, false) >= 0);
	assert_int_equal(w->runs, 0);
}

/* Marked pages stay mapped until bt_window_unmap_marked(), which drops
 * each stretch with one call and keeps the run count; a populated map
 * is readable and writable at once. */
static void test_mark_and_populate(void **state)
{
	struct fixture *f = *state;
	struct bt_window *w = &f->w;

	assert_int_equal(bt_window_map_range(w, 0x30000, 0x10000, 8, true,
					     BT_MAP_POPULATE), 0);
	assert_int_equal(bt_window_state(w, 0x30000),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE); /* not stored */
	w->base[0x30008] = 0x5a;
	assert_int_equal(f->mem.host[0x10008], 0x5a);
	assert_int_equal(bt_window_populate(w, 0x34000, 4), 0);
	assert_int_equal(w->runs, 1);
	for (uint32_t off = 0x32000; off < 0x36000; off += 0x1000)
		bt_window_mark_drop(w, off);
	bt_window_mark_drop(w, 0x50000);		/* unmapped: no-op */
	assert_int_equal(bt_window_state(w, 0x50000), 0);
	assert_true(bt_window_state(w, 0x33000) & BT_PAGE_DROP);
	assert_int_equal(w->nmapped, 8);
	assert_int_equal(bt_window_unmap_marked(w), 4);
	assert_int_equal(w->nmapped, 4);
	assert_int_equal(w->runs, 2);			/* split in two */
	assert_int_equal(bt_window_state(w, 0x33000), 0);
	assert_int_equal(bt_window_state(w, 0x36000),
			 BT_PAGE_MAPPED | BT_PAGE_WRITE);
	assert_int_equal(bt_window_unmap_marked(w), 0);
	assert_int_equal(bt_window_flush(w, true), 4);	/* none global */
	assert_int_equal(w->runs, 0);
}

/* frame_writable matches the mapped pages (recounted). */
static void check_frame_writable(const struct bt_window *w)
{
	uint32_t frames = (uint32_t)(w->ram_size >> 12);
	uint32_t *want = calloc(frames, sizeof(*want));

	assert_non_null(want);
	for (uint32_t i = 0; i < w->nmapped; i++)
		if (w->page_state[w->mapped[i]] & BT_PAGE_WRITE)
			want[w->page_frame[w->mapped[i]]]++;
	for (uint32_t f = 0; f < frames; f++)
		assert_int_equal(w->frame_writable[f], want[f]);
	free(want);
}

/* The writable-mapping count per frame follows maps, remaps, protects,
 * unmaps and flushes, and protect_frame uses it. */
static void test_frame_writable(void **state)
{
	struct fixture *f = *state;
	struct bt_window *w = &f->w;

	assert_int_equal(bt_window_map_range(w, 0x10000, 0x20000, 4, true, 0), 0);
	assert_int_equal(bt_window_map(w, 0x80000, 0x21000, true, 0), 0);
	assert_int_equal(bt_window_map(w, 0x90000, 0x21000, false, 0), 0);
	assert_int_equal(w->frame_writable[0x21], 2);
	check_frame_writable(w);
	/* remapped over: the old frame loses, the new one gains */
	assert_int_equal(bt_window_map(w, 0x11000, 0x30000, true, 0), 0);
	assert_int_equal(w->frame_writable[0x21], 1);
	assert_int_equal(w->frame_writable[0x30], 1);
	check_frame_writable(w);
	assert_int_equal(bt_window_protect_frame(w, 0x30000), 1);
	assert_int_equal(bt_window_protect_frame(w, 0x30000), 0);
	assert_int_equal(bt_window_protect_frame(w, 0x40000), 0);
	assert_int_equal(bt_window_protect(w, 0x90000, true), 0);
	assert_int_equal(w->frame_writable[0x21], 2);
	check_frame_writable(w);
	bt_window_mark_drop(w, 0x80000);
	bt_window_mark_drop(w, 0x12000);
	assert_int_equal(bt_window_unmap_marked(w), 2);
	check_frame_writable(w);
	assert_int_equal(bt_window_unmap(w, 0x90000), 0);
	check_frame_writable(w);
	assert_int_equal(bt_window_flush(w, false), 3);
	for (uint32_t fr = 0; fr < (uint32_t)(RAM >> 12); fr++)
		assert_int_equal(w->frame_writable[fr], 0);
}

/* Is the host page-table entry of (addr) present (/proc/self/pagemap bit
 * 63)? -1 when pagemap cannot be read. */
static int host_pte_present(const void *addr)
{
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &e, 8, (off_t)((uintptr_t)addr / 4096 * 8));
	close(fd);
	return n == 8 ? (int)(e >> 63) : -1;
}

/* A populated map fills the host PTEs of exactly the pages asked for, over
 * the right RAM, with the rights asked for; a plain one leaves them to
 * host faults. */
static void test_populate_host_ptes(void **state)
{
	struct fixture *f = *state;
	struct bt_window *w = &f->w;

	if (host_pte_present(f->mem.host) < 0)
		skip();
	f->mem.host[0x21000] = 0x21;
	f->mem.host[0x22000] = 0x22;
	assert_int_equal(bt_window_map(w, 0x40000, 0x21000, false,
				       BT_MAP_POPULATE), 0);
	assert_int_equal(bt_window_map(w, 0x42000, 0x22000, true, 0), 0);
	assert_int_equal(host_pte_present(w->base + 0x40000), 1);
	assert_int_equal(host_pte_present(w->base + 0x42000), 0);
	assert_int_equal(w->base[0x40000], 0x21);	/* the right frame */
	assert_int_equal(bt_window_state(w, 0x40000), BT_PAGE_MAPPED);
	/* a writable populated map is writable at once */
	assert_int_equal(bt_window_map(w, 0x44000, 0x22000, true,
				       BT_MAP_POPULATE), 0);
	assert_int_equal(host_pte_present(w->base + 0x44000), 1);
	w->base[0x44001] = 0x5b;
	assert_int_equal(f->mem.host[0x22001], 0x5b);
	/* bt_window_populate fills a plain map's PTEs */
	assert_int_equal(bt_window_populate(w, 0x42000, 1), 0);
	assert_int_equal(host_pte_present(w->base + 0x42000), 1);
}

/* The deferred forms mark exactly the pages of a table, a PTE or a
 * range; the next bt_window_unmap_marked() unmaps them all at once. */
static void test_mark_kinds(void **state)
{
	struct fixture *f = *state;
	struct bt_window *w = &f->w;

	for (uint32_t i = 0; i < 6; i++) {
		assert_int_equal(bt_window_map(w, 0x60000 + i * 0x1000,
					       0x30000 + i * 0x1000, false, 0), 0);
		/* pages 0-2 from PTEs of table 0x8000, 3-5 of 0x9000 */
		bt_window_pte_set(w, 0x60000 + i * 0x1000,
				  (i < 3 ? 0x8000 : 0x9000) + 8 * i);
	}
	assert_false(w->drops);
	assert_int_equal(bt_window_mark_pte(w, 0x9000 + 8 * 4), 1);
	assert_int_equal(bt_window_mark_pte(w, 0x9000 + 8 * 4), 0); /* again */
	assert_true(w->drops);
	assert_int_equal(bt_window_mark_table(w, 0x8000), 3);
	assert_int_equal(bt_window_mark_range(w, 0x64000, 0x2000), 1);
	/* by place: the 2 MiB at 0 holds them; elsewhere nothing */
	assert_int_equal(bt_window_mark_table_at(w, 0x9000, 0x200000), 0);
	assert_int_equal(bt_window_mark_table_at(w, 0x9000, 0x1000), 1);
	assert_int_equal(bt_window_state(w, 0x63000),
			 BT_PAGE_MAPPED | BT_PAGE_DROP);
	assert_int_equal(w->nmapped, 6);		/* nothing unmapped yet */
	assert_int_equal(bt_window_unmap_marked(w), 6);
	assert_false(w->drops);
	assert_int_equal(w->nmapped, 0);
}

static void test_lookup_guards(void **state)
{
	struct fixture *f = *state;
	uintptr_t b = (uintptr_t)f->w.base;
	uint64_t off;
	bool guard;

	assert_true(bt_window_lookup(&f->w, b + 0x1234, &off, &guard));
	assert_true(off == 0x1234 && !guard);
	assert_true(bt_window_lookup(&f->w, b + BT_WINDOW_SIZE + 4, &off, &guard));
	assert_true(off == BT_WINDOW_SIZE + 4 && guard);
	assert_true(bt_window_lookup(&f->w, b - 8, &off, &guard));
	assert_true(guard);
	assert_false(bt_window_lookup(&f->w, b - BT_WINDOW_GUARD - 1, &off,
				      &guard));
	assert_false(bt_window_lookup(&f->w, b + BT_WINDOW_SIZE + BT_WINDOW_GUARD,
				      &off, &guard));
}

/* Read 8 bytes at %gs:(off) with a 32-bit address, as translated code does. */
static uint64_t gs_read32(uint32_t off)
{
	uint64_t v;

	__asm__ volatile("movq %%gs:(%k1), %0" : "=r"(v) : "r"(off) : "memory");
	return v;
}

static void gs_access_with(struct fixture *f, enum bt_gs_method m)
{
	uint64_t old;

	assert_int_equal(bt_gs_method_set(m), 0);
	old = bt_gs_get();
	assert_int_equal(bt_window_map(&f->w, 0xfffff000u, 0x5000, true, 0), 0);
	*(uint64_t *)(f->mem.host + 0x5ff8) = 0xabcdef;
	bt_gs_set((uint64_t)(uintptr_t)f->w.base);
	assert_true(bt_gs_get() == (uint64_t)(uintptr_t)f->w.base);
	/* a 64-bit register value is truncated to its low 32 bits */
	assert_true(gs_read32(0xfffffff8u) == 0xabcdef);
	bt_gs_set(old);
	assert_true(bt_gs_get() == old);
}

static void test_gs_arch_prctl(void **state)
{
	gs_access_with(*state, BT_GS_ARCH_PRCTL);
	assert_int_equal(bt_gs_method_get(), BT_GS_ARCH_PRCTL);
	bt_gs_method_set(BT_GS_AUTO);
}

static void test_gs_wrgsbase(void **state)
{
	if (!bt_gs_wrgsbase_available()) {
		assert_int_equal(bt_gs_method_set(BT_GS_WRGSBASE), -1);
		skip(); /* host kernel without FSGSBASE */
	}
	gs_access_with(*state, BT_GS_WRGSBASE);
	assert_string_equal(bt_gs_method_name(bt_gs_method_get()), "wrgsbase");
	bt_gs_method_set(BT_GS_AUTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gva_helpers),
		cmocka_unit_test_setup_teardown(test_map_aliases_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_rejects_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_and_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_populate_host_ptes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mark_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_writable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mark_and_populate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_guards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gs_arch_prctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gs_wrgsbase, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
