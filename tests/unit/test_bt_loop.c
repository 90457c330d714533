/*
 * test_bt_loop.c - the counted self-loop analysis (bt_loop.h) on
 * hand-assembled blocks: which loops get a plan, with which induction,
 * bound, hoisted accesses and pre-header points, and which are refused
 * (no JNE back to the start, the bound or a base written in the body, an
 * update that is not one constant step of +-2^j, RCX in the loop, 32-bit
 * updates), guard plans (CPL3: any exit, bounded registers) and the
 * register facts (bt_loop_track). The translator records the check of
 * each access the way
 * bt_translate.c does (one point: base, index, scale, disp, len).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bt/bt_loop.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RSI 6
#define R8 8

/* Describe the block (code, len) at guest 0x1000; every memory operand
 * that is not RSP- or RIP-relative gets a check as in bt_translate.c. */
static unsigned block_describe(const uint8_t *code, size_t len,
			       struct bt_loop_insn *li)
{
	ZydisDecoder dec;
	struct bt_loop_track t;
	unsigned n = 0;
	size_t off = 0;

	bt_loop_track_init(&t);
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	while (off < len) {
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

		assert_true(ZYAN_SUCCESS(ZydisDecoderDecodeFull(
			&dec, code + off, len - off, &in, ops)));
		bt_loop_insn_describe(&in, ops, 0x1000 + off, 0x1000, &li[n]);
		for (unsigned i = 0; i < in.operand_count_visible; i++) {
			const ZydisDecodedOperand *o = &ops[i];

			if (o->type != ZYDIS_OPERAND_TYPE_MEMORY ||
			    o->mem.type != ZYDIS_MEMOP_TYPE_MEM)
				continue;
			li[n].checked = true;
			li[n].base = o->mem.base == ZYDIS_REGISTER_NONE
					     ? BT_LOOP_NOREG
					     : (uint8_t)ZydisRegisterGetId(
						       o->mem.base);
			li[n].index = o->mem.index == ZYDIS_REGISTER_NONE
					      ? BT_LOOP_NOREG
					      : (uint8_t)ZydisRegisterGetId(
							o->mem.index);
			li[n].scale = o->mem.index == ZYDIS_REGISTER_NONE
					      ? 0 : o->mem.scale;
			li[n].disp = o->mem.disp.has_displacement
					     ? o->mem.disp.value : 0;
			li[n].len = o->size / 8u;
			bt_loop_track_addr(&t, &li[n]);
		}
		bt_loop_track_step(&t, &in, ops, &li[n]);
		off += in.length;
		n++;
	}
	return n;
}

/* matmul's inner loop: 98: mov (%rsi,%rax,4),%ecx; imul %edi,%ecx;
 * add %ecx,(%rdx,%rax,4); mov %rax,%rcx; add $1,%rax; cmp %rax,%r8;
 * jne 98 */
static const uint8_t matmul[] = {
	0x8b, 0x0c, 0x86, 0x0f, 0xaf, 0xcf, 0x01, 0x0c, 0x82, 0x48, 0x89,
	0xc1, 0x48, 0x83, 0xc0, 0x01, 0x49, 0x39, 0xc0, 0x75, 0xeb,
};

static void test_matmul(void **state)
{
	struct bt_loop_insn li[BT_LOOP_INSN_MAX];
	struct bt_loop_plan p;
	unsigned n = block_describe(matmul, sizeof(matmul), li);

	(void)state;
	assert_int_equal(n, 7);
	assert_true(li[6].jne_self);
	assert_true(bt_loop_plan_make(li, n, &p));
	assert_int_equal(p.idx, RAX);
	assert_int_equal(p.bound, R8);
	assert_int_equal(p.step, 1);
	assert_int_equal(p.shift, 0);
	assert_int_equal(p.hoisted, 0x5);	/* instructions 0 and 2 */
	assert_int_equal(p.npoints, 4);
	/* first load: (%rsi,%rax,4) .. (%rsi,%r8,4) - 4 + 3 */
	assert_int_equal(p.pt[0].base, RSI);
	assert_int_equal(p.pt[0].index, RAX);
	assert_int_equal(p.pt[0].off, 0);
	assert_int_equal(p.pt[1].base, RSI);
	assert_int_equal(p.pt[1].index, R8);
	assert_int_equal(p.pt[1].scale, 4);
	assert_int_equal(p.pt[1].off, -4 + 3);
	assert_int_equal(p.pt[2].base, RDX);
	assert_int_equal(p.pt[3].index, R8);
}

