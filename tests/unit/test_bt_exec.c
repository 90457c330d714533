/*
 * Unit tests for the translator and dispatcher (engines/bt/bt_translate.c,
 * bt_exec.c, bt_entry.S): small guest programs, assembled here by the host
 * assembler into .rodata, are copied into guest RAM behind hand-built page
 * tables and run at CPL3 through the user window. Checked: integer code,
 * loops, push/pop/call/ret/leave, RIP-relative loads and LEA, indirect
 * jumps through memory and calls through registers, stops for the monitor
 * at privileged instructions, precise guest #PF (CR2, error code, RIP and
 * registers of the faulting instruction), #DE, fetch faults, that
 * wild addresses never reach host memory, and that a guest checking
 * alignment goes to the monitor (the host never runs with AC set).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include "bt/bt_classify.h"
#include "bt/bt_counters.h"
#include "bt/bt_exec.h"
#include "bt/bt_gmem.h"
#include "bt/bt_timer.h"
#include "bt/bt_shadow.h"
#include "machine/guest_mem.h"
#include "machine/x86_state.h"
#include "support/guest_pt.h"

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
PROG(rcx_load);
PROG(indirect);
PROG(spin);
PROG(smc);
PROG(ibl);
PROG(xpage);
PROG(load1);
PROG(tsc);
PROG(pushm);
PROG(pushs);
PROG(ptburst);

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
	/* push of a memory operand: the load faults, then the store */
	"prog_pushm:\n"
	"  mov $0x1111, %eax\n"
	"  mov $0x500000, %ebx\n"
	"  pushq (%rbx)\n"
	"  hlt\n"
	"prog_pushm_end:\n"
	"prog_pushs:\n"
	"  mov $0x2222, %eax\n"
	"  mov $0x600000, %edi\n"
	"  mov $0x500010, %esp\n"
	"  pushq 8(%rdi)\n"
	"  hlt\n"
	"prog_pushs_end:\n"
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
	/* a load into RCX that faults, after RCX was set */
	"prog_rcx_load:\n"
	"  mov $0x1234, %ecx\n"
	"  mov (%rax), %rcx\n"
	"  hlt\n"
	"prog_rcx_load_end:\n"
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
	/* spins while CF stays set: a kick must not lose the flags */
	"prog_spin:\n"
	"  xor %eax, %eax\n"
	"  stc\n"
	"7: inc %rax\n"
	"  jc 7b\n"
	"  hlt\n"
	"prog_spin_end:\n"
	/* patches the immediate of an instruction ahead of it, each round */
	"prog_smc:\n"
	"  mov $3, %ecx\n"
	"  xor %ebx, %ebx\n"
	"8: movl %ecx, 9f+1(%rip)\n"
	"9: mov $0, %eax\n"
	"  add %rax, %rbx\n"
	"  dec %ecx\n"
	"  jnz 8b\n"
	"  hlt\n"
	"prog_smc_end:\n"
	/* returns through the lookup table must keep CF and OF */
	"prog_ibl:\n"
	"  mov $1000, %esi\n"
	"  xor %ebx, %ebx\n"
	"  xor %r12d, %r12d\n"
	"10: call 11f\n"
	"  adc $0, %rbx\n"
	"  call 12f\n"
	"  seto %al\n"
	"  movzbl %al, %eax\n"
	"  add %rax, %r12\n"
	"  dec %esi\n"
	"  jnz 10b\n"
	"  hlt\n"
	"11: stc\n"
	"  ret\n"
	"12: mov $0x7f, %cl\n"
	"  add $1, %cl\n"
	"  ret\n"
	"prog_ibl_end:\n"
	/* loops through code on the next page (raw jumps: no relocations) */
	"prog_xpage:\n"
	"  mov $100, %ecx\n"
	"  xor %eax, %eax\n"
	"20: .byte 0xe9\n"
	"  .long 0x1000 - (21f - prog_xpage)\n"
	"21: dec %ecx\n"
	"  jnz 20b\n"
	"  hlt\n"
	"prog_xpage_end:\n"
	"prog_load1:\n"
	"  mov $1, %eax\n"
	"  mov (%rdi), %rbx\n"
	"  hlt\n"
	"prog_load1_end:\n"
	/* CPL0: read (RSI), then three PTE stores in a row at (RDI) */
	"prog_ptburst:\n"
	"  mov (%rsi), %rax\n"
	"  mov %rdx, (%rdi)\n"
	"  mov %rdx, 8(%rdi)\n"
	"  mov %rdx, 16(%rdi)\n"
	"  hlt\n"
	"prog_ptburst_end:\n"
	"prog_tsc:\n"
	"  rdtsc\n"
	"  shl $32, %rdx\n"
	"  or %rdx, %rax\n"
	"  hlt\n"
	"prog_tsc_end:\n"
	".popsection\n");

