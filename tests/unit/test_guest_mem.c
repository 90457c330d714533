/* Unit tests for engines/machine/guest_mem.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "machine/guest_mem.h"

#define MiB (1ull << 20)

static int mem_setup(void **state)
{
	static struct guest_mem mem;
	char err[256];

	if (guest_mem_create(&mem, 16 * MiB, false, err, sizeof(err)))
		return -1;
	*state = &mem;
	return 0;
}

static int mem_teardown(void **state)
{
	guest_mem_destroy(*state);
	return 0;
}

static void create_fresh_isZeroed(void **state)
{
	struct guest_mem *mem = *state;

	assert_true(mem->fd >= 0);
	assert_int_equal(mem->size, 16 * MiB);
	for (uint64_t a = 0; a < mem->size; a += 4096 + 8)
		assert_int_equal(mem->host[a], 0);
}

static void create_badSize_fails(void **state)
{
	struct guest_mem mem;
	char err[256] = "";

	(void)state;
	assert_int_equal(guest_mem_create(&mem, 3 * MiB, false, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "2 MiB"));
	assert_int_equal(guest_mem_create(&mem, 0, false, err, sizeof(err)),
			 -1);
	guest_mem_destroy(&mem); /* safe after a failed create */
}

static void create_hugepages_succeedsOrSaysWhy(void **state)
{
	struct guest_mem mem;
	char err[256] = "";

	(void)state;
	if (guest_mem_create(&mem, 2 * MiB, true, err, sizeof(err)) == 0) {
		assert_true(mem.hugepages);
		mem.host[0] = 1;
		guest_mem_destroy(&mem);
		return;
	}
	assert_non_null(strstr(err, "huge"));
}

static void contains_edges_overflowSafe(void **state)
{
	struct guest_mem *mem = *state;

	assert_true(guest_mem_contains(mem, 0, mem->size));
	assert_true(guest_mem_contains(mem, mem->size - 1, 1));
	assert_true(guest_mem_contains(mem, mem->size, 0));
	assert_false(guest_mem_contains(mem, mem->size, 1));
	assert_false(guest_mem_contains(mem, mem->size - 1, 2));
	assert_false(guest_mem_contains(mem, 8, UINT64_MAX));
	assert_false(guest_mem_contains(mem, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(mem, UINT64_MAX - 1, 4));
	assert_ptr_equal(guest_mem_ptr(mem, 0x1234, 4), mem->host + 0x1234);
}

static void readWrite_roundTrip_andBounds(void **state)
{
	struct guest_mem *mem = *state;
	uint64_t v = 0x1122334455667788ull, r = 0;

	assert_int_equal(guest_mem_write(mem, 0x5000, &v, 8), 0);
	assert_int_equal(guest_mem_read(mem, 0x5000, &r, 8), 0);
	assert_int_equal(r, v);
	assert_int_equal(mem->host[0x5000], 0x88);
	r = 7;
	assert_int_equal(guest_mem_read(mem, mem->size - 4, &r, 8), -1);
	assert_int_equal(r, 7); /* nothing copied */
	assert_int_equal(guest_mem_write(mem, mem->size - 4, &v, 8), -1);
}

/* The memfd is the RAM: a second mapping of it sees the same bytes, which
 * is what bt and kvm rely on. */
static void memfd_secondMapping_sharesPages(void **state)
{
	struct guest_mem *mem = *state;
	uint8_t *alias = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			      mem->fd, 0x3000);

	assert_true(alias != MAP_FAILED);
	alias[5] = 0xab;
	assert_int_equal(mem->host[0x3005], 0xab);
	mem->host[0x3006] = 0xcd;
	assert_int_equal(alias[6], 0xcd);
	munmap(alias, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_fresh_isZeroed,
						mem_setup, mem_teardown),
		cmocka_unit_test(create_badSize_fails),
		cmocka_unit_test(create_hugepages_succeedsOrSaysWhy),
		cmocka_unit_test_setup_teardown(contains_edges_overflowSafe,
						mem_setup, mem_teardown),
		cmocka_unit_test_setup_teardown(readWrite_roundTrip_andBounds,
						mem_setup, mem_teardown),
		cmocka_unit_test_setup_teardown(memfd_secondMapping_sharesPages,
						mem_setup, mem_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
