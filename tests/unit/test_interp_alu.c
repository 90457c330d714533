/*
 * test_interp_alu.c - exact results and flags of the integer groups on
 * hand-picked edge cases (the differential test covers random ones):
 * ALU carry/overflow, INC keeping CF, shifts by 0/1/n, rotates through
 * carry, MUL/IMUL overflow flags, DIV/IDIV #DE, BSF/BT, CMOVcc on 32-bit
 * registers, sign extension.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "interp_fixture.h"

#define CF X86_RFLAGS_CF
#define PF X86_RFLAGS_PF
#define AF X86_RFLAGS_AF
#define ZF X86_RFLAGS_ZF
#define SF X86_RFLAGS_SF
#define OF X86_RFLAGS_OF

static int setup(void **state)
{
	*state = fx_new();
	return 0;
}


/* Run (code) as one instruction with RAX=(a), RCX=(b), RFLAGS=(fl). */
static int one(struct fx *f, const uint8_t *code, size_t len, uint64_t a,
	       uint64_t b, uint64_t fl)
{
	fx_code(f, code, len);
	f->c->s.gpr[X86_RAX] = a;
	f->c->s.gpr[X86_RCX] = b;
	f->c->s.rflags = fl | X86_RFLAGS_FIXED;
	f->c->lf.op = LF_NONE;
	return fx_step(f);
}

#define ONE(f, a, b, fl, ...)                                                \
	one(f, (const uint8_t[]){ __VA_ARGS__ },                              \
	    sizeof((const uint8_t[]){ __VA_ARGS__ }), a, b, fl)

static void test_add_sub_carry_and_overflow(void **state)
{
	struct fx *f = *state;

	ONE(f, 0x7fffffff, 1, 0, 0x01, 0xc8);		/* add eax, ecx */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0x80000000);
	assert_int_equal(fx_flags(f), OF | SF | AF | PF);
	ONE(f, 0, 1, 0, 0x48, 0x29, 0xc8);		/* sub rax, rcx */
	assert_int_equal(fx_gpr(f)[X86_RAX], ~0ull);
	assert_int_equal(fx_flags(f), CF | SF | AF | PF);
	ONE(f, 0xff, 0, CF, 0x14, 0x00);		/* adc al, 0 */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0);
	assert_int_equal(fx_flags(f), CF | ZF | AF | PF);
	ONE(f, 0, 0, CF, 0x1c, 0x00);			/* sbb al, 0 */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0xff);
	assert_int_equal(fx_flags(f), CF | SF | AF | PF);
}

static void test_inc_dec_keep_carry(void **state)
{
	struct fx *f = *state;

	ONE(f, ~0ull, 0, CF, 0x48, 0xff, 0xc0);	/* inc rax */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0);
	assert_int_equal(fx_flags(f), CF | ZF | AF | PF);
	ONE(f, 0x80, 0, 0, 0xfe, 0xc8);		/* dec al */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0x7f);
	assert_int_equal(fx_flags(f), OF | AF);
}

static void test_shifts_by_zero_one_and_many(void **state)
{
	struct fx *f = *state;

	ONE(f, 5, 0, CF | ZF, 0xd3, 0xe0);		/* shl eax, cl=0 */
	assert_int_equal(fx_flags(f), CF | ZF);	/* unchanged */
	ONE(f, 0x80000000, 1, 0, 0xd1, 0xe0);		/* shl eax, 1 */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0);
	assert_true((fx_flags(f) & (CF | OF | ZF)) == (CF | OF | ZF));
	ONE(f, 0x81, 4, 0, 0xd2, 0xf8);		/* sar al, cl=4 */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0xf8);
	assert_true(fx_flags(f) & SF);
	assert_false(fx_flags(f) & CF);
	ONE(f, 1, 1, CF, 0xd0, 0xd8);			/* rcr al, 1 */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0x80);
	assert_true(fx_flags(f) & CF);
	ONE(f, 0x80000001, 1, 0, 0xd1, 0xc8);		/* ror eax, 1 */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0xc0000000);
	assert_true(fx_flags(f) & CF);
}

