/* Unit tests for engines/machine/cpuid.c: the table and KVM's lookup rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "machine/cpuid.h"

struct regs {
	uint32_t a, b, c, d;
};

static struct regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct regs r;

	cpuid_lookup(leaf, sub, &r.a, &r.b, &r.c, &r.d);
	return r;
}

static void leaf0_vendorAndMax(void **state)
{
	struct regs r = cpuid(0, 0);
	char v[13];

	(void)state;
	memcpy(v, &r.b, 4);
	memcpy(v + 4, &r.d, 4);
	memcpy(v + 8, &r.c, 4);
	v[12] = 0;
	assert_string_equal(v, "GenuineIntel");
	assert_int_equal(r.a, 7);
}

static void leaf1_baselineOnly(void **state)
{
	struct regs r = cpuid(1, 0);

	(void)state;
	assert_true(r.c & (1u << 21));	/* x2APIC */
	assert_true(r.c & (1u << 31));	/* hypervisor */
	assert_false(r.c & (1u << 24)); /* no TSC-deadline */
	assert_false(r.c & (1u << 26)); /* no XSAVE */
	assert_false(r.c & (1u << 28)); /* no AVX */
	assert_false(r.c & 1u);		/* no SSE3 */
	for (unsigned bit = 0; bit < 32; bit++) {
		const uint32_t want = 1u << 0 | 1u << 4 | 1u << 5 | 1u << 6 |
				      1u << 8 | 1u << 9 | 1u << 13 | 1u << 15 |
				      1u << 23 | 1u << 24 | 1u << 25 |
				      1u << 26;

		assert_int_equal(!!(r.d & (1u << bit)), !!(want & (1u << bit)));
	}
}

static void extended_longModeNxSyscallRdtscpInvtsc(void **state)
{
	struct regs r = cpuid(0x80000001, 0);
	char brand[49] = { 0 };

	(void)state;
	assert_true(r.d & (1u << 29));
	assert_true(r.d & (1u << 20));
	assert_true(r.d & (1u << 11));
	assert_true(r.d & (1u << 27));
	assert_true(cpuid(0x80000007, 0).d & (1u << 8));
	assert_int_equal(cpuid(0x80000008, 0).a & 0xff, CPUID_PHYS_ADDR_BITS);
	assert_int_equal(cpuid(0x80000000, 0).a, 0x80000008);
	for (unsigned i = 0; i < 3; i++) {
		r = cpuid(0x80000002 + i, 0);
		memcpy(brand + 16 * i, &r, 16);
	}
	assert_string_equal(brand, "vmbench virtual x86-64 CPU");
}

static void missingInRange_readsZero(void **state)
{
	struct regs r;

	(void)state;
	r = cpuid(4, 0);
	assert_int_equal(r.a | r.b | r.c | r.d, 0);
	r = cpuid(7, 1); /* significant index, subleaf absent */
	assert_int_equal(r.a | r.b | r.c | r.d, 0);
	r = cpuid(0x80000005, 0);
	assert_int_equal(r.a | r.b | r.c | r.d, 0);
}

static void outOfRange_readsMaxBasicLeaf(void **state)
{
	struct regs seven = cpuid(7, 0), r;

	(void)state;
	r = cpuid(0x20, 0);
	assert_memory_equal(&r, &seven, sizeof(r));
	r = cpuid(0x80000009, 0);
	assert_memory_equal(&r, &seven, sizeof(r));
	r = cpuid(0x40000001, 0);
	assert_memory_equal(&r, &seven, sizeof(r));
	r = cpuid(0xc0000000, 0);
	assert_memory_equal(&r, &seven, sizeof(r));
	/* the index is kept: leaf 7 subleaf 3 does not exist */
	r = cpuid(0x30, 3);
	assert_int_equal(r.a | r.b | r.c | r.d, 0);
}

static void table_noDuplicates(void **state)
{
	size_t n;
	const struct cpuid_entry *t = cpuid_table(&n);

	(void)state;
	assert_true(n > 5);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_false(t[i].function == t[j].function &&
				     t[i].index == t[j].index);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leaf0_vendorAndMax),
		cmocka_unit_test(leaf1_baselineOnly),
		cmocka_unit_test(extended_longModeNxSyscallRdtscpInvtsc),
		cmocka_unit_test(missingInRange_readsZero),
		cmocka_unit_test(outOfRange_readsMaxBasicLeaf),
		cmocka_unit_test(table_noDuplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
