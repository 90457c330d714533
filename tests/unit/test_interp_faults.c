/*
 * test_interp_faults.c - the interpreter's architectural corner cases:
 * #SS(0) instead of #GP(0) for a non-canonical stack-segment reference
 * (implicit stack operations, base RSP/RBP even with a DS:/SS: override,
 * which 64-bit mode ignores; FS:/GS: and DS references stay #GP) and for an exception frame pushed at a
 * non-canonical RSP; #AC(0) for misaligned CPL3 data accesses with CR0.AM
 * and RFLAGS.AC; far JMP/CALL through memory and far RET with their
 * descriptor and privilege checks; INS/OUTS with REP through the I/O bus;
 * CMPXCHG8B, XLAT, MOVNTI, SMSW/LMSW, STR, CLAC, and #UD for instructions
 * of features the machine's CPUID does not advertise.
 * Each checks the vector, the error code, the RIP and the state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "interp_fixture.h"
#include "interp/intr.h"
#include "interp/ssfault.h"
#include "vmb_abi.h"

#define GDT 0x8000ull
#define IDT 0x9000ull
#define TSS 0xa000ull
#define HANDLER 0x180000ull	/* every vector's handler: hlt */
#define KSTACK 0x340000ull	/* TSS RSP0 */
#define ISTACK 0x350000ull	/* TSS IST1, used by #SS and #DF */
#define NC 0x0000800000000010ull	/* just above the lower half */

/* GDT: null, code64 0x08, data 0x10, user data 0x18, user code 0x20,
 * code64 not present 0x28, conforming code64 DPL0 0x30. IDT: 32 gates
 * at HANDLER, #SS and #DF on IST1. TSS: RSP0, IST1. */
static int setup(void **state)
{
	struct fx *f = fx_new();
	struct cpu *c = f->c;
	char err[256];

	assert_int_equal(devices_register_standard(&f->m, err, sizeof(err)), 0);
	fx_put64(f, GDT + 0x00, 0);
	fx_put64(f, GDT + 0x08, 0x00af9a000000ffffull);
	fx_put64(f, GDT + 0x10, 0x00cf92000000ffffull);
	fx_put64(f, GDT + 0x18, 0x00cff2000000ffffull);
	fx_put64(f, GDT + 0x20, 0x00affa000000ffffull);
	fx_put64(f, GDT + 0x28, 0x00af1a000000ffffull);
	fx_put64(f, GDT + 0x30, 0x00af9e000000ffffull);
	c->s.gdtr = (struct x86_dtable){ GDT, 0x37 };
	for (unsigned v = 0; v < 32; v++) {
		uint64_t ist = v == X86_VEC_SS || v == X86_VEC_DF;
		uint64_t lo = (HANDLER & 0xffff) | (8ull << 16) | (ist << 32) |
			      (0x8eull << 40) | ((HANDLER >> 16 & 0xffff) << 48);
		fx_put64(f, IDT + v * 16, lo);
		fx_put64(f, IDT + v * 16 + 8, HANDLER >> 32);
	}
	c->s.idtr = (struct x86_dtable){ IDT, 32 * 16 - 1 };
	f->m.mem.host[HANDLER] = 0xf4;	/* hlt */
	fx_put64(f, TSS + 4, KSTACK);
	fx_put64(f, TSS + 36, ISTACK);
	fx_put64(f, TSS + 96, 0x68ull << 48);	/* no I/O bitmap */
	c->s.tr = (struct x86_segment){ .selector = 0x40, .base = TSS,
					.limit = 0x67, .type = 0xb,
					.present = 1 };
	*state = f;
	return 0;
}



/* To CPL3 with the user code and data segments. */
static void user_mode(struct fx *f)
{
	seg_flat_code(&f->c->s.seg[X86_CS], 0x23, 3);
	seg_flat_data(&f->c->s.seg[X86_SS], 0x1b, 3);
}

/* Execute the one instruction at FX_CODE; the exception it raises, as
 * delivery would see it (#GP/#SS classified), or -1 for none. */
static int fault_of(struct fx *f, const uint8_t *code, size_t len)
{
	fx_code(f, code, len);
	if (fx_step(f) != OP_FAULT)
		return -1;
	ssfault_classify(f->c);
	return f->c->exc.vector;
}

