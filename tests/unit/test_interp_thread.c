/*
 * test_interp_thread.c - threaded dispatch and ALU+Jcc fusion agree with
 * single-stepping (the plain handlers, which the differential test checks
 * against the host CPU): for every condition code, register, immediate
 * and memory CMP/TEST forms at 8 to 64 bits, ADD/SUB/AND/OR/XOR of 32/64-
 * bit registers, and edge-case operands, a whole-block run (with the TLB
 * warm, and cold so twins redo their access through the plain handler)
 * gives the same RIP, RAX, flags and instruction count as two single
 * steps, and a run limited to one instruction stops after the first
 * alone. CALL/RET twins match single steps; linked blocks count exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "interp_fixture.h"

static const uint64_t kVals[] = {
	0, 1, 5, 0x7f, 0x80, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	0xffffffff80000000ull, ~0ull,
};
#define NVALS (sizeof(kVals) / sizeof(kVals[0]))

struct form {
	const char *name;
	uint8_t code[8];
	unsigned len;
};

/* first operand RAX/EAX, second RCX/ECX or the immediate */
static const struct form kForms[] = {
	{ "cmp eax, ecx", { 0x39, 0xc8 }, 2 },
	{ "cmp rax, rcx", { 0x48, 0x39, 0xc8 }, 3 },
	{ "cmp eax, 0x80000000", { 0x3d, 0x00, 0x00, 0x00, 0x80 }, 5 },
	{ "cmp rax, -1", { 0x48, 0x83, 0xf8, 0xff }, 4 },
	{ "cmp rax, 5", { 0x48, 0x83, 0xf8, 0x05 }, 4 },
	{ "test eax, ecx", { 0x85, 0xc8 }, 2 },
	{ "test rax, rcx", { 0x48, 0x85, 0xc8 }, 3 },
	{ "test eax, 0x80000001", { 0xa9, 0x01, 0x00, 0x00, 0x80 }, 5 },
	{ "test rax, -0x80000000",
	  { 0x48, 0xa9, 0x00, 0x00, 0x00, 0x80 }, 6 },
	/* [rdx] holds rax's value, [rdx+8] rcx's */
	{ "cmp rax, [rdx+8]", { 0x48, 0x3b, 0x42, 0x08 }, 4 },
	{ "cmp eax, [rdx+8]", { 0x3b, 0x42, 0x08 }, 3 },
	{ "cmp [rdx], rcx", { 0x48, 0x39, 0x0a }, 3 },
	{ "cmp dword [rdx], 5", { 0x83, 0x3a, 0x05 }, 3 },
	{ "cmp byte [rdx], cl", { 0x38, 0x0a }, 2 },
	{ "test [rdx], ecx", { 0x85, 0x0a }, 2 },
	{ "cmp al, cl", { 0x38, 0xc8 }, 2 },
	{ "cmp ax, 0x8000", { 0x66, 0x3d, 0x00, 0x80 }, 4 },
	{ "test cl, al", { 0x84, 0xc1 }, 2 },
	{ "test ah, 0x81", { 0xf6, 0xc4, 0x81 }, 3 },
	/* with an index register (RSI = 0) */
	{ "cmp rax, [rdx+rsi*8+8]", { 0x48, 0x3b, 0x44, 0xf2, 0x08 }, 5 },
	{ "cmp dword [rdx+rsi*4], 5", { 0x83, 0x3c, 0xb2, 0x05 }, 4 },
	/* fused arithmetic: the result is written to RAX/EAX */
	{ "add eax, ecx", { 0x01, 0xc8 }, 2 },
	{ "add rax, rcx", { 0x48, 0x01, 0xc8 }, 3 },
	{ "add rax, 5", { 0x48, 0x83, 0xc0, 0x05 }, 4 },
	{ "add eax, 0x80000000", { 0x05, 0x00, 0x00, 0x00, 0x80 }, 5 },
	{ "sub eax, ecx", { 0x29, 0xc8 }, 2 },
	{ "sub rax, rcx", { 0x48, 0x29, 0xc8 }, 3 },
	{ "sub rax, -1", { 0x48, 0x83, 0xe8, 0xff }, 4 },
	{ "sub eax, 1", { 0x83, 0xe8, 0x01 }, 3 },
	{ "and rax, rcx", { 0x48, 0x21, 0xc8 }, 3 },
	{ "and eax, 0x80000001", { 0x25, 0x01, 0x00, 0x00, 0x80 }, 5 },
	{ "or eax, ecx", { 0x09, 0xc8 }, 2 },
	{ "or rax, 1", { 0x48, 0x83, 0xc8, 0x01 }, 4 },
	{ "xor rax, rcx", { 0x48, 0x31, 0xc8 }, 3 },
	{ "xor eax, -1", { 0x83, 0xf0, 0xff }, 3 },
};

