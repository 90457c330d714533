/*
 * test_bt_loops.c - layout checks hoisted out of counted self-loops
 * (bt_loop.h) stay exact: the tiny kernel of test_bt_badguest.c (own GDT,
 * TSS, IDT recording every exception's frame, CR2 and GPRs; user pages
 * of every kind) runs one loop scenario at CPL0 or CPL3 -- loops whose
 * induction runs off the layout after some iterations (below the kernel
 * half, onto an address whose low 32 bits alias a mapped page), whose
 * trip count is 0, huge or not a multiple of the step, whose bound
 * changes in the body, with a non-canonical base, and loops that fault
 * in the middle of a hoisted body or finish with a checksum -- on interp
 * and on bt under both shadow policies: the run's end and the recorded
 * state must be identical, interp's the architectural answer, and a host
 * canary intact. Scenarios marked H must have been hoisted (bt's
 * bt_loops_hoisted counter), F must have failed their pre-header check
 * (bt_loop_checks_failed) and so ran the checked body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "support/elf_build.h"
#include "support/scenario_kernel.h"
#include "vmb_abi.h"

/*
 * Guest layout. The kernel runs at VMB_KERNEL_VBASE + 0x100000 (this blob)
 * on the boot tables' kernel half, copied into its own PML4 (entry 511).
 * User half, one page table at 0x400000:
 *   0x400000 ucode   user R X    the CPL3 snippets
 *   0x401000 udata   user RW NX
 *   0x402000 ustack  user RW NX  (RSP starts at 0x403000)
 *   0x403000 udata   supervisor RW (same frame as 0x401000)
 *   0x404000 udata   user, reserved bit 51 set
 *   0x405000 -       not present
 *   0x406000 urwx    user RWX    the self-modifying snippet
 *   0x407000 udata2  user R X    text: "jump into data"
 * Selectors: 0x08/0x10 kernel code/data, 0x1b/0x23 user code/data, 0x28
 * TSS (RSP0 = kstack, IST1 = iststack for #DF and #SS). CR0.AM is set.
 *
 * res (8-byte words): 0 vector, 1 error, 2 RIP, 3 CS, 4 RFLAGS, 5 RSP,
 * 6 SS, 7 CR2, 8..23 RAX..R15 at the handler, 24 a scenario's value.
 * Exit status: 0x40 + vector, 0xc0 for INT 0x80, 1 for a kernel scenario
 * that ends without a fault.
 */

/*
 * OK: bt must give interp's result; H: and the loop was hoisted (at
 * least one pre-header made); F: and a pre-header check failed (the loop
 * ran with every check); N: and no loop was hoisted. Every scenario must be the architectural answer
 * in interp (status, error code, CR2; ANY: not checked).
 */
enum { OK = 0, H = 1, F = 2, N = 4 };	/* may be combined */

/*
 * The scenarios, in the order of the guest's table: X(entry, label,
 * status, error, cr2, known). entry K runs (label) at CPL0; U goes to CPL3
 * at the user snippet (label); UN does so with CR0.AM clear; UR runs the
 * snippet (label) of the RWX page. status is the exit status interp must
 * give (0x40 + vector, 0xc0 for INT 0x80, 1 for a kernel scenario without
 * a fault, TRIPLE for a triple fault); error and CR2 the recorded ones
 * (ANY: not checked against a constant).
 */
#define SCENARIOS(X)                                                          \
	X(K, k_down_base, E(14), 0, 0xffffffff7ffffff8, F)                    \
	X(K, k_down_idx, E(14), 0, 0xffffffff7ffffff8, F)                     \
	X(K, k_huge_n, E(14), 0, 0xffffffff7ffffff8, F)                       \
	X(K, k_zero_n, E(14), 0, 0xffffffff7ffffff8, F)                       \
	X(K, k_not_multiple, E(14), 0, 0xffffffff7ffffffc, F)                 \
	X(K, k_bound_moves, E(14), 0, 0xffffffff7ffffff8, N)                  \
	X(K, k_top, ANYS, ANY, ANY, H)                                        \
	X(K, k_mid_fault, E(14), 9, 0x404000, H)                              \
	X(K, k_sum, 1, ANY, ANY, H)                                           \
	X(K, k_sum_lea_imm, 1, ANY, ANY, H)                                   \
	X(K, k_store_after, 1, ANY, ANY, H)                                   \
	X(U, u_above2g, E(14), 4, 0x80000000, H)                               \
	X(U, u_noncanon, E(13), 0, ANY, F)                                    \
	X(U, u_far_base, 0xc0, 0, ANY, H)                                     \
	X(U, u_mid_fault, E(14), 5, 0x403000, H)                              \
	X(U, u_zero_n, E(14), 5, 0x403000, H)                                 \
	X(U, u_dec_zero, 0xc0, 0, ANY, H)                                     \
	X(U, u_up_2g, E(14), 4, 0x80000000, H)                                \
	X(U, u_down_0, E(14), 4, 0x10, H)                                     \
	X(U, u_bounded, 0xc0, 0, ANY, H)                                      \
	X(U, u_bounded_2g, E(14), 4, 0x80000008, F)                           \
	X(U, u_affine, 0xc0, 0, ANY, H)                                       \
	X(U, u_affine_2g, E(14), 4, 0x80000000, H)                            \
	X(U, u_straddle, E(14), 4, 0x80000000, H)                             \
	X(U, u_near, E(14), 4, 0x8ffffff0, OK)