/* A frame pushed by delivery with an error code at (top): RIP, CS, RSP. */
static void frame_check(struct fx *f, uint64_t top, uint64_t err,
			uint64_t rip, uint64_t cs, uint64_t rsp)
{
	assert_int_equal(fx_get64(f, top - 48), err);
	assert_int_equal(fx_get64(f, top - 40), rip);
	assert_int_equal(fx_get64(f, top - 32), cs);
	assert_int_equal(fx_get64(f, top - 16), rsp);
	assert_int_equal(f->c->s.gpr[X86_RSP], top - 48);
	assert_int_equal(f->c->s.rip, HANDLER + 1);
}

static void test_push_at_noncanonical_rsp_raises_ss(void **state)
{
	struct fx *f = *state;
	static const uint8_t code[] = { 0x50 };	/* push rax */

	fx_code(f, code, sizeof(code));
	f->c->s.gpr[X86_RSP] = NC;
	assert_int_equal(fx_run(f, 2)->reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_SS], 1);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_GP], 0);
	frame_check(f, ISTACK, 0, FX_CODE, 8, NC);
}

static void test_stack_segment_references_raise_ss(void **state)
{
	struct fx *f = *state;
	/* explicit SS references */
	static const uint8_t rbp[] = { 0x48, 0x8b, 0x45, 0x00 };  /* mov rax, [rbp] */
	static const uint8_t rsp[] = { 0x48, 0x8b, 0x04, 0x24 };  /* mov rax, [rsp] */
	/* 64-bit mode ignores CS/DS/ES/SS overrides (SDM Vol. 1 3.3.7.1) */
	static const uint8_t ds_rbp[] = { 0x3e, 0x48, 0x8b, 0x45, 0x00 };
	static const uint8_t ss_rax[] = { 0x36, 0x48, 0x8b, 0x00 };
	/* not SS: DS default, FS override, memory operand of a push */
	static const uint8_t rax[] = { 0x48, 0x8b, 0x00 };	/* [rax] */
	static const uint8_t fs_rbp[] = { 0x64, 0x48, 0x8b, 0x45, 0x00 };
	static const uint8_t push_m[] = { 0xff, 0x30 };	/* push [rax] */
	/* implicit stack references */
	static const uint8_t pop[] = { 0x58 };		/* pop rax */
	static const uint8_t call[] = { 0xe8, 0, 0, 0, 0 };
	static const uint8_t ret[] = { 0xc3 };
	static const uint8_t leave[] = { 0xc9 };
	static const uint8_t pushf[] = { 0x9c };

	fx_gpr(f)[X86_RBP] = NC;
	assert_int_equal(fault_of(f, rbp, sizeof(rbp)), X86_VEC_SS);
	assert_int_equal(f->c->exc.error, 0);
	assert_int_equal(fault_of(f, ds_rbp, sizeof(ds_rbp)), X86_VEC_SS);
	assert_int_equal(fault_of(f, fs_rbp, sizeof(fs_rbp)), X86_VEC_GP);
	assert_int_equal(fault_of(f, leave, sizeof(leave)), X86_VEC_SS);
	assert_int_equal(f->c->s.gpr[X86_RSP], FX_STACK);	/* unchanged */
	fx_gpr(f)[X86_RBP] = FX_STACK;
	fx_gpr(f)[X86_RAX] = NC;
	assert_int_equal(fault_of(f, rax, sizeof(rax)), X86_VEC_GP);
	assert_int_equal(fault_of(f, ss_rax, sizeof(ss_rax)), X86_VEC_GP);
	assert_int_equal(fault_of(f, push_m, sizeof(push_m)), X86_VEC_GP);
	assert_int_equal(f->c->exc.va, NC);
	fx_gpr(f)[X86_RSP] = NC;
	assert_int_equal(fault_of(f, rsp, sizeof(rsp)), X86_VEC_SS);
	assert_int_equal(fault_of(f, pop, sizeof(pop)), X86_VEC_SS);
	assert_int_equal(fault_of(f, call, sizeof(call)), X86_VEC_SS);
	assert_int_equal(fault_of(f, ret, sizeof(ret)), X86_VEC_SS);
	assert_int_equal(fault_of(f, pushf, sizeof(pushf)), X86_VEC_SS);
	assert_int_equal(f->c->s.gpr[X86_RSP], NC);
	assert_int_equal(f->c->s.rip, FX_CODE);
}

