/*
 * test_interp_system.c - the interpreter's system side: exception
 * delivery through the IDT (#DE, #UD, #PF with CR2 and error code, triple
 * fault), unsupported instructions, self-modifying code, the exit port,
 * HLT, SYSCALL/SYSRET, VMCALL, exact instruction limits, and the string
 * and stack instructions. Code snippets are byte arrays with their
 * assembly in comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <x86intrin.h>

#include <cmocka.h>

#include "interp_fixture.h"
#include "vmb_abi.h"

#define GDT 0x8000ull
#define IDT 0x9000ull
#define HANDLER 0x180000ull	/* every vector's handler: hlt */
#define PML4 0x10000ull

/* GDT (null, code64 0x08, data 0x10, user data 0x1b, user code 0x23)
 * and an IDT whose 32 gates all point at HANDLER. */
static void tables_setup(struct fx *f)
{
	fx_put64(f, GDT + 0x00, 0);
	fx_put64(f, GDT + 0x08, 0x00af9a000000ffffull);
	fx_put64(f, GDT + 0x10, 0x00cf92000000ffffull);
	fx_put64(f, GDT + 0x18, 0x00cff2000000ffffull);
	fx_put64(f, GDT + 0x20, 0x00affa000000ffffull);
	f->c->s.gdtr = (struct x86_dtable){ GDT, 0x27 };
	for (unsigned v = 0; v < 32; v++) {
		uint64_t lo = (HANDLER & 0xffff) | (8ull << 16) |
			      (0x8eull << 40) | ((HANDLER >> 16 & 0xffff) << 48);
		fx_put64(f, IDT + v * 16, lo);
		fx_put64(f, IDT + v * 16 + 8, HANDLER >> 32);
	}
	f->c->s.idtr = (struct x86_dtable){ IDT, 32 * 16 - 1 };
	f->m.mem.host[HANDLER] = 0xf4;	/* hlt */
}

/* Identity map [0, 4 MiB): 2 MiB page for the first half, 4 KiB pages
 * for the second; FX_DATA + 0x1000 read-only, FX_DATA + 0x2000 absent. */
static void paging_setup(struct fx *f)
{
	fx_put64(f, PML4, (PML4 + 0x1000) | 3);
	fx_put64(f, PML4 + 0x1000, (PML4 + 0x2000) | 3);
	fx_put64(f, PML4 + 0x2000, 0x83);			/* 0-2M, PS */
	fx_put64(f, PML4 + 0x2000 + 8, (PML4 + 0x3000) | 3);
	for (unsigned k = 0; k < 512; k++)
		fx_put64(f, PML4 + 0x3000 + k * 8, (0x200000ull + k * 0x1000) | 3);
	fx_put64(f, PML4 + 0x3000 + 1 * 8, 0x201000ull | 1);	/* read-only */
	fx_put64(f, PML4 + 0x3000 + 2 * 8, 0);			/* absent */
	f->c->s.cr3 = PML4;
	f->c->s.cr0 |= X86_CR0_PG | X86_CR0_WP;
	tlb_flush(&f->c->tlb, false);
}

static int setup(void **state)
{
	struct fx *f = fx_new();
	char err[256];

	assert_int_equal(devices_register_standard(&f->m, err, sizeof(err)), 0);
	tables_setup(f);
	*state = f;
	return 0;
}



static void test_div_by_zero_delivers_de_through_idt(void **state)
{
	struct fx *f = *state;
	/* xor ecx, ecx; div ecx */
	static const uint8_t code[] = { 0x31, 0xc9, 0xf7, 0xf1 };

	fx_code(f, code, sizeof(code));
	/* xor, then the handler's hlt (with IF=0: the run ends halted) */
	assert_int_equal(fx_run(f, 2)->reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->s.rip, HANDLER + 1);
	/* frame: RIP of the div (precise), CS, RFLAGS, RSP, SS */
	assert_int_equal(fx_get64(f, FX_STACK - 40), FX_CODE + 2);
	assert_int_equal(fx_get64(f, FX_STACK - 32), 8);
	assert_int_equal(fx_get64(f, FX_STACK - 16), FX_STACK);
	assert_int_equal(f->c->s.gpr[X86_RSP], FX_STACK - 40);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_DE], 1);
	assert_false(f->c->s.rflags & X86_RFLAGS_IF);
}