struct outcome {
	int rc;
	uint64_t rip, rax, flags, icount;
};

static void load(struct fx *f, const struct form *fm, unsigned cc,
		 uint64_t a, uint64_t b)
{
	uint8_t code[16];

	memcpy(code, fm->code, fm->len);
	code[fm->len] = (uint8_t)(0x70 + cc);	/* jcc +0x10 */
	code[fm->len + 1] = 0x10;
	memset(code + fm->len + 2, 0xf4, sizeof(code) - fm->len - 2);
	fx_code(f, code, sizeof(code));
	f->c->s.gpr[X86_RAX] = a;
	f->c->s.gpr[X86_RCX] = b;
	f->c->s.gpr[X86_RDX] = FX_DATA;
	f->c->s.gpr[X86_RSI] = 0;
	memcpy(f->m.mem.host + FX_DATA, &a, 8);
	memcpy(f->m.mem.host + FX_DATA + 8, &b, 8);
	f->c->s.rflags = X86_RFLAGS_FIXED;
	f->c->lf.op = LF_NONE;
	f->c->icount = 0;
	f->c->prev = NULL;
}

static struct outcome run(struct fx *f, uint64_t limit)
{
	struct outcome o;

	exec_run(f->c, &f->x, limit, 0);
	o.rc = f->x.reason;
	o.rip = f->c->s.rip;
	o.rax = f->c->s.gpr[X86_RAX];
	o.flags = fx_flags(f);
	o.icount = f->c->icount;
	return o;
}

static struct outcome steps(struct fx *f, unsigned n)
{
	struct outcome o;

	o.rc = fx_steps(f, n);
	o.rip = f->c->s.rip;
	o.rax = f->c->s.gpr[X86_RAX];
	o.flags = fx_flags(f);
	o.icount = n;
	return o;
}

static void check(const struct form *fm, unsigned cc, uint64_t a,
		  uint64_t b, const struct outcome *want,
		  const struct outcome *got, unsigned n)
{
	if (want->rip == got->rip && want->flags == got->flags &&
	    want->rax == got->rax && got->icount == n &&
	    got->rc == RUN_EXIT_INSN_LIMIT)
		return;
	print_error("%s; j%x with rax=%#llx rcx=%#llx, %u insns: rip %#llx "
		    "rax %#llx flags %#llx count %llu (exit %d), single "
		    "steps: rip %#llx rax %#llx flags %#llx\n", fm->name, cc,
		    (unsigned long long)a, (unsigned long long)b, n,
		    (unsigned long long)got->rip,
		    (unsigned long long)got->rax,
		    (unsigned long long)got->flags,
		    (unsigned long long)got->icount, got->rc,
		    (unsigned long long)want->rip,
		    (unsigned long long)want->rax,
		    (unsigned long long)want->flags);
	fail();
}

static void test_fused_cmp_jcc_matches_single_steps(void **state)
{
	struct fx *f = *state;
	unsigned taken = 0, total = 0;

	(void)state;
	for (size_t k = 0; k < sizeof(kForms) / sizeof(kForms[0]); k++)
		for (unsigned cc = 0; cc < 16; cc++)
			for (size_t x = 0; x < NVALS; x++)
				for (size_t y = 0; y < NVALS; y++) {
					const struct form *fm = &kForms[k];
					uint64_t a = kVals[x], b = kVals[y];
					struct outcome want, got;

					load(f, fm, cc, a, b);
					want = steps(f, 2);
					assert_int_equal(want.rc, OP_OK);
					load(f, fm, cc, a, b);
					got = run(f, 2);
					check(fm, cc, a, b, &want, &got, 2);
					/* cold TLB: memory twins redo */
					load(f, fm, cc, a, b);
					tlb_flush(&f->c->tlb, false);
					got = run(f, 2);
					check(fm, cc, a, b, &want, &got, 2);
					taken += want.rip != FX_CODE + fm->len + 2;
					total++;

					load(f, fm, cc, a, b);
					want = steps(f, 1);
					load(f, fm, cc, a, b);
					got = run(f, 1);
					check(fm, cc, a, b, &want, &got, 1);
				}
	/* both outcomes were exercised */
	assert_true(taken > total / 8 && taken < total - total / 8);
}