/* #UD (benign) at a non-canonical RSP: its frame cannot be pushed, which
 * raises #SS (delivered on IST1, with the RSP of the #UD) */
static void test_frame_at_noncanonical_rsp_raises_ss(void **state)
{
	struct fx *f = *state;
	static const uint8_t code[] = { 0x0f, 0x0b };	/* ud2 */

	fx_code(f, code, sizeof(code));
	f->c->s.gpr[X86_RSP] = NC;
	assert_int_equal(fx_run(f, 2)->reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_SS], 1);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_DF], 0);
	frame_check(f, ISTACK, 0, FX_CODE, 8, NC);
}

/* #GP (contributory) whose frame hits a non-canonical RSP: #SS during
 * its delivery is a double fault (SDM Vol. 3A Table 6-5) */
static void test_gp_frame_at_noncanonical_rsp_is_double_fault(void **state)
{
	struct fx *f = *state;
	static const uint8_t code[] = { 0x48, 0x8b, 0x00 };	/* [rax] */

	fx_code(f, code, sizeof(code));
	fx_gpr(f)[X86_RAX] = NC;
	f->c->s.gpr[X86_RSP] = NC;
	assert_int_equal(fx_run(f, 2)->reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_DF], 1);
	frame_check(f, ISTACK, 0, FX_CODE, 8, NC);
}

static void test_misaligned_user_access_raises_ac(void **state)
{
	struct fx *f = *state;
	static const uint8_t load[] = { 0x8b, 0x03 };	/* mov eax, [rbx] */
	static const uint8_t loadb[] = { 0x8a, 0x03 };	/* mov al, [rbx] */
	static const uint8_t push[] = { 0x50 };		/* push rax */
	static const uint8_t store[] = { 0x66, 0x89, 0x03 };	/* mov [rbx], ax */

	user_mode(f);
	f->c->s.cr0 |= X86_CR0_AM;
	f->c->s.rflags |= X86_RFLAGS_AC;
	fx_gpr(f)[X86_RBX] = FX_DATA + 1;
	assert_int_equal(fault_of(f, load, sizeof(load)), X86_VEC_AC);
	assert_true(f->c->exc.has_error);
	assert_int_equal(f->c->exc.error, 0);
	assert_int_equal(f->c->s.rip, FX_CODE);
	assert_int_equal(fault_of(f, store, sizeof(store)), X86_VEC_AC);
	assert_int_equal(fault_of(f, loadb, sizeof(loadb)), -1);	/* bytes */
	fx_gpr(f)[X86_RBX] = FX_DATA + 2;
	assert_int_equal(fault_of(f, store, sizeof(store)), -1);
	fx_gpr(f)[X86_RBX] = FX_DATA + 4;
	*(uint32_t *)(f->m.mem.host + FX_DATA + 4) = 0x12345678;
	assert_int_equal(fault_of(f, load, sizeof(load)), -1);
	assert_int_equal(fx_gpr(f)[X86_RAX], 0x12345678);
	fx_gpr(f)[X86_RSP] = FX_STACK - 4;
	assert_int_equal(fault_of(f, push, sizeof(push)), X86_VEC_AC);
	assert_int_equal(fx_gpr(f)[X86_RSP], FX_STACK - 4);
	/* no check with AC clear, with AM clear, or at CPL0 */
	fx_gpr(f)[X86_RBX] = FX_DATA + 1;
	f->c->s.rflags &= ~X86_RFLAGS_AC;
	assert_int_equal(fault_of(f, load, sizeof(load)), -1);
	f->c->s.rflags |= X86_RFLAGS_AC;
	f->c->s.cr0 &= ~X86_CR0_AM;
	assert_int_equal(fault_of(f, load, sizeof(load)), -1);
	f->c->s.cr0 |= X86_CR0_AM;
	seg_flat_code(&f->c->s.seg[X86_CS], 8, 0);
	assert_int_equal(fault_of(f, load, sizeof(load)), -1);
}