static void test_ud2_and_bad_encoding_raise_ud(void **state)
{
	struct fx *f = *state;
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	static const uint8_t bad[] = { 0x0f, 0xff, 0xff };	/* invalid */

	fx_code(f, ud2, sizeof(ud2));
	assert_int_equal(fx_step(f), OP_FAULT);
	assert_int_equal(f->c->exc.vector, X86_VEC_UD);
	assert_int_equal(f->c->s.rip, FX_CODE);
	fx_code(f, bad, sizeof(bad));
	assert_int_equal(fx_step(f), OP_FAULT);
	assert_int_equal(f->c->exc.vector, X86_VEC_UD);
}

static void test_page_fault_reports_cr2_and_error_code(void **state)
{
	struct fx *f = *state;
	/* mov rax, [FX_DATA + 0x2000] ; mov [FX_DATA + 0x1000], rax */
	static const uint8_t rd[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x20,
				      0x20, 0x00 };
	static const uint8_t wr[] = { 0x48, 0x89, 0x04, 0x25, 0x00, 0x10,
				      0x20, 0x00 };

	paging_setup(f);
	fx_code(f, rd, sizeof(rd));
	assert_int_equal(fx_step(f), OP_FAULT);
	assert_int_equal(f->c->exc.vector, X86_VEC_PF);
	assert_int_equal(f->c->exc.error, 0);		/* not present, read */
	assert_int_equal(f->c->s.cr2, FX_DATA + 0x2000);
	fx_code(f, wr, sizeof(wr));
	assert_int_equal(fx_step(f), OP_FAULT);
	assert_int_equal(f->c->exc.error, X86_PF_P | X86_PF_W);
	assert_int_equal(f->c->s.cr2, FX_DATA + 0x1000);
	/* delivered: CR2 kept, error code on the stack */
	fx_run(f, 1);
	assert_int_equal(f->c->s.rip, HANDLER + 1);
	assert_int_equal(fx_get64(f, FX_STACK - 48), X86_PF_P | X86_PF_W);
	assert_int_equal(f->c->traps.exception_by_vector[X86_VEC_PF], 1);
}

static void test_invlpg_drops_stale_translations(void **state)
{
	struct fx *f = *state;
	struct cpu *c = f->c;
	/* mov rax, [FX_DATA + 0x3000] ; invlpg [FX_DATA + 0x3000] ;
	 * mov rax, [FX_DATA + 0x3000] ; mov rbx, [0x1000] ;
	 * invlpg [0x1ff000] ; mov rbx, [0x1000] */
	static const uint8_t code[] = {
		0x48, 0x8b, 0x04, 0x25, 0x00, 0x30, 0x20, 0x00,
		0x0f, 0x01, 0x3c, 0x25, 0x00, 0x30, 0x20, 0x00,
		0x48, 0x8b, 0x04, 0x25, 0x00, 0x30, 0x20, 0x00,
		0x48, 0x8b, 0x1c, 0x25, 0x00, 0x10, 0x00, 0x00,
		0x0f, 0x01, 0x3c, 0x25, 0x00, 0xf0, 0x1f, 0x00,
		0x48, 0x8b, 0x1c, 0x25, 0x00, 0x10, 0x00, 0x00,
	};

	paging_setup(f);
	fx_put64(f, FX_DATA + 0x3000, 111);
	fx_put64(f, FX_DATA + 0x4000, 222);
	fx_put64(f, 0x1000, 333);
	fx_code(f, code, sizeof(code));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(c->s.gpr[X86_RAX], 111);
	/* remap the 4 KiB page; the TLB still has the old translation */
	fx_put64(f, PML4 + 0x3000 + 3 * 8, (FX_DATA + 0x4000) | 3);
	assert_int_equal(fx_steps(f, 2), OP_OK);
	assert_int_equal(c->s.gpr[X86_RAX], 222);
	/* the first 2 MiB are one large page: INVLPG anywhere in it drops
	 * the translation of 0x1000 too */
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(c->s.gpr[X86_RBX], 333);
	fx_put64(f, PML4 + 0x2000, 0x200000 | 0x83);	/* now maps 2M..4M */
	fx_put64(f, FX_DATA + 0x1000, 444);
	/* the code moves with the mapping: copy it to its new frame */
	memcpy(f->m.mem.host + FX_CODE + 0x200000, code, sizeof(code));
	assert_int_equal(fx_steps(f, 2), OP_OK);
	assert_int_equal(c->s.gpr[X86_RBX], 444);
	assert_int_equal(c->traps.count[TRAP_INVLPG], 2);
}

