/* Unit tests for engines/machine/x86_state.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "machine/x86_state.h"

/* Long-mode kernel code and flat data descriptors, as every GDT has them. */
#define DESC_KCODE64 0x00af9b000000ffffull
#define DESC_KDATA 0x00cf93000000ffffull

static void fromDesc_code64_unpacked(void **state)
{
	struct x86_segment s;

	(void)state;
	x86_segment_from_desc(&s, 0x08, DESC_KCODE64);
	assert_int_equal(s.selector, 0x08);
	assert_int_equal(s.base, 0);
	assert_int_equal(s.limit, 0xffffffff);
	assert_int_equal(s.type, 0xb);
	assert_int_equal(s.s, 1);
	assert_int_equal(s.dpl, 0);
	assert_int_equal(s.present, 1);
	assert_int_equal(s.l, 1);
	assert_int_equal(s.db, 0);
	assert_int_equal(s.g, 1);
	assert_int_equal(s.unusable, 0);
}

static void fromDesc_byteGranularBase_unpacked(void **state)
{
	struct x86_segment s;
	/* base 0x12345678, limit 0xabcde, type 3, DPL 3, P, G=0, D/B */
	uint64_t d;

	(void)state;
	d = 0xbcde | (0x345678ull << 16) | (0x3ull << 40) | (1ull << 44) |
	    (3ull << 45) | (1ull << 47) | (0xaull << 48) | (1ull << 54) |
	    (0x12ull << 56);
	x86_segment_from_desc(&s, 0x2b, d);
	assert_int_equal(s.base, 0x12345678);
	assert_int_equal(s.limit, 0xabcde);
	assert_int_equal(s.dpl, 3);
	assert_int_equal(s.db, 1);
	assert_int_equal(s.g, 0);
	assert_int_equal(x86_segment_to_desc(&s), d);
}

static void toDesc_roundTrip(void **state)
{
	struct x86_segment s;
	const uint64_t descs[] = { DESC_KCODE64, DESC_KDATA,
				   0x00affb000000ffffull, /* user code */
				   0x00cff3000000ffffull, 0 };

	(void)state;
	for (unsigned i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
		x86_segment_from_desc(&s, 0, descs[i]);
		assert_int_equal(x86_segment_to_desc(&s), descs[i]);
	}
	x86_segment_from_desc(&s, 0, 0);
	assert_int_equal(s.unusable, 1);
}

static void fromDesc16_tss_highBase(void **state)
{
	struct x86_segment s;
	/* 64-bit available TSS, base 0xffffffff80123000, limit 0x67 */
	uint64_t lo = 0x67 | (0x123000ull << 16) | (0x9ull << 40) |
		      (1ull << 47) | (0x80ull << 56);
	uint64_t hi = 0xffffffffull;

	(void)state;
	x86_segment_from_desc16(&s, 0x28, lo, hi);
	assert_int_equal(s.base, 0xffffffff80123000ull);
	assert_int_equal(s.limit, 0x67);
	assert_int_equal(s.type, 9);
	assert_int_equal(s.s, 0);
}

static void format_namesRegisters_andTruncatesSafely(void **state)
{
	struct x86_state st;
	char buf[4096], small[16];
	int n;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.rip = 0xffffffff80100000ull;
	st.gpr[X86_R15] = 0xdeadbeef;
	st.cr3 = 0x10000;
	n = x86_state_format(&st, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_non_null(strstr(buf, "rip=ffffffff80100000"));
	assert_non_null(strstr(buf, "r15=00000000deadbeef"));
	assert_non_null(strstr(buf, "cr3=0000000000010000"));
	assert_int_equal(x86_state_format(&st, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fromDesc_code64_unpacked),
		cmocka_unit_test(fromDesc_byteGranularBase_unpacked),
		cmocka_unit_test(toDesc_roundTrip),
		cmocka_unit_test(fromDesc16_tss_highBase),
		cmocka_unit_test(format_namesRegisters_andTruncatesSafely),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
