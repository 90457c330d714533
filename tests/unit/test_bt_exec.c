/*
 * Unit tests for the translator and dispatcher (engines/bt/bt_translate.c,
 * bt_exec.c, bt_entry.S): small guest programs, assembled here by the host
 * assembler into .rodata, are copied into guest RAM behind hand-built page
 * tables and run at CPL3 through the user window. Checked: integer code,
 * loops, push/pop/call/ret/leave, RIP-relative loads and LEA, indirect
 * jumps through memory and calls through registers, stops for the monitor
 * at privileged instructions, precise guest #PF (CR2, error code, RIP and
 * registers of the faulting instruction), #DE, fetch faults, and that
 * wild addresses never reach host memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bt/bt_exec.h"
#include "bt/bt_shadow.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"

#define RAM (16ull << 20)
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define CR3 0x100000ull
#define CODE_VA 0x400000ull
#define CODE_GPA 0x200000ull
#define DATA_VA 0x600000ull
#define DATA_GPA 0x210000ull
#define STACK_VA 0x7ff000ull
#define STACK_GPA 0x220000ull
#define KVA 0xffffffff80300000ull

/* Guest programs: each between prog_NAME and prog_NAME_end. */
#define PROG(name) extern const uint8_t prog_##name[], prog_##name##_end[]
PROG(arith);
PROG(pf);
PROG(div0);
PROG(wild);
PROG(indirect);

__asm__(
	".pushsection .rodata\n"
	/* sum 1..10 in a loop, push/pop, call/ret, leave, stores, rip-rel */
	"prog_arith:\n"
	"  mov $10, %ecx\n"
	"  xor %eax, %eax\n"
	"1: add %rcx, %rax\n"
	"  dec %rcx\n"
	"  jnz 1b\n"
	"  push %rax\n"
	"  push $-3\n"
	"  pop %rdx\n"
	"  pop %rbx\n"
	"  mov $0x600000, %edi\n"
	"  mov %rbx, (%rdi)\n"
	"  movl $0x1234, 8(%rdi)\n"
	"  lea 2f(%rip), %rsi\n"
	"  mov 2f(%rip), %r8\n"
	"  addq $1, 2f+8(%rip)\n"	/* RIP-relative with an immediate */
	"  call 3f\n"
	"  mov %rax, %r9\n"
	"  push %rbp\n"
	"  mov %rsp, %rbp\n"
	"  sub $32, %rsp\n"
	"  movq $7, -8(%rbp)\n"
	"  mov -8(%rbp), %r10\n"
	"  leave\n"
	"  mov %rsp, %r11\n"
	"  cli\n"
	"3: lea 100(%rax), %rax\n"
	"  ret\n"
	"  .balign 8\n"
	"2: .quad 0x1122334455667788\n"
	"  .quad 41\n"
	"prog_arith_end:\n"
	/* store to an unmapped page: precise #PF */
	"prog_pf:\n"
	"  mov $0x55, %ecx\n"
	"  mov $0x500008, %edx\n"
	"  push %rcx\n"
	"  mov %rcx, (%rdx)\n"
	"  hlt\n"
	"prog_pf_end:\n"
	"prog_div0:\n"
	"  mov $7, %eax\n"
	"  xor %edx, %edx\n"
	"  xor %ecx, %ecx\n"
	"  div %rcx\n"
	"  hlt\n"
	"prog_div0_end:\n"
	/* a 64-bit address held in RAX (set by the test) */
	"prog_wild:\n"
	"  movq $0x77, (%rax)\n"
	"  hlt\n"
	"prog_wild_end:\n"
	/* jmp through a table, call through a register, ret imm */
	"prog_indirect:\n"
	"  lea 5f(%rip), %rbx\n"
	"  jmp *8(%rbx)\n"
	"  ud2\n"
	"4: lea 6f(%rip), %rax\n"
	"  push $1\n"
	"  call *%rax\n"
	"  mov %rax, %r12\n"
	"  hlt\n"
	"6: mov $0xabc, %eax\n"
	"  ret $0\n"
	"  .balign 8\n"
	"5: .quad 0, 4b - prog_indirect + 0x400000\n"
	"prog_indirect_end:\n"
	".popsection\n");

