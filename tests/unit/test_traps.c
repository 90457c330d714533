/* Unit tests for engines/machine/traps.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "machine/traps.h"

static void names_stableAndUnique(void **state)
{
	(void)state;
	assert_string_equal(trap_kind_name(TRAP_PIO), "pio");
	assert_string_equal(trap_kind_name(TRAP_CR_ACCESS), "cr_access");
	assert_string_equal(trap_kind_name(TRAP_OTHER), "other");
	assert_string_equal(trap_kind_name(TRAP_NR), "?");
	for (int i = 0; i < TRAP_NR; i++) {
		assert_true(strlen(trap_kind_doc(i)) >= 3);
		for (int j = i + 1; j < TRAP_NR; j++)
			assert_string_not_equal(trap_kind_name(i),
						trap_kind_name(j));
	}
}

static void vectorNames_mnemonicsOrNumbered(void **state)
{
	(void)state;
	assert_string_equal(trap_vector_name(0), "DE");
	assert_string_equal(trap_vector_name(14), "PF");
	assert_string_equal(trap_vector_name(15), "vec15");
	assert_string_equal(trap_vector_name(32), "vec32");
	assert_string_equal(trap_vector_name(255), "vec255");
	assert_string_equal(trap_vector_name(256), "vec?");
}

static void diff_elementwise(void **state)
{
	struct trap_counters a = { 0 }, b = { 0 }, d;

	(void)state;
	a.count[TRAP_PIO] = 5;
	b.count[TRAP_PIO] = 12;
	trap_count_exception(&a, 14);
	trap_count_exception(&b, 14);
	trap_count_exception(&b, 14);
	trap_count_exception(&b, 40); /* counted, no vector slot */
	trap_counters_diff(&a, &b, &d);
	assert_int_equal(d.count[TRAP_PIO], 7);
	assert_int_equal(d.count[TRAP_GUEST_EXCEPTION], 2);
	assert_int_equal(d.exception_by_vector[14], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_stableAndUnique),
		cmocka_unit_test(vectorNames_mnemonicsOrNumbered),
		cmocka_unit_test(diff_elementwise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