static void test_triple_fault_ends_the_run(void **state)
{
	struct fx *f = *state;
	static const uint8_t code[] = { 0xcc };	/* int3 */

	f->c->s.idtr.limit = 0;	/* every gate out of bounds: #GP, #DF */
	fx_code(f, code, sizeof(code));
	assert_int_equal(fx_run(f, 5)->reason, RUN_EXIT_TRIPLE_FAULT);
	assert_non_null(strstr(f->x.message, "triple fault"));
	assert_true(f->x.regs_valid);
}

static void test_unsupported_instruction_names_it(void **state)
{
	struct fx *f = *state;
	static const uint8_t code[] = { 0x90, 0x0f, 0x28, 0xc1 }; /* movaps */

	fx_code(f, code, sizeof(code));
	assert_int_equal(fx_run(f, 10)->reason, RUN_EXIT_UNSUPPORTED_INSN);
	assert_string_equal(f->x.message, "unsupported instruction movaps "
			    "(0f 28 c1) at RIP 0x100001");
	assert_int_equal(f->x.rip, FX_CODE + 1);
	assert_int_equal(f->c->icount, 1);
}

static void test_self_modifying_code_runs_new_bytes(void **state)
{
	struct fx *f = *state;
	/* mov byte [rip+1], 0x42 ; mov al, 0 (patched to 0x42) ; hlt */
	static const uint8_t code[] = { 0xc6, 0x05, 0x01, 0x00, 0x00, 0x00,
					0x42, 0xb0, 0x00, 0xf4 };

	fx_code(f, code, sizeof(code));
	fx_run(f, 2);
	assert_int_equal(f->c->s.gpr[X86_RAX] & 0xff, 0x42);
	assert_int_equal(f->c->traps.count[TRAP_CODE_INVALIDATE], 1);
}

static void test_exit_port_ends_the_run(void **state)
{
	struct fx *f = *state;
	/* mov eax, 7 ; out 0xf4, eax ; ud2 */
	static const uint8_t code[] = { 0xb8, 0x07, 0x00, 0x00, 0x00,
					0xe7, 0xf4, 0x0f, 0x0b };

	fx_code(f, code, sizeof(code));
	assert_int_equal(fx_run(f, 100)->reason, RUN_EXIT_GUEST);
	assert_int_equal(f->x.status, 7);
	assert_int_equal(f->c->icount, 2);
	assert_int_equal(f->c->traps.count[TRAP_PIO], 1);
}

static void test_hlt_with_interrupts_off_halts(void **state)
{
	struct fx *f = *state;
	static const uint8_t code[] = { 0xf4 };

	fx_code(f, code, sizeof(code));
	assert_int_equal(fx_run(f, 10)->reason, RUN_EXIT_HALTED);
	assert_int_equal(f->c->traps.count[TRAP_HLT], 1);
}