struct fixture {
	struct guest_mem mem;
	struct bt_shadow sh;
	struct bt_vcpu v;
	uint64_t next_table;
};

static uint64_t *pte_slot(struct fixture *f, uint64_t va)
{
	uint64_t table = CR3;

	for (int level = 4; level > 1; level--) {
		uint64_t *e = (uint64_t *)(f->mem.host + table) +
			      ((va >> (12 + 9 * (level - 1))) & 511);

		if (!(*e & P)) {
			*e = f->next_table | P | RW | US;
			f->next_table += 0x1000;
		}
		table = *e & 0x000ffffffffff000ull;
	}
	return (uint64_t *)(f->mem.host + table) + ((va >> 12) & 511);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct walk_ctx ctx = {
		.cr3 = CR3,
		.cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr4 = X86_CR4_PAE,
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
	};
	char err[256];

	if (!f || guest_mem_create(&f->mem, RAM, false, err, sizeof(err)))
		return -1;
	f->next_table = CR3 + 0x1000;
	*pte_slot(f, CODE_VA) = CODE_GPA | P | US;
	*pte_slot(f, DATA_VA) = DATA_GPA | P | RW | US;
	*pte_slot(f, STACK_VA) = STACK_GPA | P | RW | US;
	*pte_slot(f, KVA) = 0x300000 | P | RW;
	if (bt_shadow_create(&f->sh, &f->mem, BT_SHADOW_VTLB, &ctx, err,
			     sizeof(err)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bt_shadow_destroy(&f->sh);
	guest_mem_destroy(&f->mem);
	free(f);
	return 0;
}

/* Load (prog) at CODE_VA and make a vCPU at CPL3 with RSP at the stack
 * top. The fault handler is installed here, in the test body (cmocka
 * replaces signal handlers around bodies). */
static void load(struct fixture *f, const uint8_t *start, const uint8_t *end)
{
	char err[256];

	memcpy(f->mem.host + CODE_GPA, start, (size_t)(end - start));
	assert_int_equal(bt_vcpu_create(&f->v, &f->sh, 1 << 20, err,
					sizeof(err)), 0);
	f->v.rip = CODE_VA;
	f->v.cpl = 3;
	f->v.ctx.gpr[X86_RSP] = STACK_VA + 0x1000;
}

static void test_arith(void **state)
{
	struct fixture *f = *state;
	uint64_t *g = f->v.ctx.gpr;
	struct bt_stop s;
	uint64_t *data = (uint64_t *)(f->mem.host + DATA_GPA);
	const uint8_t *text = prog_arith;
	size_t len = (size_t)(prog_arith_end - prog_arith);

	load(f, prog_arith, prog_arith_end);
	bt_exec_run(&f->v, 0, &s);
	/* the code page is read-only: the RIP-relative addq takes a #PF */
	assert_int_equal(s.kind, BT_STOP_EXCEPTION);
	assert_int_equal(s.vector, X86_VEC_PF);
	assert_int_equal(s.error, X86_PF_P | X86_PF_W | X86_PF_U);
	assert_true(s.cr2 == CODE_VA + len - 8);
	assert_int_equal(f->mem.host[CODE_GPA + (s.rip - CODE_VA)], 0x48);
	assert_int_equal(f->mem.host[CODE_GPA + (s.rip - CODE_VA) + 1], 0x83);
	assert_true(g[X86_RBX] == 55);
	assert_true(g[X86_RDX] == (uint64_t)-3);
	assert_true(data[0] == 55 && (uint32_t)data[1] == 0x1234);
	/* the 2: label is the last 16 bytes of the program */
	assert_true(g[X86_RSI] == CODE_VA + len - 16);
	assert_true(g[X86_R8] == 0x1122334455667788ull);
	(void)text;
	bt_vcpu_destroy(&f->v);
}

static void test_arith_writable_code(void **state)
{
	struct fixture *f = *state;
	uint64_t *g = f->v.ctx.gpr;
	struct bt_stop s;
	size_t len = (size_t)(prog_arith_end - prog_arith);

	*pte_slot(f, CODE_VA) |= RW;
	load(f, prog_arith, prog_arith_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	/* stopped right at the CLI: 0xfa */
	assert_int_equal(f->mem.host[CODE_GPA + (s.rip - CODE_VA)], 0xfa);
	assert_true(*(uint64_t *)(f->mem.host + CODE_GPA + len - 8) == 42);
	assert_true(g[X86_R9] == 155);	/* 55 + 100 from the call */
	assert_true(g[X86_R10] == 7);
	assert_true(g[X86_R11] == STACK_VA + 0x1000); /* balanced stack */
	assert_true(g[X86_RBP] == 0);
	assert_true(f->v.cnt.insns >= 40);
	bt_vcpu_destroy(&f->v);
}

static void test_guest_pf_precise(void **state)
{
	struct fixture *f = *state;
	uint64_t *g = f->v.ctx.gpr;
	struct bt_stop s;

	load(f, prog_pf, prog_pf_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_EXCEPTION);
	assert_int_equal(s.vector, X86_VEC_PF);
	assert_true(s.cr2 == 0x500008);
	assert_int_equal(s.error, X86_PF_W | X86_PF_U);
	/* RIP of the faulting store: mov(5) mov(5) push(1) */
	assert_true(s.rip == CODE_VA + 11);
	assert_true(g[X86_RCX] == 0x55 && g[X86_RDX] == 0x500008);
	assert_true(g[X86_RSP] == STACK_VA + 0x1000 - 8);
	assert_true(*(uint64_t *)(f->mem.host + STACK_GPA + 0xff8) == 0x55);
	bt_vcpu_destroy(&f->v);
}

static void test_divide_error(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;

	load(f, prog_div0, prog_div0_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_EXCEPTION);
	assert_int_equal(s.vector, X86_VEC_DE);
	assert_true(s.rip == CODE_VA + 9);
	assert_true(f->v.ctx.gpr[X86_RAX] == 7);
	bt_vcpu_destroy(&f->v);
}

/* A store through a host pointer (and other wild values) reaches only the
 * window: the guest sees a #PF, host memory is untouched. */
static void test_wild_store(void **state)
{
	struct fixture *f = *state;
	static volatile uint64_t host_var = 1;
	const uint64_t wild[] = { (uint64_t)(uintptr_t)&host_var,
				  0xdeadbeefcafe0000ull, KVA };

	for (unsigned i = 0; i < 3; i++) {
		struct bt_stop s;

		load(f, prog_wild, prog_wild_end);
		f->v.ctx.gpr[X86_RAX] = wild[i];
		bt_exec_run(&f->v, 0, &s);
		assert_int_equal(s.kind, BT_STOP_EXCEPTION);
		assert_int_equal(s.vector, X86_VEC_PF);
		assert_true(s.rip == CODE_VA);
		assert_true(s.cr2 == (uint64_t)(int64_t)(int32_t)wild[i]);
		bt_vcpu_destroy(&f->v);
	}
	assert_true(host_var == 1);
}

static void test_indirect(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;

	load(f, prog_indirect, prog_indirect_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_int_equal(f->mem.host[CODE_GPA + (s.rip - CODE_VA)], 0xf4);
	assert_true(f->v.ctx.gpr[X86_R12] == 0xabc);
	assert_true(f->v.ctx.gpr[X86_RSP] == STACK_VA + 0x1000 - 8);
	assert_true(f->v.cnt.indirect_exits == 3);
	bt_vcpu_destroy(&f->v);
}

/* An instruction crossing into an unmapped page: #PF on the fetch. */
static void test_fetch_fault(void **state)
{
	struct fixture *f = *state;
	static const uint8_t mov_eax[] = { 0xb8, 1, 2, 3, 4 };
	struct bt_stop s;

	memcpy(f->mem.host + CODE_GPA + 0x1000 - 2, mov_eax, sizeof(mov_eax));
	load(f, mov_eax, mov_eax); /* nothing more to copy */
	f->v.rip = CODE_VA + 0x1000 - 2;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_EXCEPTION);
	assert_int_equal(s.vector, X86_VEC_PF);
	assert_true(s.cr2 == CODE_VA + 0x1000);
	assert_true(s.rip == CODE_VA + 0x1000 - 2);
	assert_int_equal(s.error, X86_PF_U | X86_PF_I);
	bt_vcpu_destroy(&f->v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arith, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arith_writable_code, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_pf_precise, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_divide_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wild_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_fault, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