/* Delivered from CPL3 through RSP0; REP MOVSW checks every element */
static void test_ac_is_delivered_from_user_mode(void **state)
{
	struct fx *f = *state;
	/* popf from a stack with AC set, then mov eax, [rbx+1] */
	static const uint8_t code[] = { 0x9d, 0x8b, 0x43, 0x01 };
	static const uint8_t movs[] = { 0x66, 0xf3, 0xa5 };	/* rep movsw */

	user_mode(f);
	f->c->s.cr0 |= X86_CR0_AM;
	fx_code(f, code, sizeof(code));
	fx_put64(f, FX_STACK - 8, X86_RFLAGS_FIXED | X86_RFLAGS_AC);
	fx_gpr(f)[X86_RSP] = FX_STACK - 8;
	fx_gpr(f)[X86_RBX] = FX_DATA;
	assert_int_equal(fx_run(f, 3)->reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_AC], 1);
	frame_check(f, KSTACK, 0, FX_CODE + 1, 0x23, FX_STACK);
	assert_true(fx_get64(f, KSTACK - 24) & X86_RFLAGS_AC);

	user_mode(f);
	f->c->s.rflags |= X86_RFLAGS_AC;
	f->c->halted = false;
	fx_gpr(f)[X86_RSI] = FX_DATA;
	fx_gpr(f)[X86_RDI] = FX_DATA + 0x101;
	fx_gpr(f)[X86_RCX] = 4;
	assert_int_equal(fault_of(f, movs, sizeof(movs)), X86_VEC_AC);
	assert_int_equal(fx_gpr(f)[X86_RCX], 4);
	fx_gpr(f)[X86_RDI] = FX_DATA + 0x100;
	assert_int_equal(fault_of(f, movs, sizeof(movs)), -1);
	assert_int_equal(fx_gpr(f)[X86_RCX], 0);
}

static void test_far_jmp_call_ret_through_memory(void **state)
{
	struct fx *f = *state;
	/* rex.w call far [rax]; at +0x40: rex.w retf */
	static const uint8_t code[] = { 0x48, 0xff, 0x18 };
	static const uint8_t jmp[] = { 0x48, 0xff, 0x28 };	/* jmp far */
	static const uint8_t jmp32[] = { 0xff, 0x28 };	/* m16:32 */
	static const uint8_t retf[] = { 0x48, 0xcb };

	memcpy(f->m.mem.host + FX_CODE + 0x40, retf, sizeof(retf));
	fx_put64(f, FX_DATA, FX_CODE + 0x40);
	fx_put64(f, FX_DATA + 8, 0x08);
	fx_gpr(f)[X86_RAX] = FX_DATA;
	fx_code(f, code, sizeof(code));
	memcpy(f->m.mem.host + FX_CODE + 0x40, retf, sizeof(retf));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(f->c->s.rip, FX_CODE + 0x40);
	assert_int_equal(f->c->s.seg[X86_CS].selector, 0x08);
	assert_int_equal(fx_gpr(f)[X86_RSP], FX_STACK - 16);
	assert_int_equal(fx_get64(f, FX_STACK - 8), 0x08);
	assert_int_equal(fx_get64(f, FX_STACK - 16), FX_CODE + 3);
	assert_int_equal(fx_step(f), OP_OK);	/* retf */
	assert_int_equal(f->c->s.rip, FX_CODE + 3);
	assert_int_equal(fx_gpr(f)[X86_RSP], FX_STACK);
	/* retf to RPL1 of the DPL0 code segment: #GP(selector) */
	fx_put64(f, FX_STACK - 16, FX_CODE);
	fx_put64(f, FX_STACK - 8, 0x09);
	fx_gpr(f)[X86_RSP] = FX_STACK - 16;
	assert_int_equal(fault_of(f, retf, sizeof(retf)), X86_VEC_GP);
	assert_int_equal(f->c->exc.error, 0x08);
	assert_int_equal(fx_gpr(f)[X86_RSP], FX_STACK - 16);
	fx_gpr(f)[X86_RSP] = FX_STACK;

	/* jmp far to the conforming segment: CPL stays 0 */
	fx_put64(f, FX_DATA + 8, 0x30);
	fx_code(f, jmp, sizeof(jmp));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(f->c->s.rip, FX_CODE + 0x40);
	assert_int_equal(f->c->s.seg[X86_CS].selector, 0x30);
	assert_int_equal(x86_cpl(&f->c->s), 0);
	/* m16:32: offset zero-extended, selector at +4 */
	seg_flat_code(&f->c->s.seg[X86_CS], 8, 0);
	fx_put64(f, FX_DATA, (0x08ull << 32) | (uint32_t)(FX_CODE + 0x80));
	fx_code(f, jmp32, sizeof(jmp32));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(f->c->s.rip, FX_CODE + 0x80);

	/* faults: null, data, other privilege, not present, RPL > CPL at
	 * CPL3 to DPL0; the state stays at the instruction */
	fx_put64(f, FX_DATA, FX_CODE + 0x40);
	static const struct { uint64_t sel; unsigned vec, err; } bad[] = {
		{ 0x00, X86_VEC_GP, 0 }, { 0x10, X86_VEC_GP, 0x10 },
		{ 0x23, X86_VEC_GP, 0x20 }, { 0x28, X86_VEC_NP, 0x28 },
		{ 0x48, X86_VEC_GP, 0x48 },	/* past the GDT limit */
	};
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		fx_put64(f, FX_DATA + 8, bad[k].sel);
		assert_int_equal(fault_of(f, code, sizeof(code)), bad[k].vec);
		assert_int_equal(f->c->exc.error, bad[k].err);
		assert_int_equal(f->c->s.rip, FX_CODE);
		assert_int_equal(fx_gpr(f)[X86_RSP], FX_STACK);
		assert_int_equal(f->c->s.seg[X86_CS].selector, 0x08);
	}
	user_mode(f);
	fx_put64(f, FX_DATA + 8, 0x08);
	assert_int_equal(fault_of(f, jmp, sizeof(jmp)), X86_VEC_GP);
	assert_int_equal(f->c->exc.error, 0x08);
}