/* movl $0,(%rax); add $4,%rax; cmp %rbx,%rax; jne: a moving base */
static const uint8_t zero_fill[] = {
	0xc7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x83, 0xc0, 0x04,
	0x48, 0x39, 0xd8, 0x75, 0xf1,
};

static void test_moving_base(void **state)
{
	struct bt_loop_insn li[BT_LOOP_INSN_MAX];
	struct bt_loop_plan p;
	unsigned n = block_describe(zero_fill, sizeof(zero_fill), li);

	(void)state;
	assert_true(bt_loop_plan_make(li, n, &p));
	assert_int_equal(p.idx, RAX);
	assert_int_equal(p.bound, 3);	/* RBX */
	assert_int_equal(p.step, 4);
	assert_int_equal(p.shift, 2);
	assert_int_equal(p.npoints, 2);
	assert_int_equal(p.pt[0].base, RAX);
	assert_int_equal(p.pt[0].off, 0);
	assert_int_equal(p.pt[1].base, 3);
	assert_int_equal(p.pt[1].off, -4 + 3);
}

/* sub $1,%rdx; jne, flags from the update: bound 0; load after it */
static const uint8_t dec_zero[] = {
	0x48, 0x83, 0xea, 0x01, 0x48, 0x03, 0x1c, 0xd6, 0x48, 0x83, 0xfa,
	0x00, 0x75, 0xf2,
};
/* add -8(%rsi,%rdx,8),%rbx; sub $1,%rdx; jne */
static const uint8_t dec_flags[] = {
	0x48, 0x03, 0x5c, 0xd6, 0xf8, 0x48, 0x83, 0xea, 0x01, 0x75, 0xf5,
};

static void test_down_to_zero(void **state)
{
	struct bt_loop_insn li[BT_LOOP_INSN_MAX];
	struct bt_loop_plan p;
	unsigned n;

	(void)state;
	/* cmp $0 after the update: the load is after it */
	n = block_describe(dec_zero, sizeof(dec_zero), li);
	assert_true(bt_loop_plan_make(li, n, &p));
	assert_int_equal(p.idx, RDX);
	assert_int_equal(p.bound, BT_LOOP_NOREG);
	assert_int_equal(p.bound_imm, 0);
	assert_int_equal(p.step, -1);
	/* idx from I0 - 1 down to 0: lowest (%rsi,0,8), highest I0 - 1 */
	assert_int_equal(p.pt[0].base, RSI);
	assert_int_equal(p.pt[0].index, BT_LOOP_NOREG);
	assert_int_equal(p.pt[0].off, 0);
	assert_int_equal(p.pt[1].index, RDX);
	assert_int_equal(p.pt[1].off, -8 + 7);
	n = block_describe(dec_flags, sizeof(dec_flags), li);
	assert_true(bt_loop_plan_make(li, n, &p));
	assert_int_equal(p.bound, BT_LOOP_NOREG);
	/* before the update: idx from I0 down to 1 */
	assert_int_equal(p.pt[0].off, -8 + 8);
	assert_int_equal(p.pt[1].off, -8 + 7);
}

static void refused(const uint8_t *code, size_t len)
{
	struct bt_loop_insn li[BT_LOOP_INSN_MAX];
	struct bt_loop_plan p;
	unsigned n = block_describe(code, len, li);

	assert_false(bt_loop_plan_make(li, n, &p));
}