/* CALL rel32 and RET twins (warm and cold TLB) against single steps. */
static void test_call_ret_twins_match_single_steps(void **state)
{
	struct fx *f = *state;
	/* call +3; hlt x3; ret (returns to the first hlt) */
	static const uint8_t code[] = { 0xe8, 0x03, 0x00, 0x00, 0x00,
					0xf4, 0xf4, 0xf4, 0xc3 };

	for (unsigned cold = 0; cold < 2; cold++) {
		uint64_t ret_addr = 0;

		fx_code(f, code, sizeof(code));
		f->c->s.gpr[X86_RSP] = FX_STACK;
		assert_int_equal(fx_step(f), OP_OK);
		assert_int_equal(f->c->s.rip, FX_CODE + 8);
		assert_int_equal(f->c->s.gpr[X86_RSP], FX_STACK - 8);
		assert_int_equal(fx_step(f), OP_OK);
		assert_int_equal(f->c->s.rip, FX_CODE + 5);

		fx_code(f, code, sizeof(code));
		memset(f->m.mem.host + FX_STACK - 8, 0, 8);
		f->c->s.gpr[X86_RSP] = FX_STACK;
		f->c->icount = 0;
		f->c->prev = NULL;
		if (cold)
			tlb_flush(&f->c->tlb, false);
		exec_run(f->c, &f->x, 2, 0);
		memcpy(&ret_addr, f->m.mem.host + FX_STACK - 8, 8);
		assert_int_equal(f->x.reason, RUN_EXIT_INSN_LIMIT);
		assert_int_equal(f->c->icount, 2);
		assert_int_equal(f->c->s.rip, FX_CODE + 5);
		assert_int_equal(f->c->s.gpr[X86_RSP], FX_STACK);
		assert_int_equal(ret_addr, FX_CODE + 5);
	}
}

/*
 * A loop run without an instruction limit links its block to itself
 * (thread.h): the count and the registers must still be exact, with the
 * loop branch fused (SUB+JNZ) or not (DEC, JNZ), and a limit in the
 * middle of the loop must stop on the exact instruction.
 */
static void test_linked_blocks_count_exactly(void **state)
{
	struct fx *f = *state;
	/* mov ecx, 1000; L: add eax, 1; dec ecx | sub ecx, 1; jnz L; hlt */
	static const uint8_t dec[] = { 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x83,
				       0xc0, 0x01, 0xff, 0xc9, 0x75, 0xf9,
				       0xf4 };
	static const uint8_t sub[] = { 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x83,
				       0xc0, 0x01, 0x83, 0xe9, 0x01, 0x75,
				       0xf8, 0xf4 };
	const struct { const uint8_t *code; size_t len; } loops[] = {
		{ dec, sizeof(dec) }, { sub, sizeof(sub) },
	};

	for (unsigned k = 0; k < 2; k++) {
		fx_code(f, loops[k].code, loops[k].len);
		f->c->s.gpr[X86_RAX] = 0;
		f->c->s.rflags = X86_RFLAGS_FIXED;	/* IF = 0: HLT stops */
		f->c->icount = 0;
		f->c->prev = NULL;
		f->c->halted = false;
		exec_run(f->c, &f->x, 0, 0);
		assert_int_equal(f->x.reason, RUN_EXIT_HALTED);
		assert_int_equal(f->c->icount, 1 + 3 * 1000 + 1);
		assert_int_equal(f->c->s.gpr[X86_RAX], 1000);
		assert_int_equal(f->c->s.gpr[X86_RCX], 0);
		assert_int_equal(f->c->s.rip, FX_CODE + loops[k].len);

		fx_code(f, loops[k].code, loops[k].len);
		f->c->s.gpr[X86_RAX] = 0;
		f->c->icount = 0;
		f->c->prev = NULL;
		f->c->halted = false;
		exec_run(f->c, &f->x, 1502, 0);	/* 500 loops and an ADD */
		assert_int_equal(f->x.reason, RUN_EXIT_INSN_LIMIT);
		assert_int_equal(f->c->icount, 1502);
		assert_int_equal(f->c->s.gpr[X86_RAX], 501);
		assert_int_equal(f->c->s.gpr[X86_RCX], 500);
		assert_int_equal(f->c->s.rip, FX_CODE + 8);
	}
}