static void test_ins_outs_go_through_the_io_bus(void **state)
{
	struct fx *f = *state;
	static const uint8_t outs[] = { 0xf3, 0x6e };	/* rep outsb */
	static const uint8_t ins[] = { 0xf3, 0x66, 0x6d };	/* rep insw */
	uint64_t pio = f->c->traps.count[TRAP_PIO];

	fx_gpr(f)[X86_RDX] = 0x80;	/* no device: reads give all ones */
	fx_gpr(f)[X86_RSI] = FX_DATA;
	fx_gpr(f)[X86_RCX] = 3;
	fx_code(f, outs, sizeof(outs));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(fx_gpr(f)[X86_RCX], 0);
	assert_int_equal(fx_gpr(f)[X86_RSI], FX_DATA + 3);
	assert_int_equal(f->c->traps.count[TRAP_PIO], pio + 3);
	fx_gpr(f)[X86_RDI] = FX_DATA + 0x10;
	fx_gpr(f)[X86_RCX] = 2;
	fx_code(f, ins, sizeof(ins));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(fx_gpr(f)[X86_RDI], FX_DATA + 0x14);
	assert_int_equal(fx_get64(f, FX_DATA + 0x10) & 0xffffffff, 0xffffffff);
	assert_int_equal(f->c->traps.count[TRAP_PIO], pio + 5);
	assert_int_equal(f->c->s.rip, FX_CODE + sizeof(ins));
	/* CPL3 with IOPL 0 and no I/O bitmap: #GP(0) before any access */
	user_mode(f);
	fx_gpr(f)[X86_RCX] = 2;
	assert_int_equal(fault_of(f, ins, sizeof(ins)), X86_VEC_GP);
	assert_int_equal(f->c->exc.error, 0);
	assert_int_equal(fx_gpr(f)[X86_RCX], 2);
	assert_int_equal(f->c->traps.count[TRAP_PIO], pio + 5);
}