/* Every test runs under both shadow policies. */
static enum bt_shadow_policy policy;

struct fixture {
	struct guest_mem mem;
	struct bt_shadow sh;
	struct bt_vcpu v;
	uint64_t next_table;
};

static uint64_t *pte_slot(struct fixture *f, uint64_t va)
{
	uint64_t *e = guest_pt_slot(&f->mem, &f->next_table, CR3, va);

	assert_non_null(e);
	return e;
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
	if (bt_shadow_create(&f->sh, &f->mem, policy, &ctx, err, sizeof(err)))
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
	assert_true(f->v.cnt.chained >= 1); /* the loop back-edge */
	assert_true(f->v.cnt.code_writes >= 1); /* addq to its own page */
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

/* PUSH r/m64 goes through RAX: a fault on its load or its store leaves
 * the state of the instruction's start (RAX, RSP), and the instruction
 * count holds the ones before it only. */
static void test_push_mem_precise(void **state)
{
	struct fixture *f = *state;
	uint64_t *g = f->v.ctx.gpr;
	struct bt_stop s;

	load(f, prog_pushm, prog_pushm_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_EXCEPTION);
	assert_int_equal(s.vector, X86_VEC_PF);
	assert_true(s.cr2 == 0x500000);
	assert_int_equal(s.error, X86_PF_U);
	assert_true(s.rip == CODE_VA + 10);
	assert_true(g[X86_RAX] == 0x1111);
	assert_true(g[X86_RSP] == STACK_VA + 0x1000);
	assert_true(f->v.ctx.icount == 2);
	bt_vcpu_destroy(&f->v);

	load(f, prog_pushs, prog_pushs_end);
	*(uint64_t *)(f->mem.host + DATA_GPA + 8) = 0x77;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_EXCEPTION);
	assert_int_equal(s.vector, X86_VEC_PF);
	assert_true(s.cr2 == 0x500008);
	assert_int_equal(s.error, X86_PF_W | X86_PF_U);
	assert_true(s.rip == CODE_VA + 15);
	assert_true(g[X86_RAX] == 0x2222);
	assert_true(g[X86_RSP] == 0x500010);
	assert_true(f->v.ctx.icount == 3);
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
	{
		/* counters in the shared vocabulary */
		struct engine_counters c = { 0 };
		const struct engine_stat *st;

		bt_counters_add(&f->v, &c);
		assert_true(c.traps.count[TRAP_GUEST_EXCEPTION] == 1);
		assert_true(c.traps.exception_by_vector[X86_VEC_DE] == 1);
		assert_true(c.traps.count[TRAP_HIDDEN_PAGE_FAULT] ==
			    f->sh.cnt.hidden_faults);
		st = engine_stat_find(&c, "bt_translations");
		assert_non_null(st);
		assert_true(st->value == f->v.cnt.translations &&
			    st->value >= 1);
		assert_non_null(engine_stat_find(&c, "bt_pt_write_traps"));
	}
	bt_vcpu_destroy(&f->v);
}

/* A store through a host pointer (and other wild values): with layout
 * checks, an address outside the layout leaves translated code for the
 * monitor before the store (exact state, nothing retired) and one inside
 * it takes the guest's #PF; with layout=trust the store reaches only the
 * window (the low 32 bits: a #PF there). Host memory is never touched. */