/*
 * A JMP rel to the same page does not end its block (icache.c): the
 * block goes on at the target, with offsets from the block's RIP that
 * may be negative. From RIP 18: add ebx, 1; jmp 0; lea rdx, [rip]
 * (a RIP-relative operand behind a backward jump); jmp 17; hlt. The
 * whole-block run must match single steps, and a loop with a JMP in
 * its body must count exactly.
 */
static void test_jump_through_blocks(void **state)
{
	struct fx *f = *state;
	uint8_t code[23];
	/* mov ecx, 1000; L: add eax, 1; jmp M; hlt; M: sub ecx, 1; jnz L;
	 * hlt */
	static const uint8_t loop[] = { 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x83,
					0xc0, 0x01, 0xeb, 0x01, 0xf4, 0x83,
					0xe9, 0x01, 0x75, 0xf5, 0xf4 };
	uint64_t rdx, rbx, rip;

	memset(code, 0xf4, sizeof(code));
	memcpy(code, (uint8_t[]){ 0x48, 0x8d, 0x15, 0, 0, 0, 0 }, 7);
	memcpy(code + 7, (uint8_t[]){ 0xeb, 0x08 }, 2);
	memcpy(code + 18, (uint8_t[]){ 0x83, 0xc3, 0x01, 0xeb, 0xe9 }, 5);

	fx_code(f, code, sizeof(code));
	f->c->s.rip = FX_CODE + 18;
	f->c->s.gpr[X86_RBX] = 7;
	f->c->s.gpr[X86_RDX] = 0;
	f->c->halted = false;
	assert_int_equal(fx_steps(f, 5), OP_OK);
	rdx = f->c->s.gpr[X86_RDX];
	rbx = f->c->s.gpr[X86_RBX];
	rip = f->c->s.rip;
	assert_int_equal(rdx, FX_CODE + 7);
	assert_int_equal(rbx, 8);
	assert_int_equal(rip, FX_CODE + 18);

	fx_code(f, code, sizeof(code));
	f->c->s.rip = FX_CODE + 18;
	f->c->s.gpr[X86_RBX] = 7;
	f->c->s.gpr[X86_RDX] = 0;
	f->c->s.rflags = X86_RFLAGS_FIXED;	/* IF = 0: HLT stops */
	f->c->icount = 0;
	f->c->prev = NULL;
	f->c->halted = false;
	exec_run(f->c, &f->x, 0, 0);
	assert_int_equal(f->x.reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->icount, 5);
	assert_int_equal(f->c->s.gpr[X86_RDX], rdx);
	assert_int_equal(f->c->s.gpr[X86_RBX], rbx);
	assert_int_equal(f->c->s.rip, rip);

	fx_code(f, loop, sizeof(loop));
	f->c->s.gpr[X86_RAX] = 0;
	f->c->icount = 0;
	f->c->prev = NULL;
	f->c->halted = false;
	exec_run(f->c, &f->x, 0, 0);
	assert_int_equal(f->x.reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->icount, 1 + 4 * 1000 + 1);
	assert_int_equal(f->c->s.gpr[X86_RAX], 1000);
	assert_int_equal(f->c->s.rip, FX_CODE + sizeof(loop));
}

static int setup(void **state)
{
	*state = fx_new();
	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_fused_cmp_jcc_matches_single_steps, setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_call_ret_twins_match_single_steps, setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_linked_blocks_count_exactly, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_jump_through_blocks, setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