static void test_refused(void **state)
{
	/* mov (%rsi,%rax,8),%rdx; add $1,%rax; cmp %rax,%r8; jb */
	static const uint8_t jb[] = { 0x48, 0x8b, 0x14, 0xc6, 0x48, 0x83, 0xc0,
				      0x01, 0x49, 0x39, 0xc0, 0x72, 0xf3 };
	/* the same, bound written: sub $1,%r8 before the cmp */
	static const uint8_t bound_w[] = {
		0x48, 0x8b, 0x14, 0xc6, 0x49, 0x83, 0xe8, 0x01, 0x48, 0x83,
		0xc0, 0x01, 0x49, 0x39, 0xc0, 0x75, 0xef };
	/* step 3 */
	static const uint8_t step3[] = { 0x48, 0x8b, 0x14, 0xc6, 0x48, 0x83,
					 0xc0, 0x03, 0x49, 0x39, 0xc0, 0x75,
					 0xf3 };
	/* 32-bit update: add $1,%eax */
	static const uint8_t upd32[] = { 0x48, 0x8b, 0x14, 0xc6, 0x83, 0xc0,
					 0x01, 0x49, 0x39, 0xc0, 0x75, 0xf4 };
	/* RCX the induction: mov (%rsi,%rcx,8),%rdx; add $1,%rcx;
	 * cmp %rcx,%r8; jne */
	static const uint8_t idx_rcx[] = { 0x48, 0x8b, 0x14, 0xce, 0x48, 0x83,
					   0xc1, 0x01, 0x49, 0x39, 0xc8, 0x75,
					   0xf3 };
	/* idx updated twice */
	static const uint8_t twice[] = {
		0x48, 0x8b, 0x14, 0xc6, 0x48, 0x83, 0xc0, 0x01, 0x48, 0x83,
		0xc0, 0x01, 0x49, 0x39, 0xc0, 0x75, 0xef };
	/* the base written (mov (%rsi,%rax,8),%rsi) */
	static const uint8_t base_w[] = { 0x48, 0x8b, 0x34, 0xc6, 0x48, 0x83,
					  0xc0, 0x01, 0x49, 0x39, 0xc0, 0x75,
					  0xf3 };
	/* jne to elsewhere */
	static const uint8_t other[] = { 0x48, 0x8b, 0x14, 0xc6, 0x48, 0x83,
					 0xc0, 0x01, 0x49, 0x39, 0xc0, 0x75,
					 0xf0 };

	(void)state;
	refused(jb, sizeof(jb));
	refused(bound_w, sizeof(bound_w));
	refused(step3, sizeof(step3));
	refused(upd32, sizeof(upd32));
	refused(idx_rcx, sizeof(idx_rcx));
	refused(twice, sizeof(twice));
	refused(base_w, sizeof(base_w));
	refused(other, sizeof(other));
}

/* sort's right scan: a data-dependent exit (jb), the pointer RAX moving
 * by -8: no counted plan, a guard plan (CPL3) */
static const uint8_t scan[] = {
	0x48, 0x83, 0xea, 0x01, 0x48, 0x89, 0xc6, 0x48, 0x8b, 0x08, 0x48,
	0x83, 0xe8, 0x08, 0x48, 0x89, 0xd7, 0x49, 0x39, 0xc8, 0x72, 0xea,
};
/* movzbl (%rsi),%eax; movzbl 0x1a(%rsp,%rax,1),%edx;
 * movzbl -0x76(%rdx,%rax,1),%ebx; add $1,%rsi; cmp %rsi,%rdi; jne */
static const uint8_t table[] = {
	0x0f, 0xb6, 0x06, 0x0f, 0xb6, 0x54, 0x04, 0x1a, 0x0f, 0xb6, 0x5c,
	0x02, 0x8a, 0x48, 0x83, 0xc6, 0x01, 0x48, 0x39, 0xf7, 0x75, 0xea,
};