static void test_mul_div_and_divide_errors(void **state)
{
	struct fx *f = *state;

	ONE(f, 1ull << 63, 2, 0, 0x48, 0xf7, 0xe1);	/* mul rcx */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0);
	assert_int_equal(fx_gpr(f)[X86_RDX], 1);
	assert_true(fx_flags(f) & (CF | OF));
	ONE(f, 3, ~0ull, 0, 0x48, 0x0f, 0xaf, 0xc1);	/* imul rax, rcx */
	assert_int_equal(fx_gpr(f)[X86_RAX], (uint64_t)-3);
	assert_false(fx_flags(f) & (CF | OF));
	fx_gpr(f)[X86_RDX] = 0;
	assert_int_equal(ONE(f, 7, 0, 0, 0xf7, 0xf1), OP_FAULT); /* div ecx */
	assert_int_equal(f->c->exc.vector, X86_VEC_DE);
	assert_int_equal(f->c->s.rip, FX_CODE);
	fx_gpr(f)[X86_RDX] = 1;				/* quotient too big */
	assert_int_equal(ONE(f, 0, 1, 0, 0xf7, 0xf1), OP_FAULT);
	fx_gpr(f)[X86_RDX] = ~0ull;			/* INT64_MIN / -1 */
	assert_int_equal(ONE(f, 1ull << 63, ~0ull, 0, 0x48, 0xf7, 0xf9),
			 OP_FAULT);
	fx_gpr(f)[X86_RDX] = ~0ull;			/* -7 / 2 */
	assert_int_equal(ONE(f, (uint64_t)-7, 2, 0, 0x48, 0xf7, 0xf9), OP_OK);
	assert_int_equal(fx_gpr(f)[X86_RAX], (uint64_t)-3);
	assert_int_equal(fx_gpr(f)[X86_RDX], (uint64_t)-1);
}

static void test_bit_scan_and_test(void **state)
{
	struct fx *f = *state;

	fx_gpr(f)[X86_RDX] = 0x1234;
	ONE(f, 0, 0, 0, 0x48, 0x0f, 0xbc, 0xd0);	/* bsf rdx, rax (0) */
	assert_int_equal(fx_gpr(f)[X86_RDX], 0x1234);	/* unchanged */
	assert_true(fx_flags(f) & ZF);
	ONE(f, 0x10, 0, 0, 0x48, 0x0f, 0xbd, 0xd0);	/* bsr rdx, rax */
	assert_int_equal(fx_gpr(f)[X86_RDX], 4);
	assert_false(fx_flags(f) & ZF);
	ONE(f, 0x8, 67, 0, 0x48, 0x0f, 0xa3, 0xc8);	/* bt rax, rcx */
	assert_true(fx_flags(f) & CF);			/* 67 mod 64 = 3 */
}

static void test_extensions_follow_cpuid(void **state)
{
	struct fx *f = *state;

	cpu_features_load(f->c);	/* the machine's table: no BMI1/POPCNT */
	fx_gpr(f)[X86_RDX] = 77;
	ONE(f, 0, 0, 0, 0xf3, 0x48, 0x0f, 0xbc, 0xd0);	/* tzcnt rdx, rax */
	assert_int_equal(fx_gpr(f)[X86_RDX], 77);	/* ran as BSF */
	assert_true(fx_flags(f) & ZF);
	assert_int_equal(ONE(f, 1, 0, 0, 0xf3, 0x48, 0x0f, 0xb8, 0xd0),
			 OP_FAULT);				/* popcnt */
	assert_int_equal(f->c->exc.vector, X86_VEC_UD);
}

static void test_cmov_and_sign_extension(void **state)
{
	struct fx *f = *state;

	ONE(f, ~0ull, 5, 0, 0x0f, 0x44, 0xc1);		/* cmove eax, ecx */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0xffffffff); /* not taken, zx */
	ONE(f, 0x80, 0, 0, 0x66, 0x98);			/* cbw */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0xff80);
	ONE(f, 0x80000000, 0, 0, 0x48, 0x98);		/* cdqe */
	assert_int_equal(fx_gpr(f)[X86_RAX], 0xffffffff80000000ull);
	ONE(f, 1ull << 63, 0, 0, 0x48, 0x99);		/* cqo */
	assert_int_equal(fx_gpr(f)[X86_RDX], ~0ull);
	ONE(f, 0, 0xff80, 0, 0x48, 0x0f, 0xbf, 0xc1);	/* movsx rax, cx */
	assert_int_equal(fx_gpr(f)[X86_RAX], (uint64_t)-128);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_sub_carry_and_overflow),
		T(test_inc_dec_keep_carry),
		T(test_shifts_by_zero_one_and_many),
		T(test_mul_div_and_divide_errors),
		T(test_bit_scan_and_test),
		T(test_cmov_and_sign_extension),
		T(test_extensions_follow_cpuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