static void test_insn_limit_is_exact(void **state)
{
	struct fx *f = *state;
	/* l: inc rax ; jmp l */
	static const uint8_t code[] = { 0x48, 0xff, 0xc0, 0xeb, 0xfb };

	fx_code(f, code, sizeof(code));
	assert_int_equal(fx_run(f, 1001)->reason, RUN_EXIT_INSN_LIMIT);
	assert_int_equal(f->c->icount, 1001);
	assert_int_equal(f->c->s.gpr[X86_RAX], 501);
}

static void test_syscall_sysret_round_trip(void **state)
{
	struct fx *f = *state;
	struct cpu *c = f->c;
	/* at FX_CODE: syscall ; at LSTAR: sysretq */
	static const uint8_t code[] = { 0x0f, 0x05 };
	static const uint8_t ret[] = { 0x48, 0x0f, 0x07 };

	c->s.star = (0x10ull << 48) | (0x08ull << 32);
	c->s.lstar = FX_CODE + 0x100;
	c->s.sfmask = X86_RFLAGS_IF;
	c->s.rflags |= X86_RFLAGS_IF;
	fx_code(f, code, sizeof(code));
	memcpy(f->m.mem.host + FX_CODE + 0x100, ret, sizeof(ret));
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(c->s.rip, FX_CODE + 0x100);
	assert_int_equal(c->s.gpr[X86_RCX], FX_CODE + 2);
	assert_true(c->s.gpr[X86_R11] & X86_RFLAGS_IF);
	assert_false(c->s.rflags & X86_RFLAGS_IF);
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(c->s.rip, FX_CODE + 2);
	assert_int_equal(x86_cpl(&c->s), 3);
	assert_int_equal(c->s.seg[X86_CS].selector, 0x23);
	assert_int_equal(c->s.seg[X86_SS].selector, 0x1b);
	assert_true(c->s.rflags & X86_RFLAGS_IF);
}

static void test_vmcall_follows_kvm(void **state)
{
	struct fx *f = *state;
	static const uint8_t code[] = { 0x0f, 0x01, 0xc1 };

	fx_code(f, code, sizeof(code));
	f->c->s.gpr[X86_RAX] = VMB_HC_NOP;
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(f->c->s.gpr[X86_RAX], VMB_HC_ENOSYS);
	assert_int_equal(f->c->traps.count[TRAP_HYPERCALL], 1);
}

static void test_rep_string_ops(void **state)
{
	struct fx *f = *state;
	struct cpu *c = f->c;
	/* rep stosq ; mov rcx, 16 ; rep movsb ; repne scasb */
	static const uint8_t code[] = { 0xf3, 0x48, 0xab, 0x48, 0xc7, 0xc1,
					0x10, 0x00, 0x00, 0x00, 0xf3, 0xa4,
					0xf2, 0xae };

	fx_code(f, code, sizeof(code));
	c->s.gpr[X86_RAX] = 0x1122334455667700ull;
	c->s.gpr[X86_RCX] = 4;
	c->s.gpr[X86_RDI] = FX_DATA;
	assert_int_equal(fx_steps(f, 1), OP_OK);
	assert_int_equal(fx_get64(f, FX_DATA + 24), 0x1122334455667700ull);
	assert_int_equal(c->s.gpr[X86_RCX], 0);
	assert_int_equal(c->s.gpr[X86_RDI], FX_DATA + 32);
	c->s.gpr[X86_RSI] = FX_DATA;
	assert_int_equal(fx_steps(f, 2), OP_OK);	/* copy 16 bytes */
	assert_int_equal(fx_get64(f, FX_DATA + 40), 0x1122334455667700ull);
	/* scan for AL (0x00) from FX_DATA + 48: first byte matches */
	c->s.gpr[X86_RCX] = 100;
	assert_int_equal(fx_steps(f, 1), OP_OK);
	assert_int_equal(c->s.gpr[X86_RCX], 99);
	assert_int_equal(c->s.gpr[X86_RDI], FX_DATA + 49);
	assert_true(flags_get(c) & X86_RFLAGS_ZF);
}