static void test_guard(void **state)
{
	struct bt_loop_insn li[BT_LOOP_INSN_MAX];
	struct bt_loop_plan p;
	unsigned n = block_describe(scan, sizeof(scan), li);

	(void)state;
	assert_true(li[n - 1].jcc_self);
	assert_false(li[n - 1].jne_self);
	assert_false(bt_loop_plan_make(li, n, &p));
	assert_true(bt_loop_plan_guard(li, n, &p));
	assert_false(p.counted);
	assert_int_equal(p.hoisted, 1u << 2);
	assert_int_equal(p.npoints, 1);	/* the first byte only */
	assert_int_equal(p.pt[0].base, RAX);
	assert_int_equal(p.pt[0].off, 0);
	/* what the tracker knows: RAX and RDX are bytes just loaded, so
	 * 0x1a(%rsp,%rax) is RSP + [0x1a, 0x1a + 0xff] and -0x76(%rdx,%rax)
	 * a constant range */
	n = block_describe(table, sizeof(table), li);
	assert_int_equal(li[1].base, 4);	/* RSP */
	assert_int_equal(li[1].index, BT_LOOP_NOREG);
	assert_int_equal(li[1].disp, 0x1a);
	assert_int_equal(li[1].wide, 0xff);
	assert_int_equal(li[2].base, BT_LOOP_NOREG);
	assert_int_equal(li[2].disp, -0x76);
	assert_int_equal(li[2].wide, 0x1fe);
	assert_true(bt_loop_plan_guard(li, n, &p));
	assert_int_equal(p.hoisted, 0x7);
	assert_int_equal(p.npoints, 5);	/* 1 + 2 + 2 */
	assert_int_equal(p.pt[0].base, RSI);
	assert_int_equal(p.pt[1].base, 4);
	assert_int_equal(p.pt[1].index, BT_LOOP_NOREG);
	assert_int_equal(p.pt[1].off, 0x1a);
	assert_int_equal(p.pt[2].off, 0x1a + 0xff);
	assert_int_equal(p.pt[4].off, -0x76 + 0x1fe);
	assert_true(bt_loop_plan_make(li, n, &p));
	assert_int_equal(p.idx, RSI);
	assert_int_equal(p.hoisted, 0x7);
}

/* fsm's state lookup: RAX = 9 * (state & 0xf) + 0x190 + RSP */
static void test_track_fsm(void **state)
{
	/* and $0xf,%r13d; mov %r13d,%ecx; lea (%rcx,%rcx,8),%rax;
	 * add $0x190,%rax; add %rsp,%rax; movzbl 0x1a(%rsp,%rdx,1),%esi;
	 * movzbl -0x76(%rsi,%rax,1),%r13d; add $1,%r14; cmp %r14,%r12;
	 * jne */
	static const uint8_t code[] = {
		0x41, 0x83, 0xe5, 0x0f, 0x44, 0x89, 0xe9, 0x48, 0x8d, 0x04,
		0xc9, 0x48, 0x05, 0x90, 0x01, 0x00, 0x00, 0x48, 0x01, 0xe0,
		0x0f, 0xb6, 0x74, 0x14, 0x1a, 0x44, 0x0f, 0xb6, 0x6c, 0x06,
		0x8a, 0x49, 0x83, 0xc6, 0x01, 0x4d, 0x39, 0xf4, 0x75, 0xd8,
	};
	struct bt_loop_insn li[BT_LOOP_INSN_MAX];
	struct bt_loop_plan p;
	unsigned n = block_describe(code, sizeof(code), li);

	(void)state;
	assert_int_equal(n, 10);
	assert_true(li[9].jne_self);
	/* -0x76 + RSI (a byte) + RSP + 0x190 + [0, 9 * 15] */
	assert_int_equal(li[6].base, 4);
	assert_int_equal(li[6].index, BT_LOOP_NOREG);
	assert_int_equal(li[6].disp, -0x76 + 0x190);
	assert_int_equal(li[6].wide, 0xff + 9 * 15);
	/* RDX is not known: that access keeps its registers */
	assert_int_equal(li[5].index, RDX);
	assert_true(bt_loop_plan_guard(li, n, &p));
	assert_int_equal(p.hoisted, 1u << 5 | 1u << 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matmul),
		cmocka_unit_test(test_moving_base),
		cmocka_unit_test(test_down_to_zero),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_track_fsm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