static void test_wild_store(void **state)
{
	struct fixture *f = *state;
	static volatile uint64_t host_var = 1;
	const uint64_t wild[] = { (uint64_t)(uintptr_t)&host_var,
				  0xdeadbeefcafe0000ull, KVA };

	for (int trust = 0; trust < 2; trust++) {
		for (unsigned i = 0; i < 3; i++) {
			struct bt_stop s;

			load(f, prog_wild, prog_wild_end);
			f->v.layout_trust = trust;
			f->v.ctx.gpr[X86_RAX] = wild[i];
			bt_exec_run(&f->v, 0, &s);
			assert_true(s.rip == CODE_VA);
			assert_true(f->v.ctx.gpr[X86_RAX] == wild[i]);
			/* with checks, a user access to the kernel half
			 * goes to the monitor (the user window maps nothing
			 * there, docs/bt.md "Layout checks") */
			if (trust) {
				assert_int_equal(s.kind, BT_STOP_EXCEPTION);
				assert_int_equal(s.vector, X86_VEC_PF);
				assert_true(s.cr2 ==
					    (uint64_t)(int64_t)(int32_t)wild[i]);
			} else {
				assert_int_equal(s.kind, BT_STOP_MONITOR);
				assert_int_equal(s.cause, BT_MON_LAYOUT);
				assert_true(f->v.ctx.icount == 0);
			}
			bt_vcpu_destroy(&f->v);
		}
	}
	assert_true(host_var == 1);
}

/* A checked load that overwrites RCX keeps guest RCX in XMM15 at the
 * access (no restore): a #PF there still reports the guest's RCX. */
static void test_rcx_load_fault(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;

	load(f, prog_rcx_load, prog_rcx_load_end);
	f->v.ctx.gpr[X86_RAX] = 0x500000;	/* not mapped: #PF */
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_EXCEPTION);
	assert_int_equal(s.vector, X86_VEC_PF);
	assert_true(s.rip == CODE_VA + 5);
	assert_true(f->v.ctx.gpr[X86_RCX] == 0x1234);
	assert_true(f->v.ctx.icount == 1);
	bt_vcpu_destroy(&f->v);
	/* outside the layout: a monitor exit in the middle of the block,
	 * the first instruction counted, RCX back */
	load(f, prog_rcx_load, prog_rcx_load_end);
	f->v.ctx.gpr[X86_RAX] = 0x100000000ull;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_int_equal(s.cause, BT_MON_LAYOUT);
	assert_true(s.rip == CODE_VA + 5);
	assert_true(f->v.ctx.gpr[X86_RCX] == 0x1234);
	assert_true(f->v.ctx.icount == 1);
	bt_vcpu_destroy(&f->v);
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

static void *kick_later(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	bt_vcpu_kick(arg);
	return NULL;
}

/* A kick from another thread stops a chained loop at a block boundary
 * with its flags intact, and the loop resumes where it was. */
static void test_kick(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;
	pthread_t t;
	uint64_t first;

	load(f, prog_spin, prog_spin_end);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(pthread_create(&t, NULL, kick_later, &f->v), 0);
		bt_exec_run(&f->v, 0, &s);
		pthread_join(t, NULL);
		assert_int_equal(s.kind, BT_STOP_KICK);
		assert_true(s.rip == CODE_VA + 3); /* the loop head */
		assert_true(f->v.ctx.rflags & X86_RFLAGS_CF);
		first = f->v.ctx.gpr[X86_RAX];
		assert_true(first > 0);
	}
	assert_true(f->v.cnt.kicks == 2 && f->v.cnt.chained >= 1);
	bt_vcpu_destroy(&f->v);
}