static void test_rep_movsb_overlap_replicates(void **state)
{
	struct fx *f = *state;
	struct cpu *c = f->c;
	static const uint8_t code[] = { 0xf3, 0xa4 };	/* rep movsb */

	fx_code(f, code, sizeof(code));
	f->m.mem.host[FX_DATA] = 0x5a;
	c->s.gpr[X86_RSI] = FX_DATA;
	c->s.gpr[X86_RDI] = FX_DATA + 1;
	c->s.gpr[X86_RCX] = 5000;	/* crosses a page too */
	assert_int_equal(fx_step(f), OP_OK);
	assert_int_equal(f->m.mem.host[FX_DATA + 5000], 0x5a);
	assert_int_equal(f->m.mem.host[FX_DATA + 4097], 0x5a);
	assert_int_equal(c->s.gpr[X86_RCX], 0);
	assert_int_equal(c->s.gpr[X86_RDI], FX_DATA + 5001);
}

static void test_endless_rep_yields_to_the_time_limit(void **state)
{
	struct fx *f = *state;
	struct cpu *c = f->c;
	static const uint8_t code[] = { 0xf3, 0xaa };	/* rep stosb */

	fx_code(f, code, sizeof(code));
	c->s.gpr[X86_RCX] = ~0ull;	/* runs off RAM into unassigned MMIO */
	c->s.gpr[X86_RDI] = FX_RAM - 4096;
	memset(&f->x, 0, sizeof(f->x));
	exec_run(c, &f->x, 0, __rdtsc() + 20000000);
	assert_int_equal(f->x.reason, RUN_EXIT_TIME_LIMIT);
	assert_int_equal(c->icount, 0);		/* not retired yet */
	assert_int_equal(c->s.rip, FX_CODE);
	assert_true(c->s.gpr[X86_RDI] > FX_RAM);
	assert_int_equal(c->s.gpr[X86_RCX], ~0ull - (c->s.gpr[X86_RDI] - (FX_RAM - 4096)));
}

static void test_call_push_pop_leave_ret(void **state)
{
	struct fx *f = *state;
	struct cpu *c = f->c;
	/* call +2 ; hlt ; hlt ; push rbp ; mov rbp, rsp ; push rbx ;
	 * pop rcx ; leave ; ret */
	static const uint8_t code[] = { 0xe8, 0x02, 0x00, 0x00, 0x00, 0xf4,
					0xf4, 0x55, 0x48, 0x89, 0xe5, 0x53,
					0x59, 0xc9, 0xc3 };

	fx_code(f, code, sizeof(code));
	c->s.gpr[X86_RBX] = 0xabcdef;
	c->s.gpr[X86_RBP] = 0x1234;
	assert_int_equal(fx_steps(f, 7), OP_OK);
	assert_int_equal(c->s.rip, FX_CODE + 5);
	assert_int_equal(c->s.gpr[X86_RSP], FX_STACK);
	assert_int_equal(c->s.gpr[X86_RCX], 0xabcdef);
	assert_int_equal(c->s.gpr[X86_RBP], 0x1234);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_div_by_zero_delivers_de_through_idt),
		T(test_ud2_and_bad_encoding_raise_ud),
		T(test_page_fault_reports_cr2_and_error_code),
		T(test_invlpg_drops_stale_translations),
		T(test_triple_fault_ends_the_run),
		T(test_unsupported_instruction_names_it),
		T(test_self_modifying_code_runs_new_bytes),
		T(test_exit_port_ends_the_run),
		T(test_hlt_with_interrupts_off_halts),
		T(test_insn_limit_is_exact),
		T(test_syscall_sysret_round_trip),
		T(test_vmcall_follows_kvm),
		T(test_rep_string_ops),
		T(test_rep_movsb_overlap_replicates),
		T(test_endless_rep_yields_to_the_time_limit),
		T(test_call_push_pop_leave_ret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