#include "support/scenario_table.h"

extern const uint8_t g_loop_begin[], g_loop_end[], g_loop_scenario[],
	g_loop_res[], g_loop_udata[];

__asm__(
".pushsection .rodata\n"
".p2align 12\n"
"g_loop_begin:\n"
"	jmp kmain\n"
".p2align 3\n"
"g_loop_scenario: .quad 0\n"
"g_loop_res: .fill 32, 8, 0\n"

SK_GATE_SET

SK_KMAIN_GDT
"	lea iststack_top(%rip), %rdx\n mov %rdx, 36(%rax)\n"
SK_GDT_LOAD
/* IDT: vectors 0-31 interrupt gates DPL0 (IST1 for 8 and 12), 0x80 DPL3 */
"	lea idt(%rip), %rdi\n"
"	xor %ecx, %ecx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
SK_IDT_EXC_GATES("12")
"	lea stub80(%rip), %rax\n mov $0x80, %ecx\n mov $0xee, %r8d\n"
"	xor %r9d, %r9d\n call gate_set\n"
SK_IDT_LOAD
/* page tables */
SK_USER_PAGES_MAP
/* 0x7ffff000 (the last user page below 2 GiB): udata again, user RW */
"	lea pdpt(%rip), %rdi\n lea pd2(%rip), %rax\n sub %r15, %rax\n"
"	or $7, %rax\n mov %rax, 8(%rdi)\n"
"	lea pd2(%rip), %rdi\n lea pt2(%rip), %rax\n sub %r15, %rax\n"
"	or $7, %rax\n mov %rax, 4088(%rdi)\n"
"	lea pt2(%rip), %rdi\n movabs $0x8000000000000007, %rdx\n"
"	lea udata(%rip), %rax\n sub %r15, %rax\n or %rdx, %rax\n"
"	mov %rax, 4088(%rdi)\n"
SK_CR3_LOAD_AM
SK_DISPATCH_USER_KEXIT("g_loop_scenario", "g_loop_res")

/* ---- kernel scenarios ---- */
/* moving base down from K + 0x40 by 8, bound far below: leaves the
 * kernel half after 9 iterations (K - 8 is not mapped; its low 32 bits
 * are a user address) */
"k_down_base: movabs $0xffffffff80000000 + 0x40, %rsi\n movabs $0xffffffff80000000 - 0x1000, %rdx\n"
"	xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi), %rbx\n sub $8, %rsi\n cmp %rsi, %rdx\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* invariant base K, index 8 down to -8: out after 9 iterations */
"k_down_idx: movabs $0xffffffff80000000, %rsi\n mov $8, %eax\n mov $-8, %r8\n"
"	xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n dec %rax\n cmp %r8, %rax\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* step -1 from 0 to bound 1: 2^64 - 1 iterations; the first and last
 * addresses (K and K + 16) are inside, the second is not */
"k_huge_n: movabs $0xffffffff80000000, %rsi\n xor %eax, %eax\n mov $1, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n sub $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	jmp kexit\n"
/* bound == idx at entry: 2^64 iterations, down from K + 24 */
"k_zero_n: movabs $0xffffffff80000000 + 24, %rsi\n mov %rsi, %rdx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rcx\n lea -8(%rsi), %rsi\n cmp %rsi, %rdx\n jne 1b\n"
"	jmp kexit\n"
/* the distance to the bound is no multiple of the step: never equal */
"k_not_multiple: movabs $0xffffffff80000000 + 0x44, %rsi\n movabs $0xffffffff80000000, %rdx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %ecx\n sub $8, %rsi\n cmp %rdx, %rsi\n jne 1b\n"
"	jmp kexit\n"
/* the bound moves with the index: never ends, runs below K */
"k_bound_moves: movabs $0xffffffff80000000, %rsi\n mov $4, %eax\n xor %r8d, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n sub $1, %r8\n sub $1, %rax\n"
"	cmp %rax, %r8\n jne 1b\n"
"	jmp kexit\n"
/* up over the top of the address space into the user half */
"k_top:	mov $-32, %rsi\n mov $64, %edx\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi), %rbx\n add $8, %rsi\n cmp %rsi, %rdx\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* all inside: hoisted; the user page with a reserved bit faults */
"k_mid_fault: mov $0x401000, %esi\n xor %eax, %eax\n mov $0x1000, %r8d\n"
"	mov $0x77, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	jmp kexit\n"
/* a finished loop: its sum */
"k_sum:	lea udata2(%rip), %rsi\n xor %eax, %eax\n mov $4, %r8d\n"
"	xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n imul $3, %rbx\n inc %rax\n"
"	cmp %rax, %r8\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* lea update, immediate bound, two accesses after the update */
"k_sum_lea_imm: lea udata2(%rip), %rsi\n mov $-1, %rax\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	lea 1(%rax), %rax\n add (%rsi,%rax,8), %rbx\n"
"	xor 8(%rsi,%rax,4), %rbx\n cmp $2, %rax\n jne 1b\n"
"	mov %rbx, %rax\n jmp kexit\n"
/* a store before and a load after the update, moving base */
"k_store_after: lea kbuf(%rip), %rdi\n lea 64(%rdi), %rdx\n mov $5, %ecx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov %rcx, (%rdi)\n add $8, %rdi\n add -8(%rdi), %rcx\n"
"	cmp %rdx, %rdi\n jne 1b\n"
"	lea kbuf(%rip), %rdi\n mov 56(%rdi), %rax\n add %rcx, %rax\n"
"	jmp kexit\n"
"kbuf: .fill 64, 1, 0\n"

SK_EXC_STUBS
SK_RECORD_GPRS("g_loop_res")
"	lea 1f(%rip), %r11\n jmp *%r11\n"
SK_RECORD_FRAME

/* scenario table, then the user snippets (CPL3, at 0x400000 + offset) */
SCENARIO_STABLE_UCODE
/* counted, up from 0x7fffff00 (mapped) past 2 GiB: #PF at 0x80000000 */
"u_above2g: mov $0x7fffff00, %esi\n xor %eax, %eax\n mov $0x40, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	int $0x80\n"
"u_noncanon: movabs $0x0000800000000000, %rsi\n xor %eax, %eax\n"
"	mov $4, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	int $0x80\n"
/* base 4 GiB, a negative index that brings it back onto udata */
"u_far_base: movabs $0x100000000, %rsi\n"
"	mov $(0x401000 - 0x100000000) / 8, %rax\n"
"	lea 4(%rax), %r8\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add (%rsi,%rax,8), %rbx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
/* hoisted, faults at the supervisor page 0x403000 (after udata, ustack) */
"u_mid_fault: mov $0x401000, %esi\n xor %eax, %eax\n mov $0x800, %r8d\n"
"	mov $0x55, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	xor (%rsi,%rax,8), %rbx\n add $1, %rax\n cmp %r8, %rax\n jne 1b\n"
"	int $0x80\n"
/* trip count 0: runs until the supervisor page faults */
"u_zero_n: mov $0x401000, %esi\n mov $7, %eax\n mov $7, %r8d\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi,%rax,8), %rdx\n add $1, %rax\n cmp %rax, %r8\n jne 1b\n"
"	int $0x80\n"
/* a data-dependent loop (a guard plan at CPL3) up from the last page
 * below 2 GiB: the first access past it is 0x80000000, whose window
 * offset is the kernel half's */
"u_up_2g: mov $0x7ffff000, %esi\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rdx\n add $8, %rsi\n cmp $-1, %rdx\n jne 1b\n"
"	int $0x80\n"
/* and down from udata through 0 into the kernel half (the low pages
 * are not mapped: #PF at the first one, whatever bt hoisted) */
"u_down_0: mov $0x10, %esi\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rdx\n sub $8, %rsi\n cmp $-1, %rdx\n jne 1b\n"
"	int $0x80\n"
/* a bounded index (a byte just loaded) off an invariant base: the
 * range [base, base + 255] is checked once; near 2 GiB it is not in the
 * layout (the checked body runs: the byte 0x88 of udata reaches
 * 0x80000008) */
"u_bounded: mov $0x401000, %edi\n"
"u_bounded_go: mov $0x401000, %esi\n lea 16(%rsi), %r8\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	movzbl (%rsi), %eax\n movzbl (%rdi,%rax,1), %edx\n add %rdx, %rbx\n"
"	add $1, %rsi\n cmp %rsi, %r8\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
"u_bounded_2g: mov $0x7fffff80, %edi\n jmp u_bounded_go\n"
/* the address through a register the loop computes with LEA from an
 * invariant base and the induction register */
"u_affine: mov $0x401000, %edi\n"
"u_affine_go: xor %r9d, %r9d\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	lea (%rdi,%r9,1), %rsi\n movzbl (%rsi), %edx\n add %rdx, %rbx\n"
"	add $1, %r9\n cmp $16, %r9\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
"u_affine_2g: mov $0x7ffffff8, %edi\n jmp u_affine_go\n"
/* the first access starts inside (the only byte the pre-header checks)
 * and ends past 2 GiB */
"u_straddle: mov $0x7ffffffc, %esi\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	mov (%rsi), %rdx\n add $8, %rsi\n cmp $-1, %rdx\n jne 1b\n"
"	int $0x80\n"
/* no loop: an access 256 MiB past one just made through the same
 * register needs no check at CPL3 (it is in the user half or faults
 * into the monitor): here past 2 GiB */
"u_near: mov $0x7ffffff0, %esi\n mov (%rsi), %rax\n"
"	mov 0x10000000(%rsi), %rbx\n int $0x80\n"
/* counting down to zero, flags from the update */
"u_dec_zero: mov $0x401000, %esi\n mov $3, %edx\n xor %ebx, %ebx\n"
"	lea 1f(%rip), %r11\n jmp *%r11\n"
"1:	add -8(%rsi,%rdx,8), %rbx\n sub $1, %rdx\n jne 1b\n"
"	mov %rbx, %rax\n int $0x80\n"
SK_USER_DATA("g_loop_udata")
"pd2: .fill 4096, 1, 0\n"
"pt2: .fill 4096, 1, 0\n"
SK_TABLES_KSTACK
".fill 4096, 1, 0\n"
"iststack_top:\n"
"g_loop_end:\n"
".popsection\n");