/* Self-modifying code: every patched immediate is the one executed. */
static void test_smc(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;

	*pte_slot(f, CODE_VA) |= RW;
	load(f, prog_smc, prog_smc_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(f->v.ctx.gpr[X86_RBX] == 3 + 2 + 1);
	assert_true(f->v.cnt.code_writes == 3);
	assert_true(f->v.cnt.steps == 3);
	assert_true(f->v.cnt.blocks_invalidated >= 3);
	assert_true(f->sh.cnt.code_writes == 3);
	bt_vcpu_destroy(&f->v);
}

/* Returns hit their site cache after the first return (the lookup table
 * is not even consulted), with the flags the callee left. */
static void test_ibl(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;
	uint64_t hits = bt_ibl_hits;

	load(f, prog_ibl, prog_ibl_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(f->v.ctx.gpr[X86_RBX] == 1000);
	assert_true(f->v.ctx.gpr[X86_R12] == 1000);
	assert_true(f->v.cnt.ret_fills == 2);	/* two RET sites */
	assert_true(f->v.cnt.indirect_exits <= 4);
	assert_true(bt_ibl_hits - hits <= 4);
	bt_vcpu_destroy(&f->v);
}

/* State in and out: registers and flags split between the context and
 * st, CPL from CS, CR3 changes reach the shadow. */
static void test_state(void **state)
{
	struct fixture *f = *state;
	struct x86_state in, out;
	struct bt_stop s;

	load(f, prog_arith, prog_arith_end);
	bt_vcpu_state_get(&f->v, &in);
	assert_true(in.cr3 == 0 || in.cr3 == CR3); /* st starts zeroed */
	memset(&in, 0, sizeof(in));
	for (int i = 0; i < 16; i++)
		in.gpr[i] = 0x1000 + i;
	in.gpr[X86_RSP] = STACK_VA + 0x1000;
	in.rip = CODE_VA;
	in.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF | X86_RFLAGS_CF |
		    X86_RFLAGS_ZF;
	in.seg[X86_CS].dpl = 3;
	in.seg[X86_CS].selector = 0x2b;
	in.cr0 = f->sh.ctx.cr0;
	in.cr4 = f->sh.ctx.cr4;
	in.efer = f->sh.ctx.efer;
	in.cr3 = CR3;
	in.lstar = 0xffffffff80001000ull;
	assert_int_equal(bt_vcpu_state_set(&f->v, &in), 0);
	assert_int_equal(f->v.cpl, 3);
	bt_vcpu_state_get(&f->v, &out);
	assert_memory_equal(&in, &out, sizeof(in));
	/* IF stays in st while the arithmetic flags run in the host */
	assert_false(f->v.ctx.rflags & X86_RFLAGS_IF);
	assert_true(f->v.ctx.rflags & X86_RFLAGS_CF);
	/* running changes the context; state_get sees it, IF kept */
	*pte_slot(f, CODE_VA) |= RW;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	bt_vcpu_state_get(&f->v, &out);
	assert_true(out.rip == s.rip && out.gpr[X86_RBX] == 55);
	assert_true(out.rflags & X86_RFLAGS_IF);
	/* a new CR3 goes to the shadow */
	in = out;
	in.cr3 = CR3 + 0x80000;
	in.seg[X86_CS].dpl = 0;
	assert_int_equal(bt_vcpu_state_set(&f->v, &in), 0);
	assert_true(f->sh.ctx.cr3 == CR3 + 0x80000);
	assert_int_equal(f->v.cpl, 0);
	if (policy == BT_SHADOW_VTLB)
		assert_true(f->sh.cnt.cr3_flushes == 1);
	/* the same CR3 written again is still a TLB flush */
	assert_int_equal(bt_vcpu_cr3_write(&f->v, CR3 + 0x80000), 0);
	if (policy == BT_SHADOW_VTLB)
		assert_true(f->sh.cnt.cr3_flushes == 2);
	bt_vcpu_destroy(&f->v);
}

/* Page-2 code: add $n, %rax; jmp back to (back). */
static void xpage_code(uint8_t *p, uint8_t n, uint32_t back)
{
	int32_t rel = (int32_t)back - (0x1000 + 4 + 5);

	p[0] = 0x48, p[1] = 0x83, p[2] = 0xc0, p[3] = n;
	p[4] = 0xe9;
	memcpy(p + 5, &rel, 4);
}

/* Branches across pages are chained too, and undone when the target
 * page's translation changes. */
static void test_cross_page_chain(void **state)
{
	struct fixture *f = *state;
	uint32_t back = 12; /* offset of 21: mov(5) xor(2) jmp(5) */
	struct bt_stop s;

	xpage_code(f->mem.host + CODE_GPA + 0x1000, 1, back);
	xpage_code(f->mem.host + CODE_GPA + 0x2000, 2, back);
	*pte_slot(f, CODE_VA + 0x1000) = (CODE_GPA + 0x1000) | P | US;
	load(f, prog_xpage, prog_xpage_end);
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(f->v.ctx.gpr[X86_RAX] == 100);
	assert_true(f->v.cnt.chained_cross >= 2);
	assert_true(f->v.cnt.branch_exits < 20); /* not 200 dispatches */
	/* the guest remaps page 2 and flushes it from its TLB */
	*pte_slot(f, CODE_VA + 0x1000) = (CODE_GPA + 0x2000) | P | US;
	assert_int_equal(bt_shadow_invlpg(&f->sh, CODE_VA + 0x1000), 0);
	f->v.rip = CODE_VA;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(f->v.ctx.gpr[X86_RAX] == 200);
	assert_true(f->v.cnt.unchained >= 2);
	bt_vcpu_destroy(&f->v);
}

/* The timer thread stops a spinning guest no earlier than its deadline,
 * at a block boundary with the flags intact; re-arming works. */
static void test_timer(void **state)
{
	struct fixture *f = *state;
	struct bt_timer t;
	struct bt_stop s;
	char err[128];

	load(f, prog_spin, prog_spin_end);
	assert_int_equal(bt_timer_start(&t, &f->v, err, sizeof(err)), 0);
	for (int round = 0; round < 3; round++) {
		uint64_t start = bt_timer_now_ns();

		bt_timer_arm(&t, start + 3000000);
		bt_exec_run(&f->v, 0, &s);
		assert_int_equal(s.kind, BT_STOP_KICK);
		assert_true(bt_timer_now_ns() - start >= 3000000);
		/* a block boundary: the loop head, or the very start when the
		 * signal came before the first block ran (a slow host) */
		assert_true(s.rip == CODE_VA + 3 || s.rip == CODE_VA);
		if (s.rip == CODE_VA + 3)
			assert_true(f->v.ctx.rflags & X86_RFLAGS_CF);
	}
	assert_true(t.fires == 3);
	bt_timer_stop(&t);
	bt_vcpu_destroy(&f->v);
}

/* Monitor writes through bt_gmem keep translations and shadows right:
 * patched code runs, a rewritten (traced or not) PTE is followed. */
static void test_gmem(void **state)
{
	struct fixture *f = *state;
	const struct bt_gmem_mode kernel = { 0, false };
	uint64_t *pte = pte_slot(f, DATA_VA);
	uint64_t table = (uint64_t)((uint8_t *)pte - f->mem.host) & ~0xfffull;
	uint64_t kva_pte = KVA + 0x2000 + ((uintptr_t)pte & 0xfff);
	uint64_t new_pte = 0x230000 | P | RW | US, pf_addr, v8;
	uint8_t two = 2;
	uint32_t pf_error;
	struct bt_stop s;

	*pte_slot(f, CODE_VA) |= RW;
	*pte_slot(f, KVA + 0x2000) = table | P | RW;
	*(uint64_t *)(f->mem.host + DATA_GPA) = 0x1111;
	*(uint64_t *)(f->mem.host + 0x230000) = 0x2222;
	load(f, prog_load1, prog_load1_end);
	f->v.ctx.gpr[X86_RDI] = DATA_VA;
	bt_exec_run(&f->v, 0, &s);
	assert_true(f->v.ctx.gpr[X86_RAX] == 1);
	assert_true(f->v.ctx.gpr[X86_RBX] == 0x1111);
	/* patch the immediate of the translated mov $1 */
	assert_int_equal(bt_gmem_write(&f->v, kernel, CODE_VA + 1, &two, 1,
				       &pf_addr, &pf_error), BT_GMEM_OK);
	/* repoint DATA_VA through the kernel's view of the page table (the
	 * guest flushes its TLB, as it must for vtlb) */
	assert_int_equal(bt_gmem_write(&f->v, kernel, kva_pte, &new_pte, 8,
				       &pf_addr, &pf_error), BT_GMEM_OK);
	if (policy == BT_SHADOW_VTLB)
		bt_shadow_invlpg(&f->sh, DATA_VA);
	else
		assert_true(f->sh.cnt.pt_writes == 1); /* traced: caught */
	f->v.rip = CODE_VA;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(f->v.ctx.gpr[X86_RAX] == 2);
	assert_true(f->v.ctx.gpr[X86_RBX] == 0x2222);
	/* the monitor fetches the HLT it was stopped at */
	{
		uint8_t ib[15];
		unsigned n;

		assert_int_equal(bt_gmem_fetch(&f->v, ib, &n, &pf_addr,
					       &pf_error), BT_GMEM_OK);
		assert_int_equal(n, 15);
		assert_int_equal(ib[0], 0xf4);
		f->v.rip = CODE_VA + 0xffe;	/* next page unmapped */
		assert_int_equal(bt_gmem_fetch(&f->v, ib, &n, &pf_addr,
					       &pf_error), BT_GMEM_OK);
		assert_int_equal(n, 2);
		assert_true(pf_addr == CODE_VA + 0x1000);
		assert_int_equal(pf_error, X86_PF_U | X86_PF_I);
		f->v.rip = 0x500000;
		assert_int_equal(bt_gmem_fetch(&f->v, ib, &n, &pf_addr,
					       &pf_error), BT_GMEM_PF);
	}
	/* reads fault like the CPU: user read of a supervisor page */
	assert_int_equal(bt_gmem_read(&f->v, (struct bt_gmem_mode){ 3, false },
				      KVA, &v8, 8, &pf_addr, &pf_error),
			 BT_GMEM_PF);
	assert_true(pf_addr == KVA);
	assert_int_equal(pf_error, X86_PF_P | X86_PF_U);
	bt_vcpu_destroy(&f->v);
}

/* trace: a burst of PTE stores from translated code: the first is carried
 * out by the fault handler (the table stays traced), the second ends the
 * run (a flood: the table is untraced) and maps the table writable at
 * once, so the third takes no fault at all. */
static void test_pt_burst(void **state)
{
	struct fixture *f = *state;
	uint64_t *pte = pte_slot(f, DATA_VA + 0x1000);
	uint64_t table = (uint64_t)((uint8_t *)pte - f->mem.host) & ~0xfffull;
	uint64_t kva_pte = KVA + 0x2000 + ((uintptr_t)pte & 0xfff);
	uint64_t val = 0x231000 | P | US;
	struct bt_stop s;

	*pte_slot(f, KVA + 0x2000) = table | P | RW;
	*(uint64_t *)(f->mem.host + DATA_GPA) = 0x1111;
	load(f, prog_ptburst, prog_ptburst_end);
	f->v.cpl = 0;
	f->v.ctx.gpr[X86_RSI] = DATA_VA;
	f->v.ctx.gpr[X86_RDI] = kva_pte;
	f->v.ctx.gpr[X86_RDX] = val;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(f->v.ctx.gpr[X86_RAX] == 0x1111);
	for (unsigned i = 0; i < 3; i++)
		assert_true(pte[i] == val);
	if (policy == BT_SHADOW_TRACE) {
		assert_true(f->sh.cnt.pt_writes == 2);
		assert_true(f->sh.cnt.pt_floods == 1);
		assert_true(f->sh.cnt.pt_flood_fills == 1);
		assert_false(bt_shadow_is_traced(&f->sh, table));
		/* the read, then the table's writable fill after the flood */
		assert_true(f->sh.cnt.hidden_faults == 2);
	} else {
		assert_true(f->sh.cnt.pt_writes == 0);
		assert_true(f->sh.cnt.pt_flood_fills == 0);
	}
	bt_vcpu_destroy(&f->v);
}

/* An instruction whose bytes run into the next page: a write to that
 * page drops the block too. And a store to a device page stops with its
 * guest-physical address. */
static void test_span_and_mmio(void **state)
{
	struct fixture *f = *state;
	const struct bt_gmem_mode kernel = { 0, false };
	/* mov $imm32, %eax straddling the page end, then hlt */
	static const uint8_t mov_eax[] = { 0xb8, 1, 0, 0, 0, 0xf4 };
	uint8_t two = 2;
	uint64_t pf_addr;
	uint32_t pf_error;
	struct bt_stop s;

	*pte_slot(f, CODE_VA + 0x1000) = (CODE_GPA + 0x1000) | P | RW | US;
	memcpy(f->mem.host + CODE_GPA + 0xffd, mov_eax, sizeof(mov_eax));
	load(f, mov_eax, mov_eax);
	f->v.rip = CODE_VA + 0xffd;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(f->v.ctx.gpr[X86_RAX] == 1);
	/* the immediate's last bytes are on the second page: patch one */
	assert_int_equal(bt_gmem_write(&f->v, kernel, CODE_VA + 0x1000, &two, 1,
				       &pf_addr, &pf_error), BT_GMEM_OK);
	assert_true(f->v.cnt.blocks_invalidated >= 1);
	f->v.rip = CODE_VA + 0xffd;
	bt_exec_run(&f->v, 0, &s);
	assert_true(f->v.ctx.gpr[X86_RAX] == 0x20001);
	/* a store to the null MMIO page */
	*pte_slot(f, 0x700000) = 0xc0000000ull | P | RW | US;
	memcpy(f->mem.host + CODE_GPA, prog_wild, (size_t)(prog_wild_end - prog_wild));
	bt_vcpu_note_write(&f->v, CODE_GPA, 4096);
	f->v.rip = CODE_VA;
	f->v.ctx.gpr[X86_RAX] = 0x700010;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MMIO);
	assert_true(s.gpa == 0xc0000010ull && s.rip == CODE_VA);
	assert_true(f->v.cnt.mmio_stops == 1);
	bt_vcpu_destroy(&f->v);
}

/* A host fault in translated code that no window explains (here: the
 * RET's parking slot made read-only behind bt's back) ends the run with
 * an internal error naming it, at the guest instruction, not a crash. */
static void test_unexplained_fault(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;

	load(f, prog_ibl, prog_ibl_end);
	assert_int_equal(mprotect(f->v.cache.data, BT_CACHE_DATA, PROT_READ), 0);
	bt_exec_run(&f->v, 0, &s);
	mprotect(f->v.cache.data, BT_CACHE_DATA, PROT_READ | PROT_WRITE);
	assert_int_equal(s.kind, BT_STOP_ERROR);
	assert_non_null(strstr(s.message, "outside every window"));
	/* the RET of the first callee: stc (1 byte) then ret */
	assert_int_equal(f->mem.host[CODE_GPA + (s.rip - CODE_VA)], 0xc3);
	bt_vcpu_destroy(&f->v);
}

/* RDTSC runs natively with a zero TSC offset, else goes to the monitor. */
static void test_rdtsc(void **state)
{
	struct fixture *f = *state;
	struct bt_stop s;
	uint64_t before;

	load(f, prog_tsc, prog_tsc_end);
	before = __builtin_ia32_rdtsc();
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_int_equal(f->mem.host[CODE_GPA + (s.rip - CODE_VA)], 0xf4);
	assert_true(f->v.ctx.gpr[X86_RAX] >= before);
	assert_true(f->v.ctx.gpr[X86_RAX] <= __builtin_ia32_rdtsc());
	bt_vcpu_destroy(&f->v);

	load(f, prog_tsc, prog_tsc_end);
	f->v.st.tsc_offset = 1000;
	bt_exec_run(&f->v, 0, &s);
	assert_int_equal(s.kind, BT_STOP_MONITOR);
	assert_true(s.rip == CODE_VA);	/* the RDTSC itself */
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

/* Host RFLAGS as the dispatcher's caller sees it. */
static uint64_t host_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(f));
	return f;
}