static void test_legacy_integer_and_system_instructions(void **state)
{
	struct fx *f = *state;
	struct cpu *c = f->c;
	static const uint8_t cx8[] = { 0x0f, 0xc7, 0x0f };	/* [rdi] */
	static const uint8_t xlat[] = { 0xd7 };
	static const uint8_t movnti[] = { 0x0f, 0xc3, 0x07 };	/* [rdi], eax */
	static const uint8_t smsw[] = { 0x48, 0x0f, 0x01, 0xe0 };	/* rax */
	static const uint8_t str[] = { 0x0f, 0x00, 0xc9 };	/* str ecx */
	static const uint8_t lmsw[] = { 0x0f, 0x01, 0xf0 };	/* lmsw ax */
	static const uint8_t clac[] = { 0x0f, 0x01, 0xca };
	static const uint8_t rdrand[] = { 0x0f, 0xc7, 0xf0 };
	static const uint8_t cx16[] = { 0x48, 0x0f, 0xc7, 0x0f };

	fx_put64(f, FX_DATA, 0x1111111122222222ull);
	fx_gpr(f)[X86_RDI] = FX_DATA;
	fx_gpr(f)[X86_RDX] = 0xffffffff11111111ull;
	fx_gpr(f)[X86_RAX] = 0xffffffff22222222ull;
	fx_gpr(f)[X86_RCX] = 0x33333333;
	fx_gpr(f)[X86_RBX] = 0x44444444;
	fx_code(f, cx8, sizeof(cx8));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(fx_get64(f, FX_DATA), 0x3333333344444444ull);
	assert_true(flags_get(c) & X86_RFLAGS_ZF);
	fx_code(f, cx8, sizeof(cx8));	/* now unequal: loads EDX:EAX */
	assert_int_equal(fx_step(f), OP_OK);
	assert_false(flags_get(c) & X86_RFLAGS_ZF);
	assert_int_equal(fx_gpr(f)[X86_RAX], 0x44444444);
	assert_int_equal(fx_gpr(f)[X86_RDX], 0x33333333);

	f->m.mem.host[FX_DATA + 0x85] = 0x5a;
	fx_gpr(f)[X86_RBX] = FX_DATA;
	fx_gpr(f)[X86_RAX] = 0x1285;
	fx_code(f, xlat, sizeof(xlat));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(fx_gpr(f)[X86_RAX], 0x125a);

	fx_gpr(f)[X86_RAX] = 0x87654321;
	fx_code(f, movnti, sizeof(movnti));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(fx_get64(f, FX_DATA), 0x3333333387654321ull);

	fx_code(f, smsw, sizeof(smsw));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(fx_gpr(f)[X86_RAX], c->s.cr0);
	fx_gpr(f)[X86_RCX] = ~0ull;
	fx_code(f, str, sizeof(str));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(fx_gpr(f)[X86_RCX], 0x40);
	fx_gpr(f)[X86_RAX] = 0x8;	/* TS; PE stays set */
	fx_code(f, lmsw, sizeof(lmsw));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(c->s.cr0 & 0xf, 0x9);

	/* CPUID advertises neither SMAP, RDRAND nor CX16: #UD */
	c->feat.smap = false;
	assert_int_equal(fault_of(f, clac, sizeof(clac)), X86_VEC_UD);
	assert_int_equal(fault_of(f, rdrand, sizeof(rdrand)), X86_VEC_UD);
	assert_int_equal(fault_of(f, cx16, sizeof(cx16)), X86_VEC_UD);
	c->feat.smap = true;
	c->s.rflags |= X86_RFLAGS_AC;
	fx_code(f, clac, sizeof(clac));
	assert_int_equal(fx_step(f), OP_OK);
	assert_false(c->s.rflags & X86_RFLAGS_AC);
	user_mode(f);
	assert_int_equal(fault_of(f, lmsw, sizeof(lmsw)), X86_VEC_GP);
	assert_int_equal(fault_of(f, clac, sizeof(clac)), X86_VEC_UD);
	assert_int_equal(fault_of(f, str, sizeof(str)), -1);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_push_at_noncanonical_rsp_raises_ss),
		T(test_stack_segment_references_raise_ss),
		T(test_frame_at_noncanonical_rsp_raises_ss),
		T(test_gp_frame_at_noncanonical_rsp_is_double_fault),
		T(test_misaligned_user_access_raises_ac),
		T(test_ac_is_delivered_from_user_mode),
		T(test_far_jmp_call_ret_through_memory),
		T(test_ins_outs_go_through_the_io_bus),
		T(test_legacy_integer_and_system_instructions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