/* ---- the host side ------------------------------------------------------ */

/* bt's loop counters after a run. */
struct loop_counts {
	uint64_t hoisted, failed;
};

static void loop_counts_read(struct engine *e, void *arg)
{
	struct loop_counts *lc = arg;
	struct engine_counters c;
	const struct engine_stat *st;

	engine_counters(e, &c);
	st = engine_stat_find(&c, "bt_loops_hoisted");
	lc->hoisted = st ? st->value : 0;
	st = engine_stat_find(&c, "bt_loop_checks_failed");
	lc->failed = st ? st->value : 0;
}

static const struct scenario_kernel kernel = {
	.begin = g_loop_begin,
	.end = g_loop_end,
	.scenario = g_loop_scenario,
	.res = g_loop_res,
	.hostptr = g_loop_udata + 8,
	.inspect = loop_counts_read,
};

static void scenario_test(void **state)
{
	const struct scenario *s = *state;
	static const char *const policies[] = {"shadow=vtlb", "shadow=trace"};
	struct scenario_outcome ref, o;
	struct loop_counts lc;
	char why[256] = "";

	if (!scenario_kernel_run(&kernel, "interp", NULL,
				 s->id, &ref, &lc, why, sizeof(why)))
		fail_msg("interp unusable: %s", why);
	/* VMB_BADGUEST_DUMP=1: one line per engine, for a look at every case */
	if (getenv("VMB_BADGUEST_DUMP")) {
		scenario_outcome_dump(s->name, "interp", &ref);
		for (unsigned k = 0; k < 2; k++)
			if (scenario_kernel_run(&kernel, "bt", policies[k],
						s->id, &o, &lc, why,
						sizeof(why)))
				scenario_outcome_dump(s->name, policies[k], &o);
	}
	scenario_outcome_check_expected(s->name, s->status, s->error,
					s->cr2, &ref);
	for (unsigned k = 0; k < 2; k++) {
		if (!scenario_kernel_run(&kernel, "bt", policies[k],
					 s->id, &o, &lc, why, sizeof(why))) {
			print_message("[  SKIPPED ] bt unusable: %s\n", why);
			skip();
		}
		scenario_outcome_compare(s->name, policies[k], &ref, &o);
		if ((s->known & H) && lc.hoisted == 0)
			fail_msg("%s: bt %s hoisted no loop", s->name,
				 policies[k]);
		if ((s->known & N) && lc.hoisted != 0)
			fail_msg("%s: bt %s hoisted %llu loops", s->name,
				 policies[k], (unsigned long long)lc.hoisted);
		if ((s->known & F) && lc.failed == 0)
			fail_msg("%s: bt %s: no pre-header check failed",
				 s->name, policies[k]);
		if (!(s->known & F) && lc.failed != 0)
			fail_msg("%s: bt %s: %llu pre-header checks failed",
				 s->name, policies[k],
				 (unsigned long long)lc.failed);
	}
}

int main(void)
{
	return scenario_group_run(scenario_test, scenarios,
				  sizeof(scenarios[0]), NSCENARIOS);
}