/*
 * Alignment checking (CPL3, CR0.AM and RFLAGS.AC all set, SDM 6.15):
 * translated code checks none, so bt_exec_run() stops for the monitor
 * (cause BT_MON_ALIGN) before running anything, RIP and registers as they
 * were; the monitor then raises #AC exactly (test_bt_badguest's u_ac
 * compares bt with interp). With any of the three clear, the misaligned
 * load runs translated. The host never runs with AC set.
 */
static void test_align_check(void **state)
{
	struct fixture *f = *state;
	const uint64_t val = 0x1122334455667788ull;
	const struct { int cpl; bool am, ac; } cases[] = {
		{ 3, true, true }, { 3, true, false }, { 3, false, true },
		{ 0, true, true },
	};
	const uint64_t cr0 = f->sh.ctx.cr0;	/* the cases change it */

	memcpy(f->mem.host + DATA_GPA + 1, &val, 8);
	memcpy(f->mem.host + 0x300801, &val, 8);
	memcpy(f->mem.host + 0x300000, prog_load1,
	       (size_t)(prog_load1_end - prog_load1));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t base = cases[i].cpl ? CODE_VA : KVA;
		struct x86_state in, out;
		struct bt_stop s;

		load(f, prog_load1, prog_load1_end);
		memset(&in, 0, sizeof(in));
		for (int r = 0; r < 16; r++)
			in.gpr[r] = 0x1000 + r;
		in.gpr[X86_RSP] = STACK_VA + 0x1000;
		in.gpr[X86_RDI] = cases[i].cpl ? DATA_VA + 1 : KVA + 0x801;
		in.rip = base;
		in.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF |
			    (cases[i].ac ? X86_RFLAGS_AC : 0);
		in.seg[X86_CS].dpl = (uint8_t)cases[i].cpl;
		in.seg[X86_CS].selector = cases[i].cpl ? 0x2b : 0x10;
		in.cr0 = cr0 | (cases[i].am ? X86_CR0_AM : 0);
		in.cr4 = f->sh.ctx.cr4;
		in.efer = f->sh.ctx.efer;
		in.cr3 = CR3;
		assert_int_equal(bt_vcpu_state_set(&f->v, &in), 0);
		bt_exec_run(&f->v, 0, &s);
		assert_false(host_rflags() & X86_RFLAGS_AC);
		assert_false(f->v.ctx.rflags & X86_RFLAGS_AC);
		assert_int_equal(s.kind, BT_STOP_MONITOR);
		bt_vcpu_state_get(&f->v, &out);
		if (cases[i].cpl == 3 && cases[i].am && cases[i].ac) {
			assert_int_equal(s.cause, BT_MON_ALIGN);
			assert_true(s.rip == base);
			assert_true(f->v.ctx.icount == 0);
			assert_memory_equal(&in, &out, sizeof(in));
		} else {
			/* stopped at the HLT, after the load */
			assert_int_equal(s.cause, BT_MON_HLT);
			assert_true(s.rip == base + 8);
			assert_true(out.gpr[X86_RBX] == val);
			assert_true(out.gpr[X86_RAX] == 1);
			assert_true(!!(out.rflags & X86_RFLAGS_AC) ==
				    cases[i].ac);
		}
		bt_vcpu_destroy(&f->v);
	}
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
		cmocka_unit_test_setup_teardown(test_push_mem_precise, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wild_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcx_load_fault, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ibl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gmem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pt_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_span_and_mmio, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unexplained_fault, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rdtsc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_page_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_align_check, setup,
						teardown),
	};

	int failed;

	policy = BT_SHADOW_VTLB;
	failed = cmocka_run_group_tests_name("vtlb", tests, NULL, NULL);
	policy = BT_SHADOW_TRACE;
	failed += cmocka_run_group_tests_name("trace", tests, NULL, NULL);
	return failed;
}
